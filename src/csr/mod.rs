//! Certificate signing requests: see what each one really asks for, judge it
//! as kube-controller-manager and kubelet-csr-approver would, approve only
//! what belongs (docs/csr.md).
//!
//! * [`decode`]: the PEM request's subject, SANs, key and signature.
//! * [`policy`]: the checks, per signer, each with a pass/warn/fail result.
//! * [`model`]: the list a screen and `kubelift csr list` share: filters,
//!   sort, selection, and rows built only for what is visible.
//! * [`actions`]: approve and deny through the `/approval` subresource,
//!   many at once, conflicts retried.
//! * [`live`]: CSR and Node watchers merged into one stream of updates.
//! * [`approver`]: the long-running approver of `kubelift csr watch`.
//! * [`request`]: building requests (tests, benchmarks).

pub mod actions;
pub mod approver;
pub mod decode;
pub mod live;
pub mod model;
pub mod policy;
pub mod request;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use k8s_openapi::api::certificates::v1::CertificateSigningRequest;

pub use decode::{DecodeError, Decoded, KeyInfo, Sans};
pub use policy::{Check, Level, NodeFacts, Nodes, Policy, Profile, Verdict};

/// The signer of kubelet serving certificates (never auto-approved by the controller-manager).
pub const KUBELET_SERVING: &str = "kubernetes.io/kubelet-serving";
/// The signer of kubelet client certificates (TLS bootstrap and rotation).
pub const KUBELET_CLIENT: &str = "kubernetes.io/kube-apiserver-client-kubelet";
/// The signer of other client certificates for the API server.
pub const APISERVER_CLIENT: &str = "kubernetes.io/kube-apiserver-client";

/// Where a request stands, from its conditions and certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Pending,
    Approved,
    /// Approved and the signer wrote `status.certificate`.
    Issued,
    Denied,
    /// The signer refused an approved request.
    Failed,
}

impl State {
    /// As kubectl prints the CONDITION column.
    pub fn label(self) -> &'static str {
        match self {
            State::Pending => "Pending",
            State::Approved => "Approved",
            State::Issued => "Approved,Issued",
            State::Denied => "Denied",
            State::Failed => "Approved,Failed",
        }
    }
}

/// One CSR object with its request decoded. Cheap to clone: the object and
/// the decoding are shared.
#[derive(Debug, Clone)]
pub struct Request {
    pub name: String,
    pub uid: String,
    pub created: Option<DateTime<Utc>>,
    pub signer: String,
    pub username: String,
    pub groups: Vec<String>,
    pub usages: Vec<String>,
    pub expiration_seconds: Option<i32>,
    pub state: State,
    /// The object as the server sent it (approval writes it back with one more condition).
    pub object: Arc<CertificateSigningRequest>,
    pub decoded: Arc<Result<Decoded, DecodeError>>,
}

impl Request {
    /// Decodes the object's request.
    pub fn new(object: CertificateSigningRequest) -> Request {
        let decoded = Arc::new(decode::decode(&object.spec.request.0));
        Request::with_decoded(object, decoded)
    }

    /// Reuses an earlier decoding: `spec.request` never changes after creation,
    /// so an update of the same object (same uid) needs no new parse.
    pub fn with_decoded(object: CertificateSigningRequest, decoded: Arc<Result<Decoded, DecodeError>>) -> Request {
        let meta = &object.metadata;
        let spec = &object.spec;
        Request {
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone().unwrap_or_default(),
            created: meta.creation_timestamp.as_ref().map(|t| chrono::DateTime::<Utc>::from_timestamp(t.0.as_second(), t.0.subsec_nanosecond() as u32).unwrap_or_default()),
            signer: spec.signer_name.clone(),
            username: spec.username.clone().unwrap_or_default(),
            groups: spec.groups.clone().unwrap_or_default(),
            usages: spec.usages.clone().unwrap_or_default(),
            expiration_seconds: spec.expiration_seconds,
            state: state_of(&object),
            decoded,
            object: Arc::new(object),
        }
    }

    pub fn is_pending(&self) -> bool {
        self.state == State::Pending
    }

    /// The node a `system:node:<name>` requestor speaks for.
    pub fn requesting_node(&self) -> Option<&str> {
        self.username.strip_prefix("system:node:").filter(|n| !n.is_empty())
    }
}

/// Denied and Failed win over Approved, as in kubectl's printer.
pub fn state_of(csr: &CertificateSigningRequest) -> State {
    let Some(status) = &csr.status else { return State::Pending };
    let has = |t: &str| status.conditions.iter().flatten().any(|c| c.type_ == t && c.status != "False");
    let issued = status.certificate.as_ref().is_some_and(|c| !c.0.is_empty());
    if has("Denied") {
        State::Denied
    } else if has("Failed") {
        State::Failed
    } else if issued {
        State::Issued
    } else if has("Approved") {
        State::Approved
    } else {
        State::Pending
    }
}
