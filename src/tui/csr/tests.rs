//! The CSR screen without a cluster: its update functions fed with watch
//! updates of real (signed PEM) requests, and insta snapshots of the whole
//! TUI at 80x24 and 120x40 (the conventions of src/tui/tests.rs).

use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::*;
use crate::csr::model::SortKey;
use crate::tui::keys::{self, Action, Context};
use crate::config::{HostDefaults, InitSettings, JoinSettings};
use crate::csr::actions::{Kind, Outcome};
use crate::csr::policy::NodeFacts;
use crate::csr::request::fleet;
use crate::csr::{Level, State};
use crate::tui::app::{self, App, Cmd, Msg, Screen, Session};
use crate::tui::host::HostFacts;
use crate::tui::theme::Theme;
use crate::tui::view;
use crate::tui::welcome::{Task, TASKS};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

/// 40 requests from 8 nodes (real PEMs), made once for every test.
fn small_fleet() -> &'static (Vec<CertificateSigningRequest>, Vec<NodeFacts>) {
    static FLEET: OnceLock<(Vec<CertificateSigningRequest>, Vec<NodeFacts>)> = OnceLock::new();
    FLEET.get_or_init(|| fleet(40, 8, now()).unwrap())
}

/// Watch updates as the driver delivers them: through a [`Feed`], which decodes.
fn feed(s: &mut CsrScreen, updates: Vec<Update>) {
    let mut feed = Feed::default();
    for u in updates {
        update(s, feed.message(u, now()));
    }
}

/// What the watch sends at start: every Node and CSR, then "synced".
fn listing(objects: &[CertificateSigningRequest], nodes: &[NodeFacts]) -> Vec<Update> {
    let mut u = vec![Update::NodeRestarted];
    u.extend(nodes.iter().cloned().map(Update::NodeApplied));
    u.push(Update::NodesSynced);
    u.push(Update::CsrRestarted);
    u.extend(objects.iter().cloned().map(Update::CsrApplied));
    u.push(Update::CsrSynced);
    u
}

fn live(objects: &[CertificateSigningRequest], nodes: &[NodeFacts]) -> CsrScreen {
    let mut s = CsrScreen::new(Policy::default(), false);
    update(&mut s, CsrMsg::Connected { kubeconfig: PathBuf::from("/etc/kubernetes/admin.conf"), server: "https://10.0.0.1:6443".into() });
    feed(&mut s, listing(objects, nodes));
    s.prepare();
    s
}

fn screen() -> CsrScreen {
    let (objects, nodes) = small_fleet();
    live(objects, nodes)
}

fn key_event(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// A key through the registry, as the app routes it.
fn press(s: &mut CsrScreen, code: KeyCode) -> Vec<CsrCmd> {
    let event = key_event(code);
    let action = keys::action_for(s.context(), &event);
    on_key(s, event, action)
}

fn type_text(s: &mut CsrScreen, text: &str) {
    for ch in text.chars() {
        press(s, KeyCode::Char(ch));
    }
}

fn ctrl_u(s: &mut CsrScreen) {
    let event = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
    let action = keys::action_for(s.context(), &event);
    assert_eq!(action, Some(Action::ClearField));
    on_key(s, event, action);
}

fn visible_names(s: &CsrScreen) -> Vec<String> {
    s.list.window(0, usize::MAX, now()).into_iter().map(|r| r.name).collect()
}

fn current(s: &CsrScreen) -> String {
    s.list.at_cursor().unwrap().request.name.clone()
}

/// Moves the cursor onto `name`.
fn cursor_on(s: &mut CsrScreen, name: &str) {
    press(s, KeyCode::Home);
    while current(s) != name {
        let before = s.list.cursor();
        press(s, KeyCode::Down);
        assert_ne!(before, s.list.cursor(), "{name} is not shown");
    }
}

fn written(cmds: Vec<CsrCmd>) -> Vec<actions::Action> {
    match cmds.as_slice() {
        [CsrCmd::Write { actions, .. }] => actions.clone(),
        other => panic!("expected one write, got {other:?}"),
    }
}

// ---- filter, sort, select ----

#[test]
fn the_list_shows_pending_requests_newest_first_and_p_shows_all() {
    let mut s = screen();
    let pending = visible_names(&s);
    assert_eq!(pending.len(), 38, "40 minus the two issued ones (19, 39)");
    assert_eq!(pending[0], "csr-00000", "newest first");
    assert!(!pending.contains(&"csr-00019".to_string()));
    press(&mut s, KeyCode::Char('p'));
    assert_eq!(visible_names(&s).len(), 40);
    press(&mut s, KeyCode::Char('p'));
    assert_eq!(visible_names(&s).len(), 38);
}

#[test]
fn the_text_filter_narrows_as_you_type_and_esc_clears_it() {
    let mut s = screen();
    press(&mut s, KeyCode::Char('/'));
    assert_eq!(s.context(), Context::CsrFilter);
    type_text(&mut s, "node-3");
    let shown = visible_names(&s);
    assert!(!shown.is_empty());
    assert!(shown.iter().all(|n| s.list.get(n).unwrap().request.username == "system:node:node-3"), "{shown:?}");
    // Letters that are keys of the list (a, d, p) are text here.
    type_text(&mut s, "apd");
    assert_eq!(s.list.filter().text, "node-3apd");
    assert!(visible_names(&s).is_empty());
    press(&mut s, KeyCode::Backspace);
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.context(), Context::Csr);
    assert_eq!(s.list.filter().text, "");
    assert_eq!(visible_names(&s).len(), 38);
    press(&mut s, KeyCode::Char('/'));
    type_text(&mut s, "bootstrap");
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.context(), Context::Csr, "Enter keeps the filter and gives the keys back to the list");
    assert_eq!(visible_names(&s).len(), 5, "the bootstrap client requests: 6, 13, 20, 27, 34");
}

#[test]
fn s_cycles_through_the_signers_then_back_to_all() {
    let mut s = screen();
    press(&mut s, KeyCode::Char('s'));
    assert_eq!(s.list.filter().signer.as_deref(), Some(crate::csr::KUBELET_CLIENT));
    assert!(visible_names(&s).iter().all(|n| s.list.get(n).unwrap().request.signer == crate::csr::KUBELET_CLIENT));
    press(&mut s, KeyCode::Char('s'));
    assert_eq!(s.list.filter().signer.as_deref(), Some(crate::csr::KUBELET_SERVING));
    press(&mut s, KeyCode::Char('s'));
    assert_eq!(s.list.filter().signer, None);
}

#[test]
fn o_cycles_the_sort_key_r_reverses_and_the_cursor_goes_to_the_top() {
    let mut s = screen();
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Char('o'));
    assert_eq!(s.list.sort().key, SortKey::Name);
    assert_eq!(s.list.cursor(), 0);
    assert_eq!(visible_names(&s)[0], "csr-00000");
    press(&mut s, KeyCode::Char('r'));
    assert!(s.list.sort().descending);
    assert_eq!(visible_names(&s)[0], "csr-00038");
    for _ in 0..3 {
        press(&mut s, KeyCode::Char('o'));
    }
    assert_eq!(s.list.sort().key, SortKey::Verdict);
    let first = s.list.get(&visible_names(&s)[0]).unwrap();
    assert_eq!(first.verdict.level, Level::Fail, "descending verdict: failing first");
}

#[test]
fn space_toggles_and_moves_on_a_selects_passing_only_x_clears() {
    let mut s = screen();
    press(&mut s, KeyCode::Char(' '));
    assert!(s.list.is_selected("csr-00000"));
    assert_eq!(s.list.cursor(), 1, "space moves on, to select a run quickly");
    cursor_on(&mut s, "csr-00000");
    press(&mut s, KeyCode::Char(' '));
    assert!(!s.list.is_selected("csr-00000"));
    press(&mut s, KeyCode::Char('A'));
    let selected: Vec<&str> = s.list.selected().iter().map(|e| e.request.name.as_str()).collect();
    assert!(!selected.is_empty());
    assert!(s.list.selected().iter().all(|e| e.verdict.passed() && e.request.is_pending()));
    assert!(!selected.contains(&"csr-00009"), "the foreign IP fails");
    press(&mut s, KeyCode::Char('x'));
    assert!(s.list.selected().is_empty());
}

#[test]
fn paging_moves_by_the_rows_the_last_frame_showed() {
    let mut s = screen();
    s.page.set(7);
    press(&mut s, KeyCode::PageDown);
    assert_eq!(s.list.cursor(), 7);
    press(&mut s, KeyCode::End);
    assert_eq!(s.list.cursor(), 37);
    press(&mut s, KeyCode::PageDown);
    assert_eq!(s.list.cursor(), 37, "clamped at the last row");
    press(&mut s, KeyCode::Char('g'));
    assert_eq!(s.list.cursor(), 0);
}

// ---- approve, deny, force ----

#[test]
fn approving_a_selection_lists_it_and_leaves_out_the_failing_one() {
    let mut s = screen();
    for name in ["csr-00008", "csr-00009", "csr-00010"] {
        cursor_on(&mut s, name);
        press(&mut s, KeyCode::Char(' '));
    }
    assert!(press(&mut s, KeyCode::Char('a')).is_empty(), "a only opens the dialog");
    let Some(dialog @ Dialog::Approve { .. }) = &s.dialog else { panic!("the approve dialog") };
    assert_eq!(dialog.targets().iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["csr-00008", "csr-00009", "csr-00010"]);
    assert_eq!(dialog.left_out().iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["csr-00009"]);
    let actions = written(press(&mut s, KeyCode::Char('y')));
    let names: Vec<_> = actions.iter().map(|a| a.object.metadata.name.clone().unwrap()).collect();
    assert_eq!(names, ["csr-00008", "csr-00010"]);
    assert!(actions.iter().all(|a| a.kind == Kind::Approve && a.message.contains("all") && a.message.contains("checks passed")));
    assert!(s.dialog.is_none());
    assert_eq!(s.note.as_deref(), Some("not approved (failing checks, not forced): csr-00009"));
    assert!(s.list.selected().is_empty(), "what was decided leaves the selection");
    assert_eq!(s.writes.in_flight, 2);
}

#[test]
fn a_failing_request_is_approved_only_after_f_in_the_dialog() {
    let mut s = screen();
    cursor_on(&mut s, "csr-00009");
    assert!(!s.enabled(Action::Force), "F means nothing outside the dialog");
    press(&mut s, KeyCode::Char('F'));
    assert!(s.dialog.is_none());
    press(&mut s, KeyCode::Char('a'));
    assert!(s.enabled(Action::Force));
    assert!(press(&mut s, KeyCode::Enter).is_empty(), "nothing passes: nothing is written");
    let error = s.dialog.as_ref().and_then(Dialog::error).expect("the dialog stays and says why");
    assert!(error.contains("press F"), "{error}");
    press(&mut s, KeyCode::Char('F'));
    press(&mut s, KeyCode::Char('F'));
    assert!(press(&mut s, KeyCode::Enter).is_empty(), "F twice is no force");
    press(&mut s, KeyCode::Char('F'));
    let actions = written(press(&mut s, KeyCode::Char('y')));
    assert_eq!(actions.len(), 1);
    assert!(actions[0].message.contains("forced despite") && actions[0].message.contains("fail"), "{}", actions[0].message);
}

#[test]
fn deny_needs_a_reason_and_sends_it() {
    let mut s = screen();
    cursor_on(&mut s, "csr-00001");
    press(&mut s, KeyCode::Char('d'));
    assert_eq!(s.context(), Context::CsrDeny);
    assert!(press(&mut s, KeyCode::Enter).is_empty());
    assert!(s.dialog.as_ref().and_then(Dialog::error).unwrap().contains("reason is required"));
    type_text(&mut s, "   ");
    assert!(press(&mut s, KeyCode::Enter).is_empty(), "blanks are no reason");
    ctrl_u(&mut s);
    type_text(&mut s, "not our node (yet)");
    let actions = written(press(&mut s, KeyCode::Enter));
    assert_eq!(actions.len(), 1);
    assert_eq!((actions[0].kind, actions[0].message.as_str()), (Kind::Deny, "not our node (yet)"));
}

#[test]
fn ctrl_u_clears_the_reason_and_esc_writes_nothing() {
    let mut s = screen();
    press(&mut s, KeyCode::Char('d'));
    type_text(&mut s, "typo");
    ctrl_u(&mut s);
    assert!(matches!(&s.dialog, Some(Dialog::Deny { reason, .. }) if reason.is_empty()));
    assert!(press(&mut s, KeyCode::Esc).is_empty());
    assert!(s.dialog.is_none());
    assert_eq!(s.note.as_deref(), Some("nothing was written"));
}

#[test]
fn decided_requests_cannot_be_approved_again() {
    let mut s = screen();
    press(&mut s, KeyCode::Char('p'));
    cursor_on(&mut s, "csr-00019");
    assert_eq!(s.list.at_cursor().unwrap().request.state, State::Issued);
    press(&mut s, KeyCode::Char('a'));
    assert!(s.dialog.is_none());
    assert!(s.note.as_deref().unwrap().contains("csr-00019 already decided"));
}

#[test]
fn reports_count_up_and_keep_the_last_failure() {
    let mut s = screen();
    press(&mut s, KeyCode::Char('A'));
    press(&mut s, KeyCode::Char('a'));
    let n = written(press(&mut s, KeyCode::Char('y'))).len();
    assert_eq!(s.writes.in_flight, n);
    let report = |name: &str, outcome| CsrMsg::Written(Box::new(Report { name: name.into(), kind: Kind::Approve, outcome, attempts: 1 }));
    update(&mut s, report("csr-00000", Outcome::Done));
    update(&mut s, report("csr-00001", Outcome::Refused("it is already Denied".into())));
    assert_eq!((s.writes.done, s.writes.failed, s.writes.in_flight), (1, 1, n - 2));
    assert_eq!(s.writes.last_failure.as_deref(), Some("csr-00001 not approved: it is already Denied"));
}

// ---- the watch ----

#[test]
fn watch_errors_show_until_the_watch_lists_again() {
    let mut s = screen();
    feed(&mut s, vec![Update::WatchError("watching CertificateSigningRequests: connection refused".into())]);
    assert!(s.watch_error.is_some());
    let (objects, _) = small_fleet();
    let mut fresh = objects[3].clone();
    fresh.status = Some(k8s_openapi::api::certificates::v1::CertificateSigningRequestStatus {
        conditions: Some(vec![k8s_openapi::api::certificates::v1::CertificateSigningRequestCondition { type_: "Denied".into(), status: "True".into(), ..Default::default() }]),
        certificate: None,
    });
    feed(&mut s, vec![Update::CsrRestarted, Update::CsrApplied(fresh), Update::CsrSynced]);
    s.prepare();
    assert!(s.watch_error.is_none());
    assert!(visible_names(&s).is_empty(), "the relist dropped the others, and csr-00003 is decided now");
    press(&mut s, KeyCode::Char('p'));
    assert_eq!(visible_names(&s), ["csr-00003"]);
}

#[test]
fn the_feed_decodes_each_object_once_and_forgets_deleted_ones() {
    let (objects, _) = small_fleet();
    let mut feed = Feed::default();
    let decoded = |msg: CsrMsg| match msg {
        CsrMsg::Decoded { request, .. } => request.decoded.clone(),
        other => panic!("expected a decoded request, got {other:?}"),
    };
    let first = decoded(feed.message(Update::CsrApplied(objects[0].clone()), now()));
    assert!(first.is_ok());
    let mut changed = objects[0].clone();
    changed.metadata.resource_version = Some("2".into());
    let again = decoded(feed.message(Update::CsrApplied(changed), now()));
    assert!(std::sync::Arc::ptr_eq(&first, &again), "an update of the same uid is not decoded again");
    feed.message(Update::CsrApplied(objects[1].clone()), now());
    assert_eq!(feed.len(), 2);
    assert!(matches!(feed.message(Update::CsrDeleted("csr-00000".into()), now()), CsrMsg::Watch { .. }));
    assert_eq!(feed.len(), 1);
    // A relist that no longer holds csr-00001 drops its decoding at the end.
    feed.message(Update::CsrRestarted, now());
    feed.message(Update::CsrApplied(objects[2].clone()), now());
    feed.message(Update::CsrSynced, now());
    assert_eq!(feed.len(), 1);
}

#[test]
fn the_cursor_stays_on_its_request_when_newer_ones_arrive_above() {
    let (objects, nodes) = small_fleet();
    let mut s = live(&objects[5..], nodes);
    cursor_on(&mut s, "csr-00007");
    let row = s.list.cursor();
    // Newer requests (csr-00000..4) arrive: sorted by age, they go above.
    let mut feed = Feed::default();
    for o in &objects[..5] {
        update(&mut s, feed.message(Update::CsrApplied(o.clone()), now()));
    }
    s.prepare();
    assert_eq!(current(&s), "csr-00007");
    assert_eq!(s.list.cursor(), row + 5);
    // When it goes, the cursor keeps its row.
    update(&mut s, feed.message(Update::CsrDeleted("csr-00007".into()), now()));
    s.prepare();
    assert_eq!(s.list.cursor(), row + 5);
}

#[test]
fn the_clock_moves_the_ages() {
    let mut s = screen();
    assert_eq!(s.list.window(0, 1, s.now)[0].age, "5s");
    update(&mut s, CsrMsg::Clock(now() + chrono::TimeDelta::minutes(10)));
    assert_eq!(s.list.window(0, 1, s.now)[0].age, "10m");
    update(&mut s, CsrMsg::Clock(now()));
    assert_eq!(s.list.window(0, 1, s.now)[0].age, "10m", "a clock never goes back");
}

#[test]
fn keys_before_the_first_listing_do_nothing() {
    let mut s = CsrScreen::new(Policy::default(), false);
    for code in [KeyCode::Char('a'), KeyCode::Char('d'), KeyCode::Char(' '), KeyCode::Char('A')] {
        assert!(press(&mut s, code).is_empty());
        assert!(s.dialog.is_none());
    }
}

// ---- entry points ----

fn app() -> App {
    let host = HostFacts { defaults: HostDefaults { hostname: "cp1".into(), default_address: Some("10.0.0.10".parse().unwrap()), cri_sockets: vec![] }, addresses: vec![] };
    let session = Session { dry_run: false, root: "/".into(), log_file: None, host, base: InitSettings::empty(), join_base: JoinSettings::empty() };
    App::new(session, Theme::colored())
}

fn app_key(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    app::update(app, Msg::Key(key_event(code)))
}

#[test]
fn welcome_opens_the_screen_on_this_machines_cluster_and_esc_comes_back() {
    let mut a = app();
    a.welcome.selected = TASKS.iter().position(|t| t.task == Task::ApproveCerts).unwrap();
    let cmds = app_key(&mut a, KeyCode::Enter);
    assert_eq!(a.screen, Screen::Csr);
    assert!(matches!(cmds.as_slice(), [Cmd::Csr(CsrCmd::Connect { kubeconfig: None, root })] if root == &PathBuf::from("/")));
    assert!(app_key(&mut a, KeyCode::Char('?')).is_empty());
    assert!(a.modal.is_some(), "? opens the help");
    app_key(&mut a, KeyCode::Esc);
    let cmds = app_key(&mut a, KeyCode::Esc);
    assert_eq!(a.screen, Screen::Welcome);
    assert!(matches!(cmds.as_slice(), [Cmd::Csr(CsrCmd::Stop)]), "leaving stops the watch");
    assert!(!a.quit);
}

#[test]
fn after_a_dry_run_install_the_screen_says_there_is_no_cluster() {
    let mut a = app();
    a.screen = Screen::Done;
    a.done.dry_run_dir = Some("/tmp/kubelift-dry-run-x".into());
    a.done.admin_conf = "/tmp/kubelift-dry-run-x/etc/kubernetes/admin.conf".into();
    assert!(app_key(&mut a, KeyCode::Char('a')).is_empty(), "nothing to connect to");
    assert_eq!(a.screen, Screen::Csr);
    assert!(matches!(&a.csr.link, Link::NoCluster { why } if why.contains("dry run")));
    app_key(&mut a, KeyCode::Esc);
    assert_eq!(a.screen, Screen::Done);
}

#[test]
fn after_a_real_install_the_screen_uses_the_admin_conf_it_wrote() {
    let mut a = app();
    a.screen = Screen::Done;
    a.done.admin_conf = "/etc/kubernetes/admin.conf".into();
    let cmds = app_key(&mut a, KeyCode::Char('a'));
    assert!(matches!(cmds.as_slice(), [Cmd::Csr(CsrCmd::Connect { kubeconfig: Some(k), .. })] if k == &PathBuf::from("/etc/kubernetes/admin.conf")));
}

#[test]
fn opened_by_kubelift_csr_esc_leaves() {
    let mut a = app();
    a.screen = Screen::Csr;
    a.csr_back = None;
    app_key(&mut a, KeyCode::Esc);
    assert!(a.quit);
}

// ---- snapshots ----

fn render(a: &mut App, width: u16, height: u16) -> String {
    app::prepare(a);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::draw(f, a)).unwrap();
    terminal.backend().to_string()
}

/// Snapshots one state at both sizes the TUI must work at.
macro_rules! snapshot {
    ($name:expr, $app:expr) => {
        insta::assert_snapshot!(concat!($name, "_80x24"), render(&mut $app, 80, 24));
        insta::assert_snapshot!(concat!($name, "_120x40"), render(&mut $app, 120, 40));
    };
}

fn on_screen(s: CsrScreen) -> App {
    let mut a = app();
    a.csr = s;
    a.csr_back = Some(Screen::Welcome);
    a.screen = Screen::Csr;
    a
}

#[test]
fn csr_screen_empty() {
    let mut a = on_screen(live(&[], &[]));
    snapshot!("csr_empty", a);
}

#[test]
fn csr_screen_with_5000_requests() {
    let (objects, nodes) = fleet(5000, 50, now()).unwrap();
    let mut s = live(&objects, &nodes);
    assert_eq!(s.list.tally().total, 5000);
    s.show_details = false;
    s.page.set(10);
    for _ in 0..123 {
        press(&mut s, KeyCode::PageDown);
    }
    press(&mut s, KeyCode::Char(' '));
    press(&mut s, KeyCode::Char(' '));
    let mut a = on_screen(s);
    snapshot!("csr_many", a);
}

#[test]
fn csr_screen_detail_of_a_failing_request() {
    let mut s = screen();
    cursor_on(&mut s, "csr-00009");
    let mut a = on_screen(s);
    snapshot!("csr_detail", a);
}

#[test]
fn csr_screen_approve_confirm_with_a_failing_request() {
    let mut s = screen();
    for name in ["csr-00008", "csr-00009", "csr-00010"] {
        cursor_on(&mut s, name);
        press(&mut s, KeyCode::Char(' '));
    }
    press(&mut s, KeyCode::Char('a'));
    let mut a = on_screen(s);
    snapshot!("csr_approve_confirm", a);
    press(&mut a.csr, KeyCode::Char('F'));
    snapshot!("csr_approve_forced", a);
}

#[test]
fn csr_screen_deny_reason() {
    let mut s = screen();
    cursor_on(&mut s, "csr-00009");
    press(&mut s, KeyCode::Char('d'));
    press(&mut s, KeyCode::Enter);
    assert!(s.dialog.as_ref().and_then(Dialog::error).is_some());
    type_text(&mut s, "IP 192.0.2.2 is not node-1's");
    assert!(s.dialog.as_ref().and_then(Dialog::error).is_none(), "typing clears the complaint");
    let mut a = on_screen(s);
    snapshot!("csr_deny_reason", a);
}

#[test]
fn csr_screen_connection_failure_and_dry_run() {
    let mut s = CsrScreen::new(Policy::default(), false);
    update(&mut s, CsrMsg::ConnectFailed {
        kubeconfig: Some(PathBuf::from("/etc/kubernetes/admin.conf")),
        problem: "read /etc/kubernetes/admin.conf: permission denied".into(),
        fix: "kubelift could not use /etc/kubernetes/admin.conf: check that it exists and is readable (admin.conf is root's, mode 0600), or give another with --kubeconfig".into(),
    });
    let mut a = on_screen(s);
    snapshot!("csr_connection_failed", a);
    let mut a = on_screen(CsrScreen::without_cluster("This was a dry run: no cluster was created. Install without --dry-run, then press a here again."));
    snapshot!("csr_no_cluster", a);
}

#[test]
fn csr_screen_help_lists_its_keys() {
    let mut a = on_screen(screen());
    app_key(&mut a, KeyCode::Char('?'));
    snapshot!("csr_help", a);
}

#[test]
fn tiny_terminals_draw_without_panicking() {
    let mut a = on_screen(screen());
    for size in [(1, 1), (10, 3), (20, 6), (40, 10), (60, 14)] {
        render(&mut a, size.0, size.1);
    }
    press(&mut a.csr, KeyCode::Char('a'));
    for size in [(1, 1), (10, 3), (20, 6), (40, 10)] {
        render(&mut a, size.0, size.1);
    }
}

#[test]
fn a_request_that_does_not_decode_is_shown_failing_with_why() {
    let (objects, nodes) = small_fleet();
    let mut garbage = objects[0].clone();
    garbage.metadata.name = Some("csr-garbage".into());
    garbage.metadata.uid = Some("uid-garbage".into());
    garbage.spec.request = k8s_openapi::ByteString(b"-----BEGIN CERTIFICATE REQUEST-----\nnot base64\n-----END CERTIFICATE REQUEST-----\n".to_vec());
    let mut s = live(&[garbage], nodes);
    assert_eq!(s.list.at_cursor().unwrap().verdict.level, Level::Fail);
    press(&mut s, KeyCode::Char('a'));
    assert!(press(&mut s, KeyCode::Char('y')).is_empty(), "never approved without force");
    press(&mut s, KeyCode::Esc);
    let mut a = on_screen(s);
    let text = render(&mut a, 120, 40);
    assert!(text.contains("does not decode"), "{text}");
}
