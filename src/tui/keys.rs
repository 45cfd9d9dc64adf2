//! The one key registry: key handling, the footer hints and the `?` help
//! overlay all read this table, so a key cannot work without being listed
//! (or be listed without working).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where keys are read: a screen, or the dialog on top of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Welcome,
    Preflight,
    /// The choices and join forms: printable keys type into the field.
    Form,
    Review,
    Progress,
    Done,
    /// The reset plan: read it, then ask to reset.
    ResetPlan,
    /// The end of a join or a reset: what happened, what to do next.
    Finished,
    /// A yes/no question.
    Confirm,
    /// Pick one of several answers.
    Choose,
    /// Type a value (a file name).
    Input,
    /// Type a word to agree to something that cannot be undone.
    TypeConfirm,
    Notice,
    Help,
    /// The CSR list.
    Csr,
    /// The CSR screen's approve dialog (yes, no, or force the failing ones).
    CsrApprove,
    /// The CSR screen's deny dialog: printable keys type the reason.
    CsrDeny,
    /// The CSR screen's text filter: printable keys type the filter.
    CsrFilter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    NextField,
    PrevField,
    Left,
    Right,
    Enter,
    Back,
    Quit,
    Help,
    Fix,
    Ignore,
    Recheck,
    Save,
    Retry,
    CopyWorker,
    CopyControlPlane,
    OpenCsr,
    Yes,
    No,
    ClearField,
    Top,
    Bottom,
    /// Show or hide the CSR detail pane.
    Details,
    ToggleSelect,
    SelectPassing,
    ClearSelection,
    Approve,
    Deny,
    /// Approve the failing requests too (only inside the approve dialog).
    Force,
    /// Pending requests only, or all.
    ToggleScope,
    CycleSigner,
    TextFilter,
    CycleSort,
    ReverseSort,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn k(code: KeyCode) -> Key {
    Key { code, mods: KeyModifiers::NONE }
}

const fn c(ch: char) -> Key {
    k(KeyCode::Char(ch))
}

const fn ctrl(ch: char) -> Key {
    Key { code: KeyCode::Char(ch), mods: KeyModifiers::CONTROL }
}

impl Key {
    pub fn name(&self) -> String {
        let base = match self.code {
            KeyCode::Enter => "Enter".to_string(),
            KeyCode::Esc => "Esc".to_string(),
            KeyCode::Tab => "Tab".to_string(),
            KeyCode::BackTab => "S-Tab".to_string(),
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Home => "Home".to_string(),
            KeyCode::End => "End".to_string(),
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(ch) => ch.to_string(),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{}", base.to_uppercase())
        } else {
            base
        }
    }

    fn matches(&self, event: &KeyEvent) -> bool {
        // Terminals report upper-case letters with or without SHIFT; the
        // character itself already says which letter was typed.
        let mods = match event.code {
            KeyCode::Char(_) => event.modifiers - KeyModifiers::SHIFT,
            _ => event.modifiers,
        };
        self.code == event.code && self.mods == mods
    }
}

pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
    /// The footer's word for it; empty keeps it out of the footer (help still lists it).
    pub label: &'static str,
    pub help: &'static str,
    pub contexts: &'static [Context],
}

use Context::*;

const SCREENS: &[Context] = &[Welcome, Preflight, Form, Review, Progress, Done, ResetPlan, Finished];
const LISTS: &[Context] = &[Welcome, Preflight, Review, Progress, Done, ResetPlan, Finished, Choose, Help, Csr];
/// Screens where ? and q are commands, not text.
const COMMAND_SCREENS: &[Context] = &[Welcome, Preflight, Review, Progress, Done, ResetPlan, Finished, Csr];
/// Contexts that type text: every printable key is a character there.
const CSR_TEXT: &[Context] = &[CsrDeny, CsrFilter];

/// Every key kubelift's TUI answers to, per context, in footer order.
pub static BINDINGS: &[Binding] = &[
    Binding { keys: &[k(KeyCode::Up), c('k')], action: Action::Up, label: "", help: "move up", contexts: LISTS },
    Binding { keys: &[k(KeyCode::Down), c('j')], action: Action::Down, label: "", help: "move down", contexts: LISTS },
    Binding { keys: &[k(KeyCode::PageUp)], action: Action::PageUp, label: "", help: "scroll a page up", contexts: &[Review, Progress, ResetPlan, Finished, Help, Csr] },
    Binding { keys: &[k(KeyCode::PageDown)], action: Action::PageDown, label: "", help: "scroll a page down", contexts: &[Review, Progress, ResetPlan, Finished, Help, Csr] },
    Binding { keys: &[k(KeyCode::Home), c('g')], action: Action::Top, label: "", help: "first request", contexts: &[Csr] },
    Binding { keys: &[k(KeyCode::End), c('G')], action: Action::Bottom, label: "", help: "last request", contexts: &[Csr] },
    Binding { keys: &[k(KeyCode::Tab), k(KeyCode::Down)], action: Action::NextField, label: "next", help: "next field", contexts: &[Form] },
    Binding { keys: &[k(KeyCode::BackTab), k(KeyCode::Up)], action: Action::PrevField, label: "", help: "previous field", contexts: &[Form] },
    Binding { keys: &[k(KeyCode::Right)], action: Action::Right, label: "choose", help: "next choice of a field (addresses, versions, add-ons, key types)", contexts: &[Form] },
    Binding { keys: &[k(KeyCode::Left)], action: Action::Left, label: "", help: "previous choice of a field", contexts: &[Form] },
    Binding { keys: &[ctrl('u')], action: Action::ClearField, label: "", help: "clear the field", contexts: &[Form, Input, TypeConfirm, CsrDeny, CsrFilter] },
    Binding { keys: &[k(KeyCode::Enter)], action: Action::Enter, label: "open", help: "open the selected task", contexts: &[Welcome] },
    Binding { keys: &[k(KeyCode::Enter)], action: Action::Enter, label: "continue", help: "go on to the choices (failed checks must be fixed or ignored first)", contexts: &[Preflight] },
    Binding { keys: &[k(KeyCode::Enter)], action: Action::Enter, label: "continue", help: "check every answer and go on (to the review, or run the join)", contexts: &[Form] },
    Binding { keys: &[k(KeyCode::Enter)], action: Action::Enter, label: "install", help: "run every phase of the plan", contexts: &[Review] },
    Binding { keys: &[k(KeyCode::Enter)], action: Action::Enter, label: "done screen", help: "after a successful run: show what to do next (after init: the join commands)", contexts: &[Progress] },
    Binding { keys: &[k(KeyCode::Enter)], action: Action::Enter, label: "reset…", help: "reset this machine: asks you to type `reset` first", contexts: &[ResetPlan] },
    Binding { keys: &[c('f')], action: Action::Fix, label: "fix", help: "show the fix of the selected check, and apply it if you agree", contexts: &[Preflight] },
    Binding { keys: &[c('i')], action: Action::Ignore, label: "ignore", help: "go on despite the selected check (asks first: the install may fail later)", contexts: &[Preflight] },
    Binding { keys: &[c('r')], action: Action::Recheck, label: "re-run", help: "run every check again", contexts: &[Preflight] },
    Binding { keys: &[c('s')], action: Action::Save, label: "save config", help: "save the answers as a kubeadm config file for `kubelift init --non-interactive --config`", contexts: &[Review] },
    Binding { keys: &[c('r')], action: Action::Retry, label: "retry", help: "run again: resumes at the failed phase (the journal remembers what finished); after a reset, plans again", contexts: &[Progress] },
    Binding { keys: &[c('c')], action: Action::CopyWorker, label: "copy join", help: "copy the worker join command to the clipboard (OSC 52)", contexts: &[Done] },
    Binding { keys: &[c('p')], action: Action::CopyControlPlane, label: "copy cp join", help: "copy the control-plane join command to the clipboard (OSC 52)", contexts: &[Done] },
    Binding { keys: &[c('a')], action: Action::OpenCsr, label: "approve certs", help: "approve node certificate requests (the CSR screen)", contexts: &[Done] },
    Binding { keys: &[c('a')], action: Action::Approve, label: "approve", help: "approve the selection, else this request (asks first)", contexts: &[Csr] },
    Binding { keys: &[c('d')], action: Action::Deny, label: "deny", help: "deny the selection, else this request (asks a reason)", contexts: &[Csr] },
    Binding { keys: &[c(' ')], action: Action::ToggleSelect, label: "select", help: "select or unselect this request, then move down", contexts: &[Csr] },
    Binding { keys: &[c('A')], action: Action::SelectPassing, label: "all passing", help: "select every shown pending request that passes", contexts: &[Csr] },
    Binding { keys: &[c('x')], action: Action::ClearSelection, label: "", help: "clear the selection", contexts: &[Csr] },
    Binding { keys: &[c('/')], action: Action::TextFilter, label: "filter", help: "filter by name, requestor, CN or SAN (Esc clears)", contexts: &[Csr] },
    Binding { keys: &[c('p')], action: Action::ToggleScope, label: "pending/all", help: "pending requests only, or all", contexts: &[Csr] },
    Binding { keys: &[c('s')], action: Action::CycleSigner, label: "", help: "one signer's requests, the next signer, then all", contexts: &[Csr] },
    Binding { keys: &[c('o')], action: Action::CycleSort, label: "", help: "sort by the next column (age, name, …, condition)", contexts: &[Csr] },
    Binding { keys: &[c('r')], action: Action::ReverseSort, label: "", help: "reverse the sort", contexts: &[Csr] },
    Binding { keys: &[k(KeyCode::Enter)], action: Action::Details, label: "", help: "show or hide the detail pane", contexts: &[Csr] },
    Binding { keys: &[c('y'), k(KeyCode::Enter)], action: Action::Yes, label: "approve", help: "approve the requests listed (failing ones only when forced)", contexts: &[CsrApprove] },
    Binding { keys: &[c('F')], action: Action::Force, label: "force", help: "also approve the failing requests the dialog names (press again to undo)", contexts: &[CsrApprove] },
    Binding { keys: &[c('n'), k(KeyCode::Esc)], action: Action::No, label: "cancel", help: "close without writing anything", contexts: &[CsrApprove] },
    Binding { keys: &[k(KeyCode::Enter)], action: Action::Yes, label: "deny", help: "deny the requests listed with the reason typed", contexts: &[CsrDeny] },
    Binding { keys: &[k(KeyCode::Enter)], action: Action::Yes, label: "keep", help: "keep the filter and go back to the list", contexts: &[CsrFilter] },
    Binding { keys: &[k(KeyCode::Esc)], action: Action::No, label: "cancel", help: "close without writing anything", contexts: &[CsrDeny] },
    Binding { keys: &[k(KeyCode::Esc)], action: Action::No, label: "clear", help: "clear the filter and go back to the list", contexts: &[CsrFilter] },
    Binding { keys: &[c('y'), k(KeyCode::Enter)], action: Action::Yes, label: "yes", help: "agree", contexts: &[Confirm] },
    Binding { keys: &[c('n'), k(KeyCode::Esc)], action: Action::No, label: "no", help: "decline", contexts: &[Confirm] },
    Binding { keys: &[k(KeyCode::Enter)], action: Action::Enter, label: "choose", help: "answer with the selected choice", contexts: &[Choose] },
    Binding { keys: &[k(KeyCode::Enter)], action: Action::Enter, label: "save", help: "write the file", contexts: &[Input] },
    Binding { keys: &[k(KeyCode::Enter)], action: Action::Enter, label: "reset", help: "reset this machine, if what you typed is `reset`", contexts: &[TypeConfirm] },
    Binding { keys: &[k(KeyCode::Enter), k(KeyCode::Esc)], action: Action::Back, label: "close", help: "close this message", contexts: &[Notice] },
    Binding { keys: &[k(KeyCode::Esc), c('?'), c('q')], action: Action::Back, label: "close", help: "close the help", contexts: &[Help] },
    Binding { keys: &[k(KeyCode::Esc)], action: Action::Back, label: "cancel", help: "cancel without answering", contexts: &[Choose, Input, TypeConfirm] },
    Binding { keys: &[k(KeyCode::Esc)], action: Action::Back, label: "back", help: "back to the previous screen", contexts: SCREENS },
    Binding { keys: &[k(KeyCode::Esc)], action: Action::Back, label: "", help: "back, or leave kubelift when opened by `kubelift csr`", contexts: &[Csr] },
    Binding { keys: &[c('?'), k(KeyCode::F(1))], action: Action::Help, label: "help", help: "list every key of this screen", contexts: COMMAND_SCREENS },
    Binding { keys: &[k(KeyCode::F(1))], action: Action::Help, label: "help", help: "list every key of this screen", contexts: &[Form] },
    Binding { keys: &[c('q')], action: Action::Quit, label: "quit", help: "leave kubelift (asks first while phases run)", contexts: COMMAND_SCREENS },
    Binding { keys: &[ctrl('c')], action: Action::Quit, label: "", help: "leave kubelift (asks first while phases run)", contexts: SCREENS },
    Binding { keys: &[ctrl('c')], action: Action::Quit, label: "", help: "leave kubelift (writes in flight may not all land)", contexts: &[Csr, CsrApprove, CsrDeny, CsrFilter] },
];

/// Lines a scrolling action moves a view by (a page is 10 lines; up is
/// negative); `None` for every other action.
pub fn scroll_step(action: Action) -> Option<i32> {
    match action {
        Action::Up => Some(-1),
        Action::Down => Some(1),
        Action::PageUp => Some(-10),
        Action::PageDown => Some(10),
        _ => None,
    }
}

/// A view's first line after a scrolling action, kept within `0..=last`.
pub fn scrolled(offset: u16, action: Action, last: usize) -> u16 {
    let step = scroll_step(action).unwrap_or(0);
    let last = i32::try_from(last).unwrap_or(i32::MAX).min(i32::from(u16::MAX));
    (i32::from(offset) + step).clamp(0, last) as u16
}

/// The action a key means in `context`, if any.
pub fn action_for(context: Context, event: &KeyEvent) -> Option<Action> {
    BINDINGS
        .iter()
        .filter(|b| b.contexts.contains(&context))
        .find(|b| b.keys.iter().any(|key| key.matches(event)))
        .map(|b| b.action)
}

/// The bindings of a context, in table order.
pub fn bindings(context: Context) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| b.contexts.contains(&context))
}

/// Footer hints: `(keys, label)` for the bindings that have a label and are usable now.
pub fn footer(context: Context, enabled: impl Fn(Action) -> bool) -> Vec<(String, &'static str)> {
    bindings(context)
        .filter(|b| !b.label.is_empty() && enabled(b.action))
        .map(|b| (b.keys[0].name(), b.label))
        .collect()
}

pub fn keys_text(b: &Binding) -> String {
    b.keys.iter().map(Key::name).collect::<Vec<_>>().join("/")
}

/// Does this context type printable keys as text?
pub fn types_text(context: Context) -> bool {
    context == Form || CSR_TEXT.contains(&context)
}

/// Is this key text for a field, rather than a command? (plain or shifted characters)
pub fn is_text(event: &KeyEvent) -> bool {
    matches!(event.code, KeyCode::Char(_)) && (event.modifiers - KeyModifiers::SHIFT).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Context; 18] = [Welcome, Preflight, Form, Review, Progress, Done, ResetPlan, Finished, Confirm, Choose, Input, TypeConfirm, Notice, Help, Csr, CsrApprove, CsrDeny, CsrFilter];

    #[test]
    fn csr_help_fits_one_line_each_in_the_overlay() {
        // The `?` overlay is 72 columns: 16 for the keys, 54 for the text, no scrolling.
        for b in bindings(Csr) {
            assert!(b.help.chars().count() <= 54, "{:?}: {:?} wraps in the help overlay", b.action, b.help);
        }
    }

    #[test]
    fn text_contexts_bind_no_printable_key() {
        for ctx in ALL.into_iter().filter(|c| types_text(*c)) {
            for b in bindings(ctx) {
                for key in b.keys {
                    assert!(!(matches!(key.code, KeyCode::Char(_)) && key.mods.is_empty()), "{ctx:?}: {} would never reach the text", key.name());
                }
            }
        }
    }

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn the_same_key_means_what_its_context_says() {
        assert_eq!(action_for(Preflight, &press(KeyCode::Char('r'))), Some(Action::Recheck));
        assert_eq!(action_for(Progress, &press(KeyCode::Char('r'))), Some(Action::Retry));
        assert_eq!(action_for(Form, &press(KeyCode::Char('q'))), None, "q is text in a form");
        assert_eq!(action_for(Form, &KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Action::Quit));
    }

    #[test]
    fn scrolling_moves_by_lines_and_pages_within_the_view() {
        assert_eq!(scrolled(5, Action::Up, 20), 4);
        assert_eq!(scrolled(5, Action::PageDown, 20), 15);
        assert_eq!(scrolled(15, Action::PageDown, 20), 20, "not past the last line");
        assert_eq!(scrolled(3, Action::PageUp, 20), 0, "not before the first");
        assert_eq!(scrolled(u16::MAX, Action::Down, usize::MAX), u16::MAX);
        assert_eq!(scrolled(7, Action::Enter, 20), 7, "other actions leave it");
        assert_eq!(scroll_step(Action::Back), None);
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        for ctx in ALL {
            let mut seen = vec![];
            for b in bindings(ctx) {
                for key in b.keys {
                    assert!(!seen.contains(key), "{ctx:?}: {} bound twice", key.name());
                    seen.push(*key);
                }
            }
        }
    }

    #[test]
    fn every_context_has_a_way_out_in_its_footer() {
        for ctx in ALL {
            let hints = footer(ctx, |_| true);
            assert!(!hints.is_empty(), "{ctx:?}");
        }
    }
}
