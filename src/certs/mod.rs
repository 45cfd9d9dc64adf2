//! Day-2 certificate work on an existing control-plane node: what expires
//! when (`kubelift certs check-expiration`), reissuing from the local CAs
//! (`kubelift certs renew`), and user kubeconfigs signed by the cluster CA
//! (`kubelift kubeconfig user`).
//!
//! Everything is read and written through the [`WriteGate`], so `--root`
//! and `--dry-run` work as for init, writes are atomic, replaced keys,
//! certificates and kubeconfigs are backed up, and every change lands in
//! the journal.
//!
//! The inventory is kubeadm's (kubeadm-facts §10.5): every leaf certificate
//! of the certs phase, the certificates embedded in admin.conf,
//! super-admin.conf (1.29+), controller-manager.conf and scheduler.conf, and
//! the three CAs. kubelet.conf is left out as kubeadm leaves it out: the
//! kubelet rotates its own client certificate, and after
//! kubelet-finalize the file only points at the kubelet's rotating PEM.

mod expiration;
mod inventory;
mod renew;
mod user;

pub use expiration::{check_expiration, short_human_duration, EntryStatus, ExpirationEntry, ExpirationReport, WARN_WITHIN};
pub use inventory::{items, CaInfo, Item, Source, CAS};
pub use renew::{renew, KeyDisposition, RenewOptions, RenewOutcome, RenewReport, RenewResult, RESTARTED_AT};
pub use user::{user_kubeconfig, UserRequest};

use std::fmt;
use std::time::Duration;

use crate::config::{defaults, InitSettings};
use crate::engine::WriteGate;
use crate::pki::{Certificate, KeyAlgorithm, KeyPair};

/// Where the kubeconfig files live (kubeadm's `KubernetesDir`).
pub const KUBERNETES_DIR: &str = "/etc/kubernetes";

/// What the certs commands need to know of the cluster configuration.
///
/// Without `--config` the commands work from what is on disk, as kubeadm's
/// do when it cannot read the cluster's kubeadm-config: default paths and
/// validity, etcd certificates listed when local etcd is evident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertsSettings {
    /// `certificatesDir`, a host path.
    pub cert_dir: String,
    /// `certificateValidityPeriod`: the lifetime of renewed certificates.
    pub validity: Duration,
    /// `encryptionAlgorithm` when a config was given; else new keys follow the old key's algorithm.
    pub algorithm: Option<KeyAlgorithm>,
    /// `etcd.external` set; `None` when unknown (no config): then decided from the files.
    pub external_etcd: Option<bool>,
    /// Whether the version has super-admin.conf; `None`: listed when the file exists.
    pub super_admin: Option<bool>,
    /// `clusterName`, for user kubeconfigs.
    pub cluster_name: Option<String>,
    /// `https://<control-plane endpoint>`, for user kubeconfigs.
    pub server: Option<String>,
}

impl CertsSettings {
    /// kubeadm's defaults, with an optional `--cert-dir`.
    pub fn defaults(cert_dir: Option<&str>) -> CertsSettings {
        CertsSettings {
            cert_dir: cert_dir.unwrap_or(defaults::DEFAULT_CERT_DIR).trim_end_matches('/').to_string(),
            validity: crate::pki::DEFAULT_CERT_VALIDITY,
            algorithm: None,
            external_etcd: None,
            super_admin: None,
            cluster_name: None,
            server: None,
        }
    }

    /// From a resolved init configuration (`--config`).
    pub fn from_init(s: &InitSettings) -> Result<CertsSettings, Problem> {
        let algorithm = s.encryption_algorithm().parse::<KeyAlgorithm>().map_err(|e| Problem::new(e.to_string(), "set encryptionAlgorithm to RSA-2048, RSA-3072, RSA-4096, ECDSA-P256 or ECDSA-P384"))?;
        Ok(CertsSettings {
            cert_dir: s.cluster.certificates_dir.trim_end_matches('/').to_string(),
            validity: s.certificate_validity(),
            algorithm: Some(algorithm),
            external_etcd: Some(s.cluster.etcd.external.is_some()),
            super_admin: Some(crate::phases::kubeconfig::has_super_admin(&s.cluster.kubernetes_version)),
            cluster_name: Some(s.cluster.cluster_name.clone()),
            server: Some(format!("https://{}", s.control_plane_endpoint())),
        })
    }

    /// `<certificatesDir>/<base>.crt`.
    pub fn cert_path(&self, base: &str) -> String {
        format!("{}/{base}.crt", self.cert_dir)
    }

    /// `<certificatesDir>/<base>.key`.
    pub fn key_path(&self, base: &str) -> String {
        format!("{}/{base}.key", self.cert_dir)
    }
}

/// A failure with what went wrong (naming the file) and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub fix: String,
}

impl Problem {
    pub fn new(message: impl Into<String>, fix: impl Into<String>) -> Problem {
        Problem { message: message.into(), fix: fix.into() }
    }

    pub fn from_gate(e: crate::engine::gate::GateError) -> Problem {
        Problem::new(e.to_string(), e.hint())
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n  fix: {}", self.message, self.fix)
    }
}

impl std::error::Error for Problem {}

/// Reads a host file through the gate; an I/O error other than "absent" is a problem.
fn read(gate: &WriteGate, path: &str) -> Result<Option<Vec<u8>>, Problem> {
    gate.read(path).map_err(|e| Problem::new(e.to_string(), e.hint()))
}

/// A CA certificate and, unless the CA is external, its key.
pub(crate) struct LoadedCa {
    pub cert: Certificate,
    pub key: Option<KeyPair>,
}

/// Loads `<base>.crt` and `<base>.key` of a CA; a missing certificate is a problem.
pub(crate) fn load_ca(gate: &WriteGate, s: &CertsSettings, ca: &CaInfo) -> Result<LoadedCa, Problem> {
    let (crt, key_file) = (s.cert_path(ca.base), s.key_path(ca.base));
    let pem = read(gate, &crt)?.ok_or_else(|| Problem::new(format!("the {} certificate {crt} is missing", ca.name), "restore it from a backup (/etc/kubernetes/tmp/kubelift-backup-*), or pass --cert-dir/--config if the PKI lives elsewhere"))?;
    let cert = Certificate::parse_pem(&pem).map_err(|e| Problem::new(format!("{crt}: {e}"), "restore the file from a backup (/etc/kubernetes/tmp/kubelift-backup-*)"))?;
    let key = match read(gate, &key_file)? {
        Some(pem) => Some(KeyPair::from_pem(&pem).map_err(|e| Problem::new(format!("{key_file}: {e}"), "restore the key from a backup (/etc/kubernetes/tmp/kubelift-backup-*)"))?),
        None => None,
    };
    if let Some(k) = &key {
        if !cert.matches_key(k) {
            return Err(Problem::new(format!("{crt} and {key_file} do not belong together"), "restore the matching pair from a backup (/etc/kubernetes/tmp/kubelift-backup-*)"));
        }
    }
    Ok(LoadedCa { cert, key })
}

/// The certificate of an item: `None` when its file is absent.
pub(crate) fn read_item(gate: &WriteGate, s: &CertsSettings, item: &Item) -> Result<Option<Certificate>, Problem> {
    let file = item.file(s);
    let Some(bytes) = read(gate, &file)? else { return Ok(None) };
    let damaged = |e: String| Problem::new(format!("{file}: {e}"), format!("restore it from a backup (/etc/kubernetes/tmp/kubelift-backup-*), or delete it and run `kubelift phase {}`", phase_of(item)));
    let pem = match item.source {
        Source::Pki { .. } => bytes,
        Source::Kubeconfig { .. } => crate::kubeconfig::current_client_cert(&bytes).ok_or_else(|| damaged("the current context's user has no embedded client certificate (client-certificate-data)".into()))?,
    };
    Certificate::parse_pem(&pem).map(Some).map_err(|e| damaged(e.to_string()))
}

/// The init phase that creates an item, for fixes.
fn phase_of(item: &Item) -> String {
    match item.source {
        Source::Pki { .. } => format!("certs/{}", item.name),
        Source::Kubeconfig { file } => format!("kubeconfig/{}", file.trim_end_matches(".conf")),
    }
}

/// Whether a CA is external: its certificate is here, its key is not
/// (kubeadm's `UsingExternalCA` test, without the leaf checks).
pub(crate) fn is_external(gate: &WriteGate, s: &CertsSettings, ca: &CaInfo) -> bool {
    gate.exists(&s.cert_path(ca.base)) && !gate.exists(&s.key_path(ca.base))
}
