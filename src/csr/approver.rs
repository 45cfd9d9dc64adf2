//! The long-running approver of `kubelift csr watch`, with the approval
//! policies of the clustering design (seed 001): `always-reject`, `queue`
//! (leave every request for a person), and, in place of its
//! `insecure-always-approve`, `approve-if-valid`: approve what passes every
//! check, leave the rest pending with the reasons logged.
//!
//! The approver is pure: it takes [`Update`]s, keeps the list model, and says
//! what to do ([`Planned`]); the caller writes the decisions and reports them
//! back with [`Approver::finished`].

use std::collections::HashMap;
use std::str::FromStr;

use super::actions::{Action, Kind};
use super::live::Update;
use super::model::{CsrList, Entry};
use super::policy::{Policy, Verdict};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchPolicy {
    AlwaysReject,
    Queue,
    ApproveIfValid,
}

impl FromStr for WatchPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "always-reject" => Ok(WatchPolicy::AlwaysReject),
            "queue" => Ok(WatchPolicy::Queue),
            "approve-if-valid" => Ok(WatchPolicy::ApproveIfValid),
            "insecure-always-approve" => Err("insecure-always-approve is deliberately not offered: use approve-if-valid, which approves what passes every check".into()),
            other => Err(format!("{other:?} is not a watch policy: use always-reject, queue or approve-if-valid")),
        }
    }
}

impl WatchPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            WatchPolicy::AlwaysReject => "always-reject",
            WatchPolicy::Queue => "queue",
            WatchPolicy::ApproveIfValid => "approve-if-valid",
        }
    }
}

/// What the approver decided about one pending request.
#[derive(Debug, Clone)]
pub enum Planned {
    /// Write this decision, then report it with [`Approver::finished`].
    Write(Action, Verdict),
    /// Leave it pending for a person (`queue`, or a request that does not pass).
    Leave { name: String, signer: String, requestor: String, verdict: Verdict, why: String },
}

pub struct Approver {
    policy: WatchPolicy,
    /// Only requests for this signer (all signers when `None`).
    signer: Option<String>,
    list: CsrList,
    csrs_synced: bool,
    nodes_synced: bool,
    /// Requests whose decision is being written: not planned again meanwhile.
    in_flight: std::collections::HashSet<String>,
    /// What was last said about a left request, so it is logged again only when its verdict changes.
    left: HashMap<String, Verdict>,
}

impl Approver {
    pub fn new(policy: WatchPolicy, signer: Option<String>, checks: Policy) -> Approver {
        Approver { policy, signer, list: CsrList::new(checks), csrs_synced: false, nodes_synced: false, in_flight: Default::default(), left: HashMap::new() }
    }

    pub fn list(&self) -> &CsrList {
        &self.list
    }

    /// Takes one update and plans decisions for the pending requests it
    /// touched. Nothing is decided before both the CSRs and the Nodes have
    /// been listed once: a serving request judged without its Node would fail.
    pub fn update(&mut self, update: Update) -> Vec<Planned> {
        let synced_now = matches!(update, Update::CsrSynced | Update::NodesSynced);
        if let Update::CsrDeleted(name) = &update {
            self.left.remove(name);
        }
        match update {
            Update::CsrSynced => self.csrs_synced = true,
            Update::NodesSynced => self.nodes_synced = true,
            _ => {}
        }
        let touched = self.list.apply(update);
        if !(self.csrs_synced && self.nodes_synced) {
            return vec![];
        }
        let names: Vec<String> = if synced_now { self.list.entries().map(|e| e.request.name.clone()).collect() } else { touched };
        let mut names = names;
        names.sort();
        names.iter().filter_map(|n| self.plan(n)).collect()
    }

    fn plan(&mut self, name: &str) -> Option<Planned> {
        let entry = self.list.get(name)?;
        if !entry.request.is_pending() || self.in_flight.contains(name) || !self.in_scope(entry) {
            self.left.remove(name);
            return None;
        }
        let planned = decide(self.policy, entry);
        match &planned {
            Planned::Write(..) => {
                self.in_flight.insert(name.to_string());
                self.left.remove(name);
            }
            Planned::Leave { verdict, .. } => {
                if self.left.get(name) == Some(verdict) {
                    return None;
                }
                self.left.insert(name.to_string(), verdict.clone());
            }
        }
        Some(planned)
    }

    fn in_scope(&self, e: &Entry) -> bool {
        self.signer.as_ref().is_none_or(|s| *s == e.request.signer)
    }

    /// A planned write finished (either way): the request may be planned again
    /// on its next change if it is still pending.
    pub fn finished(&mut self, name: &str) {
        self.in_flight.remove(name);
    }
}

fn decide(policy: WatchPolicy, e: &Entry) -> Planned {
    let r = &e.request;
    let leave = |why: String| Planned::Leave { name: r.name.clone(), signer: r.signer.clone(), requestor: r.username.clone(), verdict: e.verdict.clone(), why };
    let write = |kind, message: String| Planned::Write(Action { kind, object: r.object.clone(), message }, e.verdict.clone());
    match policy {
        WatchPolicy::AlwaysReject => write(Kind::Deny, "denied by kubelift csr watch --policy always-reject".into()),
        WatchPolicy::Queue => leave("queued for a person (--policy queue)".into()),
        WatchPolicy::ApproveIfValid if e.verdict.passed() => write(Kind::Approve, format!("approved by kubelift csr watch --policy approve-if-valid: {}", e.verdict.summary())),
        WatchPolicy::ApproveIfValid => leave(format!("left pending: {}", e.verdict.summary())),
    }
}
