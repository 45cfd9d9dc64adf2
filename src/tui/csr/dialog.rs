//! The approve and deny dialogs: what will be written, and the rules that
//! decide it. A failing request is approved only when the dialog's force key
//! was pressed while the dialog named it; a denial needs a reason.

use std::sync::Arc;

use k8s_openapi::api::certificates::v1::CertificateSigningRequest;

use crate::csr::actions::{Action, Kind};
use crate::csr::model::Entry;
use crate::csr::Level;

/// One request a dialog is about, as it was when the dialog opened.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub requestor: String,
    pub level: Level,
    /// "all 11 checks passed", or the problems.
    pub summary: String,
    pub pending: bool,
    /// The object as last seen: its resourceVersion guards the write.
    pub object: Arc<CertificateSigningRequest>,
}

impl Target {
    pub fn of(e: &Entry) -> Target {
        Target {
            name: e.request.name.clone(),
            requestor: e.request.username.clone(),
            level: e.verdict.level,
            summary: e.verdict.summary(),
            pending: e.request.is_pending(),
            object: e.request.object.clone(),
        }
    }

    pub fn fails(&self) -> bool {
        self.level == Level::Fail
    }
}

#[derive(Debug, Clone)]
pub enum Dialog {
    Approve {
        targets: Vec<Target>,
        /// The failing targets are approved too.
        force: bool,
        error: Option<String>,
    },
    Deny {
        targets: Vec<Target>,
        reason: String,
        error: Option<String>,
    },
}

impl Dialog {
    pub fn targets(&self) -> &[Target] {
        match self {
            Dialog::Approve { targets, .. } | Dialog::Deny { targets, .. } => targets,
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Dialog::Approve { .. } => Kind::Approve,
            Dialog::Deny { .. } => Kind::Deny,
        }
    }

    pub fn error(&self) -> Option<&str> {
        match self {
            Dialog::Approve { error, .. } | Dialog::Deny { error, .. } => error.as_deref(),
        }
    }

    pub fn with_error(self, message: String) -> Dialog {
        match self {
            Dialog::Approve { targets, force, .. } => Dialog::Approve { targets, force, error: Some(message) },
            Dialog::Deny { targets, reason, .. } => Dialog::Deny { targets, reason, error: Some(message) },
        }
    }

    /// The failing requests an approval leaves out (all of them unless forced).
    pub fn left_out(&self) -> Vec<&Target> {
        match self {
            Dialog::Approve { targets, force: false, .. } => targets.iter().filter(|t| t.fails()).collect(),
            _ => vec![],
        }
    }

    /// The writes a "yes" sends, or why it sends none.
    pub fn actions(&self) -> Result<Vec<Action>, String> {
        match self {
            Dialog::Approve { targets, force, .. } => {
                let actions: Vec<Action> = targets.iter().filter_map(|t| approval(t, *force)).collect();
                if actions.is_empty() {
                    return Err("every request listed fails a check, so nothing would be approved: press F to approve them anyway, or n to cancel".into());
                }
                Ok(actions)
            }
            Dialog::Deny { targets, reason, .. } => {
                let reason = reason.trim();
                if reason.is_empty() {
                    return Err("a reason is required: the requester reads it in the Denied condition; type it, then Enter".into());
                }
                Ok(targets.iter().map(|t| Action { kind: Kind::Deny, object: t.object.clone(), message: reason.to_string() }).collect())
            }
        }
    }

    /// After a yes: the failing requests that were not approved, if any.
    pub fn skipped_note(&self) -> Option<String> {
        let left: Vec<&str> = self.left_out().iter().map(|t| t.name.as_str()).collect();
        (!left.is_empty()).then(|| format!("not approved (failing checks, not forced): {}", left.join(", ")))
    }
}

/// A passing request is approved; a warning one too (a person chose it); a
/// failing one only when forced. The condition's message says which.
fn approval(t: &Target, force: bool) -> Option<Action> {
    let message = match t.level {
        Level::Pass => format!("approved in the kubelift CSR screen: {}", t.summary),
        Level::Warn => format!("approved in the kubelift CSR screen despite: {}", t.summary),
        Level::Fail if force => format!("approved in the kubelift CSR screen, forced despite: {}", t.summary),
        Level::Fail => return None,
    };
    Some(Action { kind: Kind::Approve, object: t.object.clone(), message })
}
