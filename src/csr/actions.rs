//! Approve and deny through the `certificatesigningrequests/approval`
//! subresource, as `kubectl certificate approve|deny` does, but many at once:
//! up to [`Options::concurrency`] requests in flight.
//!
//! Each write is a PUT of the object as last seen plus one condition, so the
//! API server refuses it (409) when someone else changed the request in
//! between; kubelift then reads it again, looks at the new conditions, and
//! tries again (up to [`MAX_ATTEMPTS`], kubectl's figure). A request already
//! in the wanted state is left alone; one in the opposite state is refused,
//! never overwritten (the API server forbids Approved with Denied anyway).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use k8s_openapi::api::certificates::v1::{CertificateSigningRequest, CertificateSigningRequestCondition, CertificateSigningRequestStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, PostParams};

use super::{state_of, State};
use crate::cluster::{Cluster, ClusterError, ErrorClass};

/// The condition reasons kubelift writes, so `kubectl get csr -o yaml` shows who decided.
pub const APPROVE_REASON: &str = "KubeliftApprove";
pub const DENY_REASON: &str = "KubeliftDeny";
/// Conflicts retried per request, as kubectl.
pub const MAX_ATTEMPTS: u32 = 10;
/// Requests in flight by default: enough to keep an API server busy without
/// tripping its max-requests-inflight (400 by default).
pub const DEFAULT_CONCURRENCY: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Approve,
    Deny,
}

impl Kind {
    fn condition(self) -> &'static str {
        match self {
            Kind::Approve => "Approved",
            Kind::Deny => "Denied",
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            Kind::Approve => "approve",
            Kind::Deny => "deny",
        }
    }

    pub fn past(self) -> &'static str {
        match self {
            Kind::Approve => "approved",
            Kind::Deny => "denied",
        }
    }
}

/// One decision to write.
#[derive(Debug, Clone)]
pub struct Action {
    pub kind: Kind,
    /// The object as last seen (its resourceVersion guards the write).
    pub object: Arc<CertificateSigningRequest>,
    /// The condition's message: why (a deny reason, or which checks passed).
    pub message: String,
}

#[derive(Debug, Clone)]
pub enum Outcome {
    /// The condition was written (or, in a dry run, the server accepted it without storing).
    Done,
    /// The request already had the condition; nothing was written.
    Unchanged,
    /// The request has the opposite condition, or was deleted.
    Refused(String),
    Failed(ClusterError),
}

#[derive(Debug, Clone)]
pub struct Report {
    pub name: String,
    pub kind: Kind,
    pub outcome: Outcome,
    /// Writes tried (more than one after conflicts or transient errors).
    pub attempts: u32,
}

impl Report {
    pub fn ok(&self) -> bool {
        matches!(self.outcome, Outcome::Done | Outcome::Unchanged)
    }

    /// One line for people.
    pub fn describe(&self, dry_run: bool) -> String {
        match &self.outcome {
            Outcome::Done if dry_run => format!("{} would be {} (the API server accepted the dry run)", self.name, self.kind.past()),
            Outcome::Done => format!("{} {}", self.name, self.kind.past()),
            Outcome::Unchanged => format!("{} was already {}", self.name, self.kind.past()),
            Outcome::Refused(why) => format!("{} not {}: {why}", self.name, self.kind.past()),
            Outcome::Failed(e) => format!("{} not {}: {e}\n  hint: {}", self.name, self.kind.past(), e.hint()),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub concurrency: usize,
    /// Ask the API server to validate the write without storing it (dryRun=All).
    pub dry_run: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { concurrency: DEFAULT_CONCURRENCY, dry_run: false }
    }
}

/// Runs every action, `concurrency` at a time; reports arrive as they finish.
pub fn execute(cluster: &Cluster, actions: Vec<Action>, options: Options) -> impl Stream<Item = Report> + '_ {
    futures::stream::iter(actions).map(move |a| execute_one(cluster, a, options.dry_run)).buffer_unordered(options.concurrency.max(1))
}

/// Runs every action and collects the reports.
pub async fn execute_all(cluster: &Cluster, actions: Vec<Action>, options: Options) -> Vec<Report> {
    execute(cluster, actions, options).collect().await
}

/// Writes one decision, reading the request again after a conflict.
pub async fn execute_one(cluster: &Cluster, action: Action, dry_run: bool) -> Report {
    let api: Api<CertificateSigningRequest> = Api::all(cluster.client.clone());
    let name = action.object.metadata.name.clone().unwrap_or_default();
    let mut current = (*action.object).clone();
    let started = Instant::now();
    let mut wait = Duration::from_millis(200);
    let mut attempts = 0;
    let report = |outcome, attempts| Report { name: name.clone(), kind: action.kind, outcome, attempts };
    while attempts < MAX_ATTEMPTS {
        if let Some(outcome) = settled(&current, action.kind) {
            return report(outcome, attempts);
        }
        attempts += 1;
        let body = with_condition(current.clone(), action.kind, &action.message);
        let params = PostParams { dry_run, ..PostParams::default() };
        let error = match api.replace_subresource("approval", &name, &params, &body).await {
            Ok(_) => return report(Outcome::Done, attempts),
            Err(e) => e,
        };
        let action_text = format!("{} CertificateSigningRequest {name}", action.kind.verb());
        if is_conflict(&error) {
            // Someone changed it: judge the conditions again on a fresh copy.
            match api.get(&name).await {
                Ok(fresh) => current = fresh,
                Err(e) => return report(fetch_failure(cluster, &action_text, &e), attempts),
            }
            continue;
        }
        let err = ClusterError::from_kube(&action_text, &cluster.server, &error);
        if err.class == ErrorClass::NotFound {
            return report(Outcome::Refused("it no longer exists (deleted, or cleaned up by the controller-manager after 24 h)".into()), attempts);
        }
        if err.class != ErrorClass::Transient || started.elapsed() + wait > cluster.patience {
            return report(Outcome::Failed(err), attempts);
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
    report(Outcome::Failed(ClusterError::new(ErrorClass::Transient, &format!("write the approval of {name}"), &cluster.server, format!("{MAX_ATTEMPTS} conflicting updates in a row"))), attempts)
}

fn fetch_failure(cluster: &Cluster, action: &str, e: &kube::Error) -> Outcome {
    let err = ClusterError::from_kube(action, &cluster.server, e);
    if err.class == ErrorClass::NotFound {
        Outcome::Refused("it no longer exists".into())
    } else {
        Outcome::Failed(err)
    }
}

fn is_conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 409)
}

/// `Some` when the request's conditions already decide the outcome.
fn settled(csr: &CertificateSigningRequest, kind: Kind) -> Option<Outcome> {
    match (state_of(csr), kind) {
        (State::Pending, _) => None,
        (State::Approved | State::Issued | State::Failed, Kind::Approve) => Some(Outcome::Unchanged),
        (State::Denied, Kind::Deny) => Some(Outcome::Unchanged),
        (State::Denied, Kind::Approve) => Some(Outcome::Refused("it is already Denied, and a denied request cannot be approved; the requester must create a new one".into())),
        (_, Kind::Deny) => Some(Outcome::Refused("it is already Approved; a request cannot be both approved and denied (delete it to revoke the approval before it is signed)".into())),
    }
}

/// The object with one more condition, as kubectl appends it.
fn with_condition(mut csr: CertificateSigningRequest, kind: Kind, message: &str) -> CertificateSigningRequest {
    let reason = match kind {
        Kind::Approve => APPROVE_REASON,
        Kind::Deny => DENY_REASON,
    };
    let now = Time(k8s_openapi::jiff::Timestamp::now());
    let condition = CertificateSigningRequestCondition {
        type_: kind.condition().into(),
        status: "True".into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_update_time: Some(now.clone()),
        last_transition_time: Some(now),
    };
    let status = csr.status.get_or_insert_with(CertificateSigningRequestStatus::default);
    status.conditions.get_or_insert_with(Vec::new).push(condition);
    csr
}
