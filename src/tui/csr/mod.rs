//! The CSR screen: the cluster's certificate signing requests, live from a
//! watch, each judged by the policy checks (src/csr/policy.rs); filter, sort,
//! select, and approve or deny after a dialog that says what will be written.
//!
//! All of the screen's logic is in this folder, pure: [`update`] takes a [`CsrMsg`]
//! (watch updates, write reports) and [`on_key`] (input.rs) a key; both return
//! [`CsrCmd`]s, which the driver runs off the render loop. `app.rs` only
//! dispatches to them.

mod dialog;
mod dialog_view;
mod feed;
mod input;
mod view;

use std::cell::Cell;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

pub use dialog::{Dialog, Target};
pub use feed::Feed;
pub use input::on_key;

use super::keys::{Action, Context};
use crate::csr::actions::{self, Report};
use crate::csr::live::Update;
use crate::csr::model::CsrList;
use crate::csr::policy::Policy;
use crate::csr::Request;

/// Rows the list shows before the first frame says how many fit.
const FIRST_PAGE: usize = 10;

/// Where the screen gets its requests from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Finding the kubeconfig and starting the watch.
    Connecting,
    /// The watch runs with this kubeconfig against this server.
    Live { kubeconfig: String, server: String },
    /// There is no cluster to ask (a dry run): why, and what to do instead.
    NoCluster { why: String },
    /// The kubeconfig could not be used: what went wrong, with which file, and the fix.
    Failed { problem: String, kubeconfig: String, fix: String },
}

/// Results from the driver.
#[derive(Debug, Clone)]
pub enum CsrMsg {
    Connected { kubeconfig: PathBuf, server: String },
    ConnectFailed { kubeconfig: Option<PathBuf>, problem: String, fix: String },
    /// One change seen by the watch, stamped with the time it arrived (ages count from it).
    Watch { update: Box<Update>, at: DateTime<Utc> },
    /// A request the watch applied, already decoded by the driver ([`Feed`]).
    Decoded { request: Box<Request>, at: DateTime<Utc> },
    /// One request's approval or denial was written (or refused, or failed).
    Written(Box<Report>),
    /// The wall clock, each second while the screen is open: the AGE column moves.
    Clock(DateTime<Utc>),
}

/// I/O for the driver.
#[derive(Debug, Clone)]
pub enum CsrCmd {
    /// Resolve the kubeconfig (`--kubeconfig`, else admin.conf under `root`,
    /// else $KUBECONFIG), connect, and start the watch.
    Connect { kubeconfig: Option<PathBuf>, root: PathBuf },
    /// Write these approvals or denials, concurrently.
    Write { actions: Vec<actions::Action>, dry_run: bool },
    /// The screen was left: stop the watch (writes in flight finish).
    Stop,
}

/// How the writes sent so far went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Writes {
    pub in_flight: usize,
    pub done: usize,
    pub failed: usize,
    /// The verb of the last batch ("approved", "denied").
    pub past: &'static str,
    /// The last failure, in full (problem and hint).
    pub last_failure: Option<String>,
}

pub struct CsrScreen {
    pub list: CsrList,
    pub link: Link,
    /// The first full listing has arrived.
    pub synced: bool,
    pub dialog: Option<Dialog>,
    /// The text filter takes the keys.
    pub typing_filter: bool,
    pub show_details: bool,
    /// The outcome of the last key (a one-line note), shown under the list.
    pub note: Option<String>,
    /// The watch's last error, until it lists again (it retries with backoff).
    pub watch_error: Option<String>,
    pub writes: Writes,
    /// When the last update arrived: the AGE column counts from it.
    pub now: DateTime<Utc>,
    /// Writes are sent with dryRun=All (`--dry-run`).
    pub dry_run: bool,
    /// The request the cursor was on at the last frame: when the watch adds
    /// or removes rows above it, the cursor stays on that request, not on its
    /// old row (which would now hold another request).
    pub anchor: Option<String>,
    /// List rows the last frame had room for (PgUp/PgDn move by it). Written
    /// by the drawing code, as ratatui's own list state is.
    pub page: Cell<usize>,
}

impl CsrScreen {
    pub fn new(policy: Policy, dry_run: bool) -> CsrScreen {
        CsrScreen {
            list: CsrList::new(policy),
            link: Link::Connecting,
            synced: false,
            dialog: None,
            typing_filter: false,
            show_details: true,
            note: None,
            watch_error: None,
            writes: Writes::default(),
            now: DateTime::<Utc>::UNIX_EPOCH,
            dry_run,
            anchor: None,
            page: Cell::new(FIRST_PAGE),
        }
    }

    /// Opens on a live cluster: the command that connects and starts the watch.
    pub fn open(policy: Policy, dry_run: bool, kubeconfig: Option<PathBuf>, root: PathBuf) -> (CsrScreen, CsrCmd) {
        (CsrScreen::new(policy, dry_run), CsrCmd::Connect { kubeconfig, root })
    }

    /// Opens with nothing to ask (after a dry-run install): the screen says why.
    pub fn without_cluster(why: impl Into<String>) -> CsrScreen {
        let mut screen = CsrScreen::new(Policy::default(), true);
        screen.link = Link::NoCluster { why: why.into() };
        screen
    }

    /// Where keys go: the dialog, the filter being typed, or the list.
    pub fn context(&self) -> Context {
        match (&self.dialog, self.typing_filter) {
            (Some(Dialog::Approve { .. }), _) => Context::CsrApprove,
            (Some(Dialog::Deny { .. }), _) => Context::CsrDeny,
            (None, true) => Context::CsrFilter,
            (None, false) => Context::Csr,
        }
    }

    /// Whether an action does something now (the footer shows only those).
    pub fn enabled(&self, action: Action) -> bool {
        match action {
            Action::Force => matches!(&self.dialog, Some(Dialog::Approve { targets, .. }) if targets.iter().any(Target::fails)),
            Action::Help | Action::Quit | Action::Back => true,
            // Nothing to move, filter or sort before the first listing.
            _ => self.synced,
        }
    }

    /// Makes the list's order ready for a frame drawn from `&self`: once per
    /// frame, not once per update of a burst.
    pub fn prepare(&mut self) {
        self.list.refresh();
        if let Some(row) = self.anchor.as_deref().and_then(|name| self.list.position(name)) {
            self.list.set_cursor(row);
        }
        self.anchor = self.list.at_cursor().map(|e| e.request.name.clone());
    }
}

pub fn update(s: &mut CsrScreen, msg: CsrMsg) -> Vec<CsrCmd> {
    match msg {
        CsrMsg::Connected { kubeconfig, server } => s.link = Link::Live { kubeconfig: kubeconfig.display().to_string(), server },
        CsrMsg::ConnectFailed { kubeconfig, problem, fix } => {
            let kubeconfig = kubeconfig.map_or_else(|| "(none found)".to_string(), |k| k.display().to_string());
            s.link = Link::Failed { problem, kubeconfig, fix };
        }
        CsrMsg::Watch { update, at } => on_watch(s, *update, at),
        CsrMsg::Decoded { request, at } => {
            s.now = s.now.max(at);
            s.list.apply_decoded(*request);
        }
        CsrMsg::Written(report) => on_written(s, &report),
        CsrMsg::Clock(at) => s.now = s.now.max(at),
    }
    vec![]
}

fn on_watch(s: &mut CsrScreen, update: Update, at: DateTime<Utc>) {
    s.now = s.now.max(at);
    match update {
        Update::WatchError(e) => s.watch_error = Some(e),
        Update::CsrSynced => {
            s.synced = true;
            s.watch_error = None;
            s.list.apply(Update::CsrSynced);
        }
        other => {
            s.list.apply(other);
        }
    }
}

fn on_written(s: &mut CsrScreen, report: &Report) {
    let w = &mut s.writes;
    w.in_flight = w.in_flight.saturating_sub(1);
    if report.ok() {
        w.done += 1;
    } else {
        w.failed += 1;
        w.last_failure = Some(report.describe(s.dry_run));
    }
}

#[cfg(test)]
mod tests;
