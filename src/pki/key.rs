//! Private keys: generation, kubeadm's PEM formats, signing.
//!
//! aws-lc-rs generates the keys because it is the fastest maintained RSA
//! generator available to Rust: ~65 ms of CPU per RSA-2048 key (release),
//! against ~150 ms for OpenSSL 3.0 (the `openssl` crate) and for RustCrypto
//! `rsa`; an init needs ~16 keys. It builds its C code itself with the C
//! compiler, so CI needs no extra system package.

use super::der::{self, TAG_INTEGER, TAG_OCTET_STRING, TAG_OID};
use super::{KeyAlgorithm, PkiError};
use aws_lc_rs::encoding::{AsBigEndian, AsDer};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    EcdsaKeyPair, EcdsaSigningAlgorithm, KeyPair as _, RsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING,
    ECDSA_P384_SHA384_ASN1_SIGNING, RSA_PKCS1_SHA256,
};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

pub(crate) const PEM_RSA_PRIVATE_KEY: &str = "RSA PRIVATE KEY";
pub(crate) const PEM_EC_PRIVATE_KEY: &str = "EC PRIVATE KEY";
pub(crate) const PEM_PRIVATE_KEY: &str = "PRIVATE KEY";
pub(crate) const PEM_PUBLIC_KEY: &str = "PUBLIC KEY";

/// DER of the named-curve OIDs written into SEC1 keys, as Go does.
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];

enum Inner {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
}

/// A private key of one of kubeadm's algorithms.
///
/// `Debug` shows the algorithm and a public-key fingerprint only, so a key
/// can sit in structures that get logged.
pub struct KeyPair {
    algorithm: KeyAlgorithm,
    inner: Inner,
    /// The subjectPublicKey bits: PKCS#1 `RSAPublicKey` or the uncompressed EC point.
    public_key: Vec<u8>,
}

/// Generates one key. Prefer [`generate_keys`] for many: RSA generation is the
/// slow part of an init and parallelises perfectly.
pub fn generate_key(algorithm: KeyAlgorithm) -> Result<KeyPair, PkiError> {
    KeyPair::generate(algorithm)
}

/// Generates one key per entry, in the order given, on as many threads as
/// there are cores. Threads take the next key when they finish one, because
/// RSA generation time varies a lot from key to key.
pub fn generate_keys(algorithms: &[KeyAlgorithm]) -> Result<Vec<KeyPair>, PkiError> {
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(algorithms.len());
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(alg) = algorithms.get(i) else {
                return done;
            };
            done.push((i, generate_key(*alg)));
        }
    };
    let mut results: Vec<(usize, Result<KeyPair, PkiError>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers).map(|_| scope.spawn(work)).collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, key)| key).collect()
}

impl KeyPair {
    /// A fresh key; RSA keys use e = 65537 like Go's `rsa.GenerateKey`.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<Self, PkiError> {
        let failed = |_| PkiError::KeyGeneration(algorithm.to_string());
        let inner = match algorithm {
            KeyAlgorithm::Rsa2048 => {
                Inner::Rsa(RsaKeyPair::generate(KeySize::Rsa2048).map_err(failed)?)
            }
            KeyAlgorithm::Rsa3072 => {
                Inner::Rsa(RsaKeyPair::generate(KeySize::Rsa3072).map_err(failed)?)
            }
            KeyAlgorithm::Rsa4096 => {
                Inner::Rsa(RsaKeyPair::generate(KeySize::Rsa4096).map_err(failed)?)
            }
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => {
                Inner::Ecdsa(EcdsaKeyPair::generate(ecdsa_signing(algorithm)).map_err(failed)?)
            }
        };
        Ok(Self::from_inner(algorithm, inner))
    }

    /// Loads a key the way kubeadm's `ParsePrivateKeyPEM` does: the first
    /// `EC PRIVATE KEY` (SEC1), `RSA PRIVATE KEY` (PKCS#1) or `PRIVATE KEY`
    /// (PKCS#8) block that parses wins; other blocks (e.g. `EC PARAMETERS`)
    /// are skipped.
    pub fn from_pem(pem_text: &[u8]) -> Result<Self, PkiError> {
        let blocks = pem::parse_many(pem_text).map_err(|_| PkiError::InvalidPrivateKey)?;
        let mut unsupported = None;
        for block in &blocks {
            match Self::from_block(block.tag(), block.contents()) {
                Ok(Some(key)) => return Ok(key),
                Ok(None) => {}
                Err(e) => unsupported = Some(e),
            }
        }
        Err(unsupported.unwrap_or(PkiError::InvalidPrivateKey))
    }

    /// `Ok(None)` when the block is not a key or does not parse; `Err` when it
    /// is a valid key we cannot use (e.g. a 1024-bit RSA key).
    fn from_block(tag: &str, der: &[u8]) -> Result<Option<Self>, PkiError> {
        match tag {
            PEM_RSA_PRIVATE_KEY => Ok(RsaKeyPair::from_der(der)
                .ok()
                .map(Self::from_rsa)
                .transpose()?),
            PEM_EC_PRIVATE_KEY => Ok(Self::ecdsa_from(der, EcdsaKeyPair::from_private_key_der)),
            PEM_PRIVATE_KEY => match RsaKeyPair::from_pkcs8(der) {
                Ok(rsa) => Self::from_rsa(rsa).map(Some),
                Err(_) => Ok(Self::ecdsa_from(der, EcdsaKeyPair::from_pkcs8)),
            },
            _ => Ok(None),
        }
    }

    fn from_rsa(rsa: RsaKeyPair) -> Result<Self, PkiError> {
        let bits = rsa.public_modulus_len() * 8;
        let algorithm = KeyAlgorithm::from_rsa_bits(bits).ok_or_else(|| {
            PkiError::UnsupportedKey(format!(
                "RSA key of {bits} bits (kubeadm uses 2048, 3072 or 4096)"
            ))
        })?;
        Ok(Self::from_inner(algorithm, Inner::Rsa(rsa)))
    }

    fn ecdsa_from<E>(
        der: &[u8],
        parse: impl Fn(&'static EcdsaSigningAlgorithm, &[u8]) -> Result<EcdsaKeyPair, E>,
    ) -> Option<Self> {
        [KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384]
            .into_iter()
            .find_map(|alg| {
                let key = parse(ecdsa_signing(alg), der).ok()?;
                Some(Self::from_inner(alg, Inner::Ecdsa(key)))
            })
    }

    fn from_inner(algorithm: KeyAlgorithm, inner: Inner) -> Self {
        let public_key = match &inner {
            Inner::Rsa(k) => k.public_key().as_ref().to_vec(),
            Inner::Ecdsa(k) => k.public_key().as_ref().to_vec(),
        };
        KeyPair {
            algorithm,
            inner,
            public_key,
        }
    }

    /// The algorithm, as kubeadm's `encryptionAlgorithm` would name it.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The subjectPublicKey bits (PKCS#1 `RSAPublicKey` or uncompressed EC point);
    /// what Go hashes for a subject key id.
    pub fn public_key_bits(&self) -> &[u8] {
        &self.public_key
    }

    /// PKIX `SubjectPublicKeyInfo` DER, as Go's `MarshalPKIXPublicKey`.
    pub fn public_key_der(&self) -> Vec<u8> {
        rcgen::PublicKeyData::subject_public_key_info(self)
    }

    /// `PUBLIC KEY` PEM, the format of kubeadm's `sa.pub`.
    pub fn public_key_pem(&self) -> String {
        encode_pem(PEM_PUBLIC_KEY, self.public_key_der())
    }

    /// The private key DER kubeadm writes: PKCS#1 for RSA, SEC1 (with the
    /// named curve and the public key) for ECDSA.
    pub fn private_key_der(&self) -> Result<Vec<u8>, PkiError> {
        let failed = |_| PkiError::UnsupportedKey("cannot serialize private key".into());
        match &self.inner {
            Inner::Rsa(k) => {
                let pkcs8 = k.as_der().map_err(failed)?;
                der::pkcs8_inner_key(pkcs8.as_ref())
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| {
                        PkiError::UnsupportedKey("malformed PKCS#8 from crypto library".into())
                    })
            }
            Inner::Ecdsa(k) => {
                let scalar = k.private_key().as_be_bytes().map_err(failed)?;
                Ok(sec1_der(self.algorithm, scalar.as_ref(), &self.public_key))
            }
        }
    }

    /// The key file content: `RSA PRIVATE KEY` or `EC PRIVATE KEY` PEM.
    pub fn private_key_pem(&self) -> Result<String, PkiError> {
        let tag = if self.algorithm.is_rsa() {
            PEM_RSA_PRIVATE_KEY
        } else {
            PEM_EC_PRIVATE_KEY
        };
        Ok(encode_pem(tag, self.private_key_der()?))
    }

    /// Signs with the hash Go pairs with this key in certificates: SHA-256
    /// for RSA (PKCS#1 v1.5) and P-256, SHA-384 for P-384; ECDSA signatures
    /// are ASN.1 DER as in X.509.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, PkiError> {
        let failed = |_| PkiError::Signing("private key operation failed".into());
        match &self.inner {
            Inner::Rsa(k) => {
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
                    .map_err(failed)?;
                Ok(sig)
            }
            Inner::Ecdsa(k) => Ok(k
                .sign(&SystemRandom::new(), message)
                .map_err(failed)?
                .as_ref()
                .to_vec()),
        }
    }
}

/// Go's `MarshalECPrivateKey`: version 1, the scalar padded to the curve
/// size, `[0]` named curve, `[1]` public point.
fn sec1_der(algorithm: KeyAlgorithm, scalar: &[u8], point: &[u8]) -> Vec<u8> {
    let oid = if algorithm == KeyAlgorithm::EcdsaP384 {
        OID_P384
    } else {
        OID_P256
    };
    der::sequence(&[
        der::tlv(TAG_INTEGER, &[1]),
        der::tlv(TAG_OCTET_STRING, scalar),
        der::explicit(0, &der::tlv(TAG_OID, oid)),
        der::explicit(1, &der::bit_string(0, point)),
    ])
}

fn ecdsa_signing(algorithm: KeyAlgorithm) -> &'static EcdsaSigningAlgorithm {
    match algorithm {
        KeyAlgorithm::EcdsaP384 => &ECDSA_P384_SHA384_ASN1_SIGNING,
        _ => &ECDSA_P256_SHA256_ASN1_SIGNING,
    }
}

/// PEM exactly as Go's `pem.Encode`: 64-column base64, LF line ends.
pub(crate) fn encode_pem(tag: &str, der: Vec<u8>) -> String {
    let config = pem::EncodeConfig::new()
        .set_line_ending(pem::LineEnding::LF)
        .set_line_wrap(64);
    pem::encode_config(&pem::Pem::new(tag, der), config)
}

impl rcgen::PublicKeyData for KeyPair {
    fn der_bytes(&self) -> &[u8] {
        &self.public_key
    }

    /// rcgen derives both the SPKI OIDs and, when this key signs, the
    /// certificate's signature algorithm from this.
    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        match self.algorithm {
            KeyAlgorithm::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyAlgorithm::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            _ => &rcgen::PKCS_RSA_SHA256,
        }
    }
}

impl rcgen::SigningKey for KeyPair {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        KeyPair::sign(self, msg).map_err(|_| rcgen::Error::RemoteKeyError)
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &self.public_key);
        f.debug_struct("KeyPair")
            .field("algorithm", &self.algorithm)
            .field("public_key_sha256", &hex::encode(&digest.as_ref()[..8]))
            .finish_non_exhaustive()
    }
}

/// The service-account signing key pair: `sa.key` and `sa.pub` contents.
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceAccountKeys {
    /// `sa.key`: `RSA PRIVATE KEY` or `EC PRIVATE KEY` PEM.
    pub private_key_pem: String,
    /// `sa.pub`: `PUBLIC KEY` PEM (PKIX).
    pub public_key_pem: String,
}

impl fmt::Debug for ServiceAccountKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccountKeys")
            .field("private_key_pem", &"<redacted>")
            .field("public_key_pem", &self.public_key_pem)
            .finish()
    }
}

/// A new `sa.key` / `sa.pub` pair. kubeadm keeps an existing `sa.key` that
/// parses (and then leaves `sa.pub` alone), so call this only when it does not.
pub fn service_account_keypair(algorithm: KeyAlgorithm) -> Result<ServiceAccountKeys, PkiError> {
    let key = generate_key(algorithm)?;
    Ok(ServiceAccountKeys {
        private_key_pem: key.private_key_pem()?,
        public_key_pem: key.public_key_pem(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdsa_keys_round_trip_through_kubeadm_pem() {
        for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384] {
            let key = generate_key(alg).unwrap();
            let pem_text = key.private_key_pem().unwrap();
            assert!(
                pem_text.starts_with("-----BEGIN EC PRIVATE KEY-----\n"),
                "{pem_text}"
            );
            assert!(pem_text.ends_with("-----END EC PRIVATE KEY-----\n"));
            let back = KeyPair::from_pem(pem_text.as_bytes()).unwrap();
            assert_eq!(back.algorithm(), alg);
            assert_eq!(back.public_key_bits(), key.public_key_bits());
            assert_eq!(back.private_key_pem().unwrap(), pem_text);
        }
    }

    #[test]
    fn rsa_key_is_pkcs1_and_round_trips() {
        let key = generate_key(KeyAlgorithm::Rsa2048).unwrap();
        let pem_text = key.private_key_pem().unwrap();
        assert!(pem_text.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        let back = KeyPair::from_pem(pem_text.as_bytes()).unwrap();
        assert_eq!(back.algorithm(), KeyAlgorithm::Rsa2048);
        assert_eq!(back.public_key_der(), key.public_key_der());
    }

    #[test]
    fn pkcs8_keys_are_accepted() {
        let key = generate_key(KeyAlgorithm::EcdsaP256).unwrap();
        let Inner::Ecdsa(inner) = &key.inner else {
            unreachable!()
        };
        let pkcs8 = encode_pem(
            PEM_PRIVATE_KEY,
            inner.to_pkcs8v1().unwrap().as_ref().to_vec(),
        );
        let back = KeyPair::from_pem(pkcs8.as_bytes()).unwrap();
        assert_eq!(back.public_key_bits(), key.public_key_bits());
    }

    #[test]
    fn non_key_blocks_are_skipped() {
        let key = generate_key(KeyAlgorithm::EcdsaP256).unwrap();
        let text = format!(
            "{}{}",
            encode_pem("EC PARAMETERS", vec![6, 8]),
            key.private_key_pem().unwrap()
        );
        assert_eq!(
            KeyPair::from_pem(text.as_bytes())
                .unwrap()
                .public_key_bits(),
            key.public_key_bits()
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert_eq!(
            KeyPair::from_pem(b"").unwrap_err(),
            PkiError::InvalidPrivateKey
        );
        let junk = encode_pem(PEM_RSA_PRIVATE_KEY, vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        assert_eq!(
            KeyPair::from_pem(junk.as_bytes()).unwrap_err(),
            PkiError::InvalidPrivateKey
        );
    }

    #[test]
    fn debug_shows_no_key_material() {
        let key = generate_key(KeyAlgorithm::EcdsaP256).unwrap();
        let pem_text = key.private_key_pem().unwrap();
        let body: String = pem_text
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let dbg = format!("{key:?}");
        assert!(dbg.contains("EcdsaP256"), "{dbg}");
        assert!(!dbg.contains(&body[..16]));
        let sa = service_account_keypair(KeyAlgorithm::EcdsaP256).unwrap();
        assert!(!format!("{sa:?}").contains("PRIVATE"));
    }

    #[test]
    fn service_account_public_key_matches_private() {
        let sa = service_account_keypair(KeyAlgorithm::EcdsaP256).unwrap();
        let key = KeyPair::from_pem(sa.private_key_pem.as_bytes()).unwrap();
        assert_eq!(key.public_key_pem(), sa.public_key_pem);
        assert!(sa
            .public_key_pem
            .starts_with("-----BEGIN PUBLIC KEY-----\n"));
    }

    #[test]
    fn generate_keys_keeps_order() {
        let algs = [
            KeyAlgorithm::EcdsaP384,
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::EcdsaP384,
        ];
        let keys = generate_keys(&algs).unwrap();
        assert_eq!(
            keys.iter().map(KeyPair::algorithm).collect::<Vec<_>>(),
            algs
        );
        assert!(generate_keys(&[]).unwrap().is_empty());
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    fn wrap(tag: &'static str, body: Vec<u8>) -> String {
        encode_pem(tag, body)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = KeyPair::from_pem(&data);
        }

        #[test]
        fn arbitrary_der_in_key_blocks_never_panics(
            tag in prop::sample::select(vec![PEM_RSA_PRIVATE_KEY, PEM_EC_PRIVATE_KEY, PEM_PRIVATE_KEY]),
            body in proptest::collection::vec(any::<u8>(), 0..512),
        ) {
            let _ = KeyPair::from_pem(wrap(tag, body).as_bytes());
        }

        #[test]
        fn mutated_real_keys_never_panic(idx in 0usize..200, byte in any::<u8>()) {
            let key = generate_key(KeyAlgorithm::EcdsaP256).unwrap();
            let mut der = key.private_key_der().unwrap();
            let i = idx % der.len();
            der[i] = byte;
            let _ = KeyPair::from_pem(wrap(PEM_EC_PRIVATE_KEY, der).as_bytes());
        }
    }
}
