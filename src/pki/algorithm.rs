//! The key algorithms of kubeadm v1beta4's `encryptionAlgorithm`.

use super::PkiError;
use std::fmt;
use std::str::FromStr;

/// Algorithm of every key kubeadm generates for one cluster.
///
/// Parsed from the exact strings kubeadm's config API uses, so a value copied
/// from a kubeadm config means the same thing here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KeyAlgorithm {
    /// kubeadm's default.
    #[default]
    Rsa2048,
    Rsa3072,
    Rsa4096,
    EcdsaP256,
    EcdsaP384,
}

impl KeyAlgorithm {
    /// Every algorithm, in the order kubeadm documents them.
    pub const ALL: [KeyAlgorithm; 5] = [
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Rsa3072,
        KeyAlgorithm::Rsa4096,
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::EcdsaP384,
    ];

    /// The `encryptionAlgorithm` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa2048 => "RSA-2048",
            KeyAlgorithm::Rsa3072 => "RSA-3072",
            KeyAlgorithm::Rsa4096 => "RSA-4096",
            KeyAlgorithm::EcdsaP256 => "ECDSA-P256",
            KeyAlgorithm::EcdsaP384 => "ECDSA-P384",
        }
    }

    /// Modulus size for RSA, `None` for ECDSA.
    pub fn rsa_bits(self) -> Option<usize> {
        match self {
            KeyAlgorithm::Rsa2048 => Some(2048),
            KeyAlgorithm::Rsa3072 => Some(3072),
            KeyAlgorithm::Rsa4096 => Some(4096),
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => None,
        }
    }

    /// Whether this is one of the RSA sizes.
    pub fn is_rsa(self) -> bool {
        self.rsa_bits().is_some()
    }

    /// The RSA variant for a modulus size, if kubeadm can generate that size.
    pub(crate) fn from_rsa_bits(bits: usize) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.rsa_bits() == Some(bits))
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyAlgorithm {
    type Err = PkiError;

    /// Exact, case-sensitive match as in kubeadm's validation; the empty
    /// string is rejected because defaulting it is the config layer's job.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| PkiError::UnknownAlgorithm(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kubeadm_spellings_and_round_trips() {
        for alg in KeyAlgorithm::ALL {
            assert_eq!(alg.as_str().parse::<KeyAlgorithm>().unwrap(), alg);
            assert_eq!(alg.to_string(), alg.as_str());
        }
        assert_eq!(
            "ECDSA-P384".parse::<KeyAlgorithm>().unwrap(),
            KeyAlgorithm::EcdsaP384
        );
    }

    #[test]
    fn rejects_unknown_and_wrong_case() {
        for bad in ["", "rsa-2048", "RSA2048", "ECDSA-P521", "Ed25519"] {
            assert!(
                matches!(
                    bad.parse::<KeyAlgorithm>(),
                    Err(PkiError::UnknownAlgorithm(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn default_is_kubeadm_default() {
        assert_eq!(KeyAlgorithm::default(), KeyAlgorithm::Rsa2048);
        assert_eq!(
            KeyAlgorithm::from_rsa_bits(3072),
            Some(KeyAlgorithm::Rsa3072)
        );
        assert_eq!(KeyAlgorithm::from_rsa_bits(1024), None);
    }
}
