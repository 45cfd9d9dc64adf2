//! The CSR screen's keys: moving, filtering, sorting and selecting in the
//! list, and answering the approve and deny dialogs. Pure: keys in, the
//! driver's commands out.

use crossterm::event::KeyEvent;

use super::{CsrCmd, CsrScreen, Dialog, Target, Writes};
use crate::csr::model::{Filter, Scope, Sort, SortKey};
use crate::tui::form;
use crate::tui::keys::{Action, Context};

/// A key on the CSR screen (help and quit are the app's).
pub fn on_key(s: &mut CsrScreen, key: KeyEvent, action: Option<Action>) -> Vec<CsrCmd> {
    let cmds = match s.context() {
        Context::CsrApprove | Context::CsrDeny => dialog_key(s, key, action),
        Context::CsrFilter => {
            filter_key(s, key, action);
            vec![]
        }
        _ => {
            if let Some(a) = action.filter(|a| s.enabled(*a)) {
                list_action(s, a);
            }
            vec![]
        }
    };
    s.list.refresh();
    // A key moves the cursor on purpose: it now marks the request to keep.
    s.anchor = s.list.at_cursor().map(|e| e.request.name.clone());
    cmds
}

/// Only the dialogs write, so the list's own keys return no command.
fn list_action(s: &mut CsrScreen, action: Action) {
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

fn next_sort_key(key: SortKey) -> SortKey {
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
            let edited = form::edit_text(reason.clone(), key, action);
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
            let text = form::edit_text(s.list.filter().text.clone(), key, action);
            set_filter(s, Filter { text, ..s.list.filter().clone() });
        }
    }
}
