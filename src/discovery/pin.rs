//! CA pinning: `--discovery-token-ca-cert-hash sha256:<hex>` is the SHA-256 of
//! the CA certificate's SubjectPublicKeyInfo (kubeadm-facts §5.6).

use sha2::{Digest, Sha256};
use x509_parser::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    #[error("invalid hash {0:?}, expected \"format:hex-value\"; known formats are: sha256")]
    Format(String),
    #[error("unknown hash format {0:?}; known formats are: sha256")]
    Algorithm(String),
    #[error("expected a 32 byte SHA-256 hash, found {0} bytes")]
    Length(usize),
}

/// A set of pinned public-key hashes (lower-case hex of SHA-256 over SPKI).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pins(Vec<[u8; 32]>);

impl Pins {
    pub fn parse<'a>(hashes: impl IntoIterator<Item = &'a String>) -> Result<Pins, PinError> {
        let mut pins = vec![];
        for h in hashes {
            let (algorithm, hex_value) = h.split_once(':').ok_or_else(|| PinError::Format(h.clone()))?;
            if !algorithm.eq_ignore_ascii_case("sha256") {
                return Err(PinError::Algorithm(algorithm.into()));
            }
            let bytes = hex::decode(hex_value.to_ascii_lowercase()).map_err(|_| PinError::Format(h.clone()))?;
            pins.push(bytes.as_slice().try_into().map_err(|_| PinError::Length(bytes.len()))?);
        }
        Ok(Pins(pins))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when the certificate's public key is pinned.
    pub fn allows(&self, cert_der: &[u8]) -> bool {
        spki_sha256(cert_der).is_some_and(|h| self.0.contains(&h))
    }
}

pub fn spki_sha256(cert_der: &[u8]) -> Option<[u8; 32]> {
    let (_, cert) = X509Certificate::from_der(cert_der).ok()?;
    Some(Sha256::digest(cert.tbs_certificate.subject_pki.raw).into())
}

/// `sha256:<hex>` for a CA certificate, as join commands print it.
pub fn hash_string(cert_der: &[u8]) -> Option<String> {
    spki_sha256(cert_der).map(|h| format!("sha256:{}", hex::encode(h)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_name_the_problem() {
        assert!(matches!(Pins::parse([&"nohash".to_string()]), Err(PinError::Format(_))));
        assert!(matches!(Pins::parse([&"md5:00".to_string()]), Err(PinError::Algorithm(_))));
        assert!(matches!(Pins::parse([&"sha256:00ff".to_string()]), Err(PinError::Length(2))));
        let ok = format!("SHA256:{}", "AB".repeat(32));
        assert_eq!(Pins::parse([&ok]).unwrap().0, vec![[0xab; 32]]);
    }
}
