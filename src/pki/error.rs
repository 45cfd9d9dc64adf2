//! One error type for the module, with kubeadm's own wording where kubeadm
//! has a message for the same failure, so users searching for an error find
//! kubeadm's documentation and issues.

use thiserror::Error;

/// Everything that can go wrong while computing, generating or checking PKI.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PkiError {
    /// `encryptionAlgorithm` is not one kubeadm knows.
    #[error("unknown encryption algorithm {0:?}: must be one of RSA-2048, RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384")]
    UnknownAlgorithm(String),

    /// The crypto library refused to generate a key (practically: no entropy).
    #[error("unable to create private key: {0}")]
    KeyGeneration(String),

    /// No PEM block held a key we could load (kubeadm's text).
    #[error("data does not contain a valid RSA or ECDSA private key")]
    InvalidPrivateKey,

    /// A key that parses but that kubeadm never generates and we cannot sign with.
    #[error("unsupported private key: {0}")]
    UnsupportedKey(String),

    /// No `CERTIFICATE` PEM block, or DER that is not an X.509 certificate.
    #[error("data does not contain any valid RSA or ECDSA certificates: {0}")]
    InvalidCertificate(String),

    /// The inputs cannot produce kubeadm's SANs (bad endpoint, subnet too small...).
    #[error("{0}")]
    InvalidInput(String),

    /// A certificate spec that kubeadm would refuse to sign.
    #[error("{0}")]
    InvalidSpec(String),

    /// Building or signing the certificate failed.
    #[error("unable to sign certificate: {0}")]
    Signing(String),

    /// The certificate does not chain to the given CA.
    #[error("certificate is not signed by corresponding CA: {0}")]
    NotSignedByCa(String),
}
