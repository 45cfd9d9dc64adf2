//! The certificates and keys `kubeadm init` writes, computed and generated
//! here so that a cluster built by kubelift cannot be told apart from one
//! built by kubeadm (and so that kubeadm itself accepts our files later, e.g.
//! for `kubeadm certs renew` or `kubeadm upgrade`).
//!
//! The module is pure: it never reads or writes files and knows nothing of the
//! engine. The engine decides what exists on disk, asks [`cert_specs`] what
//! kubeadm would put in each certificate, generates keys ([`generate_key`],
//! or [`generate_keys`] to use both cores), creates certificates with
//! [`new_ca`] and [`new_signed`], and writes the PEM text it gets back with the
//! modes kubeadm uses (`*.crt` 0644, `*.key` and `sa.pub` 0600).
//!
//! # Parity with kubeadm, and the deliberate differences
//!
//! Structure follows what kubeadm v1.24 wrote (see the golden reference in
//! `shared/reference/kubeadm-v1.24/pki`): subject `O` before `CN`, the same
//! extensions in the same order with the same criticality (Go's
//! `crypto/x509` order: key usage, extended key usage, basic constraints,
//! subject key id, authority key id, SAN), SHA-1 subject key ids on CAs only,
//! authority key ids on leaves only, kubeadm's SAN lists (DNS sorted and
//! de-duplicated, IPs de-duplicated in first-seen order), PKCS#1 / SEC1 key
//! PEM and `sha256WithRSAEncryption` / `ecdsa-with-SHA256` /
//! `ecdsa-with-SHA384` signatures.
//!
//! Where newer kubeadm (1.28+) changed behaviour we follow the newer one,
//! because that is what current clusters and `kubeadm certs` expect:
//! * serial numbers are random in `[1, 2^63-1)` for CAs too (v1.24 wrote `0`
//!   for CAs, which RFC 5280 forbids and strict X.509 parsers reject);
//! * every certificate's NotBefore is back-dated by [`CERT_BACKDATE`] (5 min)
//!   from the creation time, so a node whose clock is slightly behind still
//!   accepts fresh certificates (1.28+ for CAs; current kubeadm's `certlist.go`
//!   does it for leaves too, where v1.24 copied the CA's NotBefore); NotAfter
//!   is creation time + validity. With one creation time for the whole
//!   `certs` phase this gives exactly the v1.24 pattern "leaf NotBefore ==
//!   CA NotBefore";
//! * the key algorithm and validity periods are configurable as in kubeadm
//!   v1beta4 (`encryptionAlgorithm`, `certificateValidityPeriod`,
//!   `caCertificateValidityPeriod`).
//!
//! Limits that come from rcgen holding one value per attribute type: a
//! spec with more than one organization is refused (Go would write them as
//! one multi-valued RDN; no kubeadm certificate has more than one), and so is
//! signing with a user-provided CA whose subject repeats an attribute type
//! (e.g. two `DC`s), rather than writing an issuer name that differs from the
//! CA's subject.

mod algorithm;
mod cert;
pub mod csr;
mod der;
mod error;
mod key;
mod names;
mod pool;
mod spec;

#[cfg(test)]
mod openssl_tests;

pub use algorithm::KeyAlgorithm;
pub use cert::{
    ca_cert_hash, new_ca, new_signed, CertFacts, Certificate, ExtensionFact, KeyUsage, Name,
    SignatureAlgorithm,
};
pub use error::PkiError;
pub use key::{generate_key, generate_keys, service_account_keypair, KeyPair, ServiceAccountKeys};
pub use pool::KeyPool;
pub use spec::{cert_specs, CertSpec, ExtKeyUsage, PkiInputs};

use std::time::Duration;

/// How far NotBefore is moved into the past, as kubeadm's
/// `CertificateBackdate`: tolerates small clock differences between nodes.
pub const CERT_BACKDATE: Duration = Duration::from_secs(5 * 60);

/// kubeadm's default leaf validity (`certificateValidityPeriod`, 8760h).
pub const DEFAULT_CERT_VALIDITY: Duration = Duration::from_secs(365 * 24 * 3600);

/// kubeadm's default CA validity (`caCertificateValidityPeriod`, 87600h).
pub const DEFAULT_CA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 3600);
