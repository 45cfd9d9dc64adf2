//! `upload-certs` (kubeadm-facts §10.6): the shared CA and service-account
//! keys, encrypted for joining control planes, in `kube-system/kubeadm-certs`.
//!
//! Each file is sealed with AES-256-GCM under the 32-byte certificate key, as
//! kubeadm's `cryptoutil.EncryptBytes`: a fresh 12-byte nonce, stored in
//! front of the ciphertext and its 16-byte tag, no additional data. The
//! Secret is owned by a short-lived bootstrap token Secret, so the garbage
//! collector deletes it when the token expires.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use k8s_openapi::ByteString;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::{bootstrap_token, meta, ObjectError, KUBE_SYSTEM};
use crate::config::{BootstrapToken, InitSettings};
use crate::secret::SecretString;

pub const KUBEADM_CERTS: &str = "kubeadm-certs";
pub const TOKEN_DESCRIPTION: &str = "Proxy for managing TTL for the kubeadm-certs secret";
/// The owning token's lifetime, and so the Secret's (kubeadm's DefaultCertTokenDuration).
pub const TOKEN_TTL: &str = "2h0m0s";
const KEY_LEN: usize = 32;

/// The 32-byte AES key, printed to the user as 64 hex characters.
#[derive(Clone, PartialEq, Eq)]
pub struct CertificateKey([u8; KEY_LEN]);

impl CertificateKey {
    pub fn parse(hex_text: &SecretString) -> Result<CertificateKey, ObjectError> {
        let bytes = hex::decode(hex_text.expose().trim()).map_err(|_| ObjectError::CertificateKey)?;
        let key: [u8; KEY_LEN] = bytes.try_into().map_err(|_| ObjectError::CertificateKey)?;
        Ok(CertificateKey(key))
    }

    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<CertificateKey, ObjectError> {
        let mut key = [0u8; KEY_LEN];
        SystemRandom::new().fill(&mut key).map_err(|_| ObjectError::Invalid { what: "certificate key".into(), why: "no randomness".into() })?;
        Ok(CertificateKey(key))
    }

    pub fn to_hex(&self) -> SecretString {
        SecretString::new(hex::encode(self.0))
    }

    fn aead(&self) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.0).expect("a 32-byte key suits AES-256-GCM"))
    }
}

impl fmt::Debug for CertificateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CertificateKey(<redacted>)")
    }
}

/// nonce ‖ ciphertext ‖ tag, with a fresh random nonce.
pub fn encrypt(key: &CertificateKey, plaintext: &[u8]) -> Result<Vec<u8>, ObjectError> {
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new().fill(&mut nonce).map_err(|_| ObjectError::Invalid { what: "nonce".into(), why: "no randomness".into() })?;
    Ok(seal(key, nonce, plaintext))
}

fn seal(key: &CertificateKey, nonce: [u8; NONCE_LEN], plaintext: &[u8]) -> Vec<u8> {
    let mut sealed = plaintext.to_vec();
    key.aead()
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut sealed)
        .expect("AES-GCM seals any input shorter than 64 GiB");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    out
}

/// The inverse of `encrypt`; fails on a wrong key or altered data.
pub fn decrypt(key: &CertificateKey, data: &[u8]) -> Result<Vec<u8>, ObjectError> {
    if data.len() < NONCE_LEN {
        return Err(ObjectError::Decrypt("a value is shorter than its nonce".into()));
    }
    let (nonce, sealed) = data.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| ObjectError::Decrypt("bad nonce".into()))?;
    let mut buf = sealed.to_vec();
    let plain = key
        .aead()
        .open_in_place(nonce, Aad::empty(), &mut buf)
        .map_err(|_| ObjectError::Decrypt("wrong certificate key, or the data was altered".into()))?;
    Ok(plain.to_vec())
}

/// One file kubeadm shares: its key in the Secret and its path on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFile {
    pub data_key: String,
    pub path: PathBuf,
}

impl CertFile {
    /// Private keys are written 0600 on download, the rest 0644.
    pub fn is_private_key(&self) -> bool {
        self.data_key.ends_with(".key")
    }
}

/// kubeadm's `certsToTransfer`: the CAs, the service-account key pair and
/// the etcd CA (or the external etcd client files). Secret keys are the
/// file names with `/` written as `-`.
pub fn files(s: &InitSettings) -> Vec<CertFile> {
    let dir = Path::new(&s.cluster.certificates_dir);
    let mut files: Vec<(String, PathBuf)> = ["ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.pub", "sa.key"]
        .iter()
        .map(|name| (name.to_string(), dir.join(name)))
        .collect();
    match &s.cluster.etcd.external {
        Some(ext) => {
            for (key, path) in [("external-etcd-ca.crt", &ext.ca_file), ("external-etcd.crt", &ext.cert_file), ("external-etcd.key", &ext.key_file)] {
                files.push((key.to_string(), PathBuf::from(path)));
            }
        }
        None => {
            for name in ["etcd/ca.crt", "etcd/ca.key"] {
                files.push((name.replace('/', "-"), dir.join(name)));
            }
        }
    }
    files.into_iter().map(|(data_key, path)| CertFile { data_key, path }).collect()
}

/// The short-lived token whose Secret owns kubeadm-certs: no usages, no groups.
pub fn owner_token(token: SecretString) -> BootstrapToken {
    BootstrapToken { token, description: TOKEN_DESCRIPTION.into(), ttl: TOKEN_TTL.into(), ..Default::default() }
}

pub fn token_secret(token: &SecretString, now: DateTime<Utc>) -> Result<Secret, ObjectError> {
    bootstrap_token::token_secret(&owner_token(token.clone()), 0, now)
}

/// The owning token Secret as the API server returned it.
#[derive(Debug, Clone)]
pub struct Owner {
    pub name: String,
    pub uid: String,
}

/// `kube-system/kubeadm-certs`: every file encrypted; a file that does not
/// exist (`None`) is stored empty, as kubeadm does. Type unset: the API
/// server makes it `Opaque`, as for kubeadm.
pub fn certs_secret(contents: &[(CertFile, Option<Vec<u8>>)], key: &CertificateKey, owner: &Owner) -> Result<Secret, ObjectError> {
    let mut data = BTreeMap::new();
    for (file, content) in contents {
        let value = match content {
            Some(bytes) => encrypt(key, bytes)?,
            None => Vec::new(),
        };
        data.insert(file.data_key.clone(), ByteString(value));
    }
    let mut metadata = meta(KUBEADM_CERTS, Some(KUBE_SYSTEM));
    metadata.owner_references = Some(vec![OwnerReference {
        api_version: "v1".into(),
        kind: "Secret".into(),
        name: owner.name.clone(),
        uid: owner.uid.clone(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }]);
    Ok(Secret { metadata, data: Some(data), ..Default::default() })
}

/// For `join --control-plane --certificate-key`: every file's plaintext.
/// Every expected key must be present; empty values (files the first
/// control plane did not have) are skipped, as kubeadm does.
pub fn decrypt_secret(secret: &Secret, expected: &[CertFile], key: &CertificateKey) -> Result<Vec<(CertFile, Vec<u8>)>, ObjectError> {
    let data = secret.data.clone().unwrap_or_default();
    let mut out = Vec::new();
    for file in expected {
        let value = data.get(&file.data_key).ok_or_else(|| {
            ObjectError::Decrypt(format!(
                "the Secret does not include the required certificate or key - name: {}, path: {}",
                file.data_key,
                file.path.display()
            ))
        })?;
        if !value.0.is_empty() {
            out.push((file.clone(), decrypt(key, &value.0)?));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HostDefaults;

    fn zero_key() -> CertificateKey {
        CertificateKey::parse(&SecretString::new("00".repeat(32))).unwrap()
    }

    #[test]
    fn round_trips() {
        let key = CertificateKey::generate().unwrap();
        for plain in [&b""[..], b"-----BEGIN CERTIFICATE-----\nMIIC\n", &[7u8; 5000]] {
            let sealed = encrypt(&key, plain).unwrap();
            assert_eq!(sealed.len(), NONCE_LEN + plain.len() + 16);
            assert_eq!(decrypt(&key, &sealed).unwrap(), plain);
        }
        let a = encrypt(&key, b"same").unwrap();
        assert_ne!(a, encrypt(&key, b"same").unwrap(), "every value gets a fresh nonce");
    }

    /// AES-256-GCM test case 14 of McGrew & Viega ("The Galois/Counter Mode
    /// of Operation"): zero key, zero nonce, 16 zero bytes. kubeadm's layout
    /// puts the nonce first, then the ciphertext, then the tag.
    #[test]
    fn known_answer_layout() {
        let sealed = seal(&zero_key(), [0; NONCE_LEN], &[0; 16]);
        assert_eq!(
            hex::encode(&sealed),
            format!("{}{}{}", "00".repeat(12), "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919")
        );
        assert_eq!(decrypt(&zero_key(), &sealed).unwrap(), [0; 16]);
    }

    #[test]
    fn wrong_key_or_tampering_fails_without_detail() {
        let key = CertificateKey::generate().unwrap();
        let mut sealed = encrypt(&key, b"secret key material").unwrap();
        assert!(decrypt(&zero_key(), &sealed).is_err());
        sealed[NONCE_LEN] ^= 1;
        let err = decrypt(&key, &sealed).unwrap_err().to_string();
        assert!(!err.contains("secret key material"));
        assert!(decrypt(&key, &[1, 2, 3]).is_err());
    }

    #[test]
    fn key_parsing_and_debug() {
        assert_eq!(CertificateKey::parse(&"abc".into()), Err(ObjectError::CertificateKey));
        assert_eq!(CertificateKey::parse(&SecretString::new("0".repeat(62))), Err(ObjectError::CertificateKey));
        let key = CertificateKey::generate().unwrap();
        assert_eq!(CertificateKey::parse(&key.to_hex()).unwrap(), key);
        assert_eq!(format!("{key:?}"), "CertificateKey(<redacted>)");
    }

    #[test]
    fn secret_layout_and_download() {
        let s = InitSettings::empty().resolve(&HostDefaults::placeholder()).unwrap();
        let files = files(&s);
        let keys: Vec<&str> = files.iter().map(|f| f.data_key.as_str()).collect();
        assert_eq!(keys, ["ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.pub", "sa.key", "etcd-ca.crt", "etcd-ca.key"]);
        assert_eq!(files[7].path, PathBuf::from("/etc/kubernetes/pki/etcd/ca.key"));
        let key = CertificateKey::generate().unwrap();
        let contents: Vec<_> = files.iter().map(|f| (f.clone(), (f.data_key != "sa.pub").then(|| f.data_key.as_bytes().to_vec()))).collect();
        let owner = Owner { name: "bootstrap-token-abcdef".into(), uid: "1234".into() };
        let secret = certs_secret(&contents, &key, &owner).unwrap();
        let json = serde_json::to_value(&secret).unwrap();
        assert_eq!(json["metadata"]["ownerReferences"][0]["blockOwnerDeletion"], true);
        assert_eq!(json["metadata"]["ownerReferences"][0]["controller"], true);
        assert_eq!(json["data"]["sa.pub"], "");
        assert!(json.get("type").is_none());
        let back = decrypt_secret(&secret, &files, &key).unwrap();
        assert_eq!(back.len(), 7);
        assert!(back.iter().all(|(f, plain)| plain == f.data_key.as_bytes()));
        let mut partial = secret.clone();
        partial.data.as_mut().unwrap().remove("ca.key");
        assert!(decrypt_secret(&partial, &files, &key).unwrap_err().to_string().contains("name: ca.key"));
    }

    #[test]
    fn owner_token_has_no_usages_or_groups() {
        let now = chrono::Utc::now();
        let secret = token_secret(&"qwerty.0123456789abcdef".into(), now).unwrap();
        let keys: Vec<String> = secret.data.unwrap().into_keys().collect();
        assert_eq!(keys, ["description", "expiration", "token-id", "token-secret"]);
    }
}
