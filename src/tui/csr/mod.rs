//! The CSR screen: the cluster's certificate signing requests, live from a
//! watch, each judged by the policy checks (src/csr/policy.rs); filter, sort,
//! select, and approve or deny after a dialog that says what will be written.
//!
//! All of the screen's logic is here, pure: [`update`] takes a [`CsrMsg`]
//! (watch updates, write reports) and [`on_key`] a key; both return
//! [`CsrCmd`]s, which the driver runs off the render loop. `app.rs` only
//! dispatches to them.

mod dialog;
mod feed;
mod view;

use std::cell::Cell;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent};

pub use dialog::{Dialog, Target};
pub use feed::Feed;

use super::keys::{self, Action, Context};
use crate::csr::actions::{self, Report};
use crate::csr::live::Update;
use crate::csr::model::{CsrList, Filter, Scope, Sort, SortKey};
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
}

/// I/O for the driver.
#[derive(Debug, Clone)]
pub enum CsrCmd {
    /// Resolve the kubeconfig (`--kubeconfig`, else admin.conf under `root`,
    /// else $KUBECONFIG), connect, and start the watch.
    Connect { kubeconfig: Option<PathBuf>, root: PathBuf },
    /// Write these approvals or denials, concurrently.
    Write { actions: Vec<actions::Action>, dry_run: bool },
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
            Action::Approve | Action::Deny | Action::ToggleSelect | Action::SelectPassing | Action::Details => self.synced,
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

/// A key on the CSR screen (help and quit are the app's).
pub fn on_key(s: &mut CsrScreen, key: KeyEvent, action: Option<Action>) -> Vec<CsrCmd> {
    let cmds = match s.context() {
        Context::CsrApprove | Context::CsrDeny => dialog_key(s, key, action),
        Context::CsrFilter => {
            filter_key(s, key, action);
            vec![]
        }
        _ => match action.filter(|a| s.enabled(*a)) {
            Some(a) => list_action(s, a),
            None => vec![],
        },
    };
    s.list.refresh();
    cmds
}

fn list_action(s: &mut CsrScreen, action: Action) -> Vec<CsrCmd> {
    s.note = None;
    let page = s.page.get().max(1) as isize;
    match action {
        Action::Up => s.list.move_cursor(-1),
        Action::Down => s.list.move_cursor(1),
        Action::PageUp => s.list.move_cursor(-page),
        Action::PageDown => s.list.move_cursor(page),
        Action::Top => s.list.cursor_to_top(),
        Action::Bottom => s.list.move_cursor(isize::MAX),
        Action::Details => s.show_details = !s.show_details,
        Action::ToggleSelect => toggle_current(s),
        Action::SelectPassing => {
            let n = s.list.select_visible_passing();
            s.note = Some(format!("selected {n} shown pending request(s) that pass every check"));
        }
        Action::ClearSelection => s.list.clear_selection(),
        Action::ToggleScope => {
            let scope = if s.list.filter().scope == Scope::Pending { Scope::All } else { Scope::Pending };
            set_filter(s, Filter { scope, ..s.list.filter().clone() });
        }
        Action::CycleSigner => cycle_signer(s),
        Action::TextFilter => s.typing_filter = true,
        Action::CycleSort => set_sort(s, Sort { key: next_sort_key(s.list.sort().key), ..s.list.sort() }),
        Action::ReverseSort => set_sort(s, Sort { descending: !s.list.sort().descending, ..s.list.sort() }),
        Action::Approve => open_dialog(s, true),
        Action::Deny => open_dialog(s, false),
        _ => {}
    }
    vec![]
}

fn toggle_current(s: &mut CsrScreen) {
    let Some(name) = s.list.at_cursor().map(|e| e.request.name.clone()) else { return };
    s.list.toggle_selected(&name);
    s.list.move_cursor(1);
}

fn set_filter(s: &mut CsrScreen, filter: Filter) {
    s.list.set_filter(filter);
    s.list.cursor_to_top();
}

fn set_sort(s: &mut CsrScreen, sort: Sort) {
    s.list.set_sort(sort);
    s.list.cursor_to_top();
}

/// All signers, then each signer the list holds in turn.
fn cycle_signer(s: &mut CsrScreen) {
    let mut signers: Vec<String> = s.list.entries().map(|e| e.request.signer.clone()).collect();
    signers.sort();
    signers.dedup();
    let current = s.list.filter().signer.clone();
    let next = match current.and_then(|c| signers.iter().position(|x| *x == c)) {
        Some(i) => signers.get(i + 1).cloned(),
        None => signers.first().cloned(),
    };
    set_filter(s, Filter { signer: next, ..s.list.filter().clone() });
}

pub fn next_sort_key(key: SortKey) -> SortKey {
    match key {
        SortKey::Age => SortKey::Name,
        SortKey::Name => SortKey::Signer,
        SortKey::Signer => SortKey::Requestor,
        SortKey::Requestor => SortKey::Verdict,
        SortKey::Verdict => SortKey::Condition,
        SortKey::Condition => SortKey::Age,
    }
}

/// The dialog for the selection, else the request under the cursor; only
/// pending requests can be decided.
fn open_dialog(s: &mut CsrScreen, approve: bool) {
    let chosen: Vec<Target> = match s.list.selected() {
        sel if !sel.is_empty() => sel.into_iter().map(Target::of).collect(),
        _ => s.list.at_cursor().map(Target::of).into_iter().collect(),
    };
    let (pending, decided): (Vec<Target>, Vec<Target>) = chosen.into_iter().partition(|t| t.pending);
    if pending.is_empty() {
        let names: Vec<&str> = decided.iter().map(|t| t.name.as_str()).collect();
        s.note = Some(match names.is_empty() {
            true => "no request to decide: the list is empty".into(),
            false => format!("nothing to decide: {} already decided (only pending requests can be approved or denied)", names.join(", ")),
        });
        return;
    }
    s.dialog = Some(if approve { Dialog::Approve { targets: pending, force: false, error: None } } else { Dialog::Deny { targets: pending, reason: String::new(), error: None } });
}

fn dialog_key(s: &mut CsrScreen, key: KeyEvent, action: Option<Action>) -> Vec<CsrCmd> {
    let Some(dialog) = s.dialog.take() else { return vec![] };
    match (dialog, action) {
        (_, Some(Action::No)) => s.note = Some("nothing was written".into()),
        (Dialog::Approve { targets, force, .. }, Some(Action::Force)) => s.dialog = Some(Dialog::Approve { targets, force: !force, error: None }),
        (d @ Dialog::Approve { .. }, Some(Action::Yes)) | (d @ Dialog::Deny { .. }, Some(Action::Yes)) => return confirm(s, d),
        (Dialog::Deny { targets, reason, error }, _) => {
            let edited = edit_text(reason.clone(), key, action);
            // The complaint about an empty reason goes once the reason changes.
            let error = if edited == reason { error } else { None };
            s.dialog = Some(Dialog::Deny { targets, reason: edited, error });
        }
        (other, _) => s.dialog = Some(other),
    }
    vec![]
}

/// The dialog was answered yes: the writes, or the dialog again with why not.
fn confirm(s: &mut CsrScreen, dialog: Dialog) -> Vec<CsrCmd> {
    match dialog.actions() {
        Ok(actions) => {
            let names: Vec<String> = dialog.targets().iter().map(|t| t.name.clone()).collect();
            // What was decided leaves the selection; the rest of it stays.
            for name in &names {
                if s.list.is_selected(name) {
                    s.list.toggle_selected(name);
                }
            }
            s.note = dialog.skipped_note();
            s.writes = Writes { in_flight: actions.len(), past: dialog.kind().past(), ..Writes::default() };
            vec![CsrCmd::Write { actions, dry_run: s.dry_run }]
        }
        Err(error) => {
            s.dialog = Some(dialog.with_error(error));
            vec![]
        }
    }
}

fn filter_key(s: &mut CsrScreen, key: KeyEvent, action: Option<Action>) {
    match action {
        Some(Action::Yes) => s.typing_filter = false,
        Some(Action::No) => {
            s.typing_filter = false;
            set_filter(s, Filter { text: String::new(), ..s.list.filter().clone() });
        }
        _ => {
            let text = edit_text(s.list.filter().text.clone(), key, action);
            set_filter(s, Filter { text, ..s.list.filter().clone() });
        }
    }
}

fn edit_text(mut text: String, key: KeyEvent, action: Option<Action>) -> String {
    match (key.code, action) {
        (_, Some(Action::ClearField)) => text.clear(),
        (KeyCode::Backspace, _) => {
            text.pop();
        }
        (KeyCode::Char(ch), None) if keys::is_text(&key) => text.push(ch),
        _ => {}
    }
    text
}

#[cfg(test)]
mod tests;
