//! The TUI without a terminal: pure update tests, and every screen rendered
//! into ratatui's TestBackend at 80x24 and 120x40 as insta snapshots, with a
//! scripted engine driving the progress and failure screens.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::sync::Arc;
use std::time::Duration;

use super::app::{press, update, App, Cmd, Modal, Msg, RunKind, Screen, Session};
use super::choices::Slot;
use super::host::{Address, HostFacts};
use super::theme::Theme;
use super::{driver, view};
use crate::config::{HostDefaults, InitOverrides, InitSettings, JoinSettings};
use crate::engine::event::{LogLevel, PhaseResult, PhaseSummary};
use crate::engine::{Event, RunStatus, WriteGate};

const TOKEN: &str = "abcdef.0123456789abcdef";

fn host() -> HostFacts {
    let ip = |s: &str| s.parse().unwrap();
    HostFacts {
        defaults: HostDefaults { hostname: "cp1".into(), default_address: Some(ip("10.0.0.10")), cri_sockets: vec![] },
        addresses: vec![Address { interface: "eth0".into(), ip: ip("10.0.0.10") }, Address { interface: "eth1".into(), ip: ip("192.168.56.10") }],
    }
}

/// A session with a fixed token, so that settings resolve the same every time.
fn app() -> App {
    let mut base = InitSettings::empty();
    base.apply(&InitOverrides { token: Some(TOKEN.into()), ..InitOverrides::default() });
    let session = Session { dry_run: true, root: "/".into(), log_file: Some("/tmp/kubelift.log".into()), host: host(), base, join_base: JoinSettings::empty() };
    App::new(session, Theme::colored())
}

fn key(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    update(app, press(code))
}

fn ctrl_c(app: &mut App) -> Vec<Cmd> {
    update(app, Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)))
}

fn type_text(app: &mut App, text: &str) {
    for ch in text.chars() {
        key(app, KeyCode::Char(ch));
    }
}

fn engine(app: &mut App, run: RunKind, events: Vec<Event>) {
    for (i, event) in events.into_iter().enumerate() {
        update(app, Msg::Engine { run, event, at: Duration::from_millis(100 * i as u64) });
    }
}

use crate::engine::event::{CheckFix, CheckStatus, Severity};

fn check(name: &str, severity: &str, status: &str, fix: Option<&str>) -> Event {
    Event::CheckResult {
        phase: "preflight".into(),
        name: name.into(),
        severity: if severity == "error" { Severity::Error } else { Severity::Warning },
        status: match status {
            "passed" => CheckStatus::Passed,
            "warning" => CheckStatus::Warning,
            "failed" => CheckStatus::Failed,
            "ignored" => CheckStatus::Ignored,
            _ => CheckStatus::Skipped,
        },
        message: format!("{name}: {status}"),
        why: format!("{name} matters because the kubelet depends on it"),
        fix: fix.map(|how| CheckFix { how: how.into(), auto: Some(name.into()) }),
    }
}

fn preflight_events() -> Vec<Event> {
    vec![
        Event::RunStarted { workflow: "preflight".into(), dry_run: true, phases: vec![PhaseSummary { id: "preflight".into(), title: "Run pre-flight checks".into() }] },
        check("NumCPU", "error", "passed", None),
        check("Mem", "warning", "warning", Some("give the machine 2 GiB of memory or more")),
        check("Swap", "error", "failed", Some("swapoff -a, and remove swap from /etc/fstab")),
        check("Port-6443", "error", "passed", None),
        Event::RunFinished { status: RunStatus::Failed, duration_ms: 30, dry_run_dir: None, next_steps: vec![] },
    ]
}

const PHASES: [&str; 6] = ["preflight", "certs/ca", "kubeconfig/admin", "control-plane/apiserver", "wait-control-plane", "bootstrap-token"];

fn started() -> Event {
    Event::RunStarted { workflow: "init".into(), dry_run: true, phases: PHASES.iter().map(|p| PhaseSummary { id: (*p).into(), title: format!("the {p} phase") }).collect() }
}

fn done(phase: &str, ms: u64) -> Vec<Event> {
    vec![
        Event::PhaseStarted { phase: phase.into(), title: String::new() },
        Event::Log { phase: phase.into(), level: LogLevel::Info, message: format!("would write the files of {phase}") },
        Event::PhaseFinished { phase: phase.into(), result: PhaseResult::Done, duration_ms: ms, reason: None },
    ]
}

/// The scripted engine: a run that fails in wait-control-plane.
fn failing_run() -> Vec<Event> {
    let mut events = vec![started()];
    for (p, ms) in [("preflight", 12), ("certs/ca", 240), ("kubeconfig/admin", 35), ("control-plane/apiserver", 4)] {
        events.extend(done(p, ms));
    }
    events.push(Event::PhaseStarted { phase: "wait-control-plane".into(), title: String::new() });
    events.push(Event::Warning { phase: "wait-control-plane".into(), message: "kube-apiserver restarted 3 times".into(), hint: None });
    events.push(Event::PhaseFailed { phase: "wait-control-plane".into(), duration_ms: 240_000, error: "the API server did not become healthy within 4m0s".into(), hint: "kube-apiserver exits: etcd refused the connection; check `crictl logs` of etcd".into() });
    events.push(Event::RunFinished { status: RunStatus::Failed, duration_ms: 240_400, dry_run_dir: None, next_steps: vec![] });
    events
}

fn succeeding_run() -> Vec<Event> {
    let mut events = vec![started()];
    for (p, ms) in PHASES.iter().zip([12, 240, 35, 4, 900, 8]) {
        events.extend(done(p, ms));
    }
    events.push(Event::RunFinished { status: RunStatus::Succeeded, duration_ms: 1300, dry_run_dir: Some("/tmp/kubelift-dry-run-test".into()), next_steps: vec![] });
    events
}

fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::draw(f, app)).unwrap();
    terminal.backend().to_string()
}

/// Snapshots one state at both sizes the TUI must work at.
macro_rules! snapshot {
    ($name:expr, $app:expr) => {
        insta::assert_snapshot!(concat!($name, "_80x24"), render(&$app, 80, 24));
        insta::assert_snapshot!(concat!($name, "_120x40"), render(&$app, 120, 40));
    };
}

/// Welcome → preflight (scripted checks, Swap ignored) → choices.
fn at_choices() -> App {
    let mut a = app();
    key(&mut a, KeyCode::Enter);
    engine(&mut a, RunKind::Checks, preflight_events());
    a.preflight.selected = 2;
    key(&mut a, KeyCode::Char('i'));
    key(&mut a, KeyCode::Char('y'));
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.screen, Screen::Choices);
    a
}

fn at_review() -> App {
    let mut a = at_choices();
    let cmds = key(&mut a, KeyCode::Enter);
    let Some(Cmd::Plan(settings)) = cmds.first() else { panic!("review asks for the plan") };
    let root = tempfile::tempdir().unwrap();
    let plan = driver::plan(crate::phases::init, settings, WriteGate::apply(root.path(), "init").unwrap());
    update(&mut a, Msg::Planned(plan));
    a
}

fn at_progress() -> (App, Arc<InitSettings>) {
    let mut a = at_review();
    let cmds = key(&mut a, KeyCode::Enter);
    let Some(Cmd::StartInstall(settings)) = cmds.into_iter().next() else { panic!("install starts") };
    (a, settings)
}

#[test]
fn welcome_screen() {
    snapshot!("welcome", app());
}

#[test]
fn preflight_screen_with_live_checks() {
    let mut a = app();
    let cmds = key(&mut a, KeyCode::Enter);
    assert!(matches!(cmds.as_slice(), [Cmd::RunChecks(_)]));
    assert_eq!(a.screen, Screen::Preflight);
    engine(&mut a, RunKind::Checks, preflight_events());
    a.preflight.selected = 2;
    snapshot!("preflight", a);
}

#[test]
fn a_failed_check_blocks_until_ignored_with_a_warning() {
    let mut a = app();
    key(&mut a, KeyCode::Enter);
    engine(&mut a, RunKind::Checks, preflight_events());
    key(&mut a, KeyCode::Enter);
    assert!(matches!(a.modal, Some(Modal::Notice { .. })), "Swap failed: continuing is refused");
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Char('i'));
    assert!(matches!(&a.modal, Some(Modal::ConfirmIgnore { check, .. }) if check == "Swap"));
    snapshot!("preflight_ignore_warning", a);
    key(&mut a, KeyCode::Char('y'));
    assert!(a.preflight.blocking().is_empty());
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.screen, Screen::Choices);
    let s = a.choices.settings(&a.session.base, &a.session.host, &["Swap".into()]).unwrap();
    assert_eq!(s.init.node_registration.ignore_preflight_errors, vec!["Swap".to_string()]);
}

#[test]
fn fix_shows_the_change_asks_applies_and_rechecks() {
    let mut a = app();
    key(&mut a, KeyCode::Enter);
    engine(&mut a, RunKind::Checks, preflight_events());
    a.preflight.selected = 2;
    let cmds = key(&mut a, KeyCode::Char('f'));
    assert!(matches!(cmds.as_slice(), [Cmd::PreviewFix(name)] if name == "Swap"));
    update(&mut a, Msg::FixPreview { check: "Swap".into(), result: Ok(vec!["run swapoff -a".into(), "write /etc/fstab (0644)".into()]) });
    assert!(matches!(a.modal, Some(Modal::ConfirmFix { .. })));
    snapshot!("preflight_fix_confirm", a);
    let cmds = key(&mut a, KeyCode::Char('y'));
    assert!(matches!(cmds.as_slice(), [Cmd::ApplyFix(name)] if name == "Swap"));
    let cmds = update(&mut a, Msg::FixApplied { check: "Swap".into(), result: Ok(vec!["swap is off".into()]) });
    assert!(matches!(cmds.as_slice(), [Cmd::RunChecks(_)]), "re-checks after the fix");
    assert!(a.preflight.running && a.preflight.checks.is_empty());
}

#[test]
fn a_fix_that_cannot_be_applied_is_explained() {
    let mut a = app();
    key(&mut a, KeyCode::Enter);
    engine(&mut a, RunKind::Checks, preflight_events());
    a.preflight.selected = 2;
    let result = Err("Swap has no automatic fix here: turn swap off with `swapoff -a`, then press r to check again".to_string());
    update(&mut a, Msg::FixPreview { check: "Swap".into(), result });
    let Some(Modal::Notice { title, text }) = &a.modal else { panic!("a notice") };
    assert!(title.contains("cannot be applied") && text.contains("swapoff"), "{title}: {text}");
    assert!(a.modal.is_some() && !a.preflight.running, "nothing was started");
}

#[test]
fn choices_screen_with_detected_defaults() {
    let a = at_choices();
    assert_eq!(a.choices.get(Slot::Advertise), "10.0.0.10");
    assert_eq!(a.choices.get(Slot::PodCidr), "10.244.0.0/16");
    assert!(a.choices.form.is_valid());
    snapshot!("choices", a);
}

#[test]
fn a_bad_cidr_is_shown_beside_its_field_as_you_type() {
    let mut a = at_choices();
    for _ in 0..4 {
        key(&mut a, KeyCode::Tab);
    }
    assert_eq!(a.choices.focused_slot(), Slot::PodCidr);
    key(&mut a, KeyCode::Backspace);
    key(&mut a, KeyCode::Backspace);
    type_text(&mut a, "33");
    let field = &a.choices.form.fields[4];
    assert!(field.error.as_deref().unwrap().contains("couldn't parse subnet"), "{field:?}");
    snapshot!("choices_bad_cidr", a);
    key(&mut a, KeyCode::Tab);
    let cmds = key(&mut a, KeyCode::Enter);
    assert!(cmds.is_empty(), "the review does not open with errors");
    assert_eq!((a.screen, a.choices.focused_slot()), (Screen::Choices, Slot::PodCidr), "focus goes to the field to fix");
    key(&mut a, KeyCode::Backspace);
    key(&mut a, KeyCode::Backspace);
    type_text(&mut a, "16");
    assert!(a.choices.form.is_valid());
    assert!(matches!(key(&mut a, KeyCode::Enter).as_slice(), [Cmd::Plan(_)]));
    assert_eq!(a.screen, Screen::Review);
}

#[test]
fn overlapping_ranges_and_bad_names_land_on_their_fields() {
    let mut a = at_choices();
    type_text(&mut a, "_X");
    assert!(a.choices.form.fields[0].error.is_some());
    update(&mut a, Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)));
    type_text(&mut a, "cp1");
    assert!(a.choices.form.fields[0].error.is_none());
    a.choices.form.focus = 4;
    update(&mut a, Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)));
    type_text(&mut a, "10.96.0.0/16");
    assert!(a.choices.form.fields[4].error.as_deref().unwrap().contains("overlaps"));
}

#[test]
fn picking_an_add_on_moves_the_pod_cidr_unless_typed() {
    let mut a = at_choices();
    a.choices.form.focus = 6;
    key(&mut a, KeyCode::Right);
    assert_eq!((a.choices.get(Slot::Addon), a.choices.get(Slot::PodCidr)), ("Calico", "192.168.0.0/16"));
    a.choices.form.focus = 1;
    key(&mut a, KeyCode::Right);
    assert_eq!(a.choices.get(Slot::Advertise), "192.168.56.10", "←/→ picks the host's interfaces");
}

#[test]
fn review_screen_lists_the_plan() {
    let a = at_review();
    let plan = a.review.plan.as_ref().unwrap();
    assert_eq!(plan.len(), crate::phases::init().len());
    assert!(plan.iter().any(|p| p.changes.iter().any(|c| c.contains("/etc/kubernetes/pki/ca.crt"))));
    snapshot!("review", a);
}

#[test]
fn saving_writes_the_resolved_settings() {
    let mut a = at_review();
    key(&mut a, KeyCode::Char('s'));
    assert!(matches!(a.modal, Some(Modal::SaveAs { .. })));
    snapshot!("review_save_as", a);
    update(&mut a, Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)));
    type_text(&mut a, "/tmp/x.yaml");
    let cmds = key(&mut a, KeyCode::Enter);
    let Some(Cmd::SaveConfig { path, yaml }) = cmds.first() else { panic!("save") };
    assert_eq!(path.to_str(), Some("/tmp/x.yaml"));
    assert_eq!(yaml, &a.review.settings.as_ref().unwrap().to_yaml());
    assert!(yaml.contains(TOKEN), "the replay needs the same token");
    update(&mut a, Msg::Saved(Ok("/tmp/x.yaml".into())));
    assert!(a.modal.is_none());
    assert!(a.review.saved.as_deref().unwrap().contains("--non-interactive --config /tmp/x.yaml"));
}

#[test]
fn progress_screen_while_phases_run() {
    let (mut a, _) = at_progress();
    let mut events = failing_run();
    events.truncate(events.len() - 3);
    engine(&mut a, RunKind::Install, events);
    update(&mut a, Msg::Tick(Duration::from_secs(42)));
    assert!(a.busy());
    snapshot!("progress_running", a);
    ctrl_c(&mut a);
    assert_eq!(a.modal, Some(Modal::ConfirmQuit), "Ctrl-C asks while phases run");
    snapshot!("progress_confirm_quit", a);
    key(&mut a, KeyCode::Char('n'));
    assert!(!a.quit);
}

#[test]
fn failure_shows_the_diagnosis_and_retry_resumes() {
    let (mut a, settings) = at_progress();
    engine(&mut a, RunKind::Install, failing_run());
    let failure = a.progress.failure.clone().unwrap();
    assert_eq!(failure.phase, "wait-control-plane");
    snapshot!("progress_failed", a);
    let cmds = key(&mut a, KeyCode::Char('r'));
    let Some(Cmd::StartInstall(again)) = cmds.first() else { panic!("retry runs again") };
    assert!(Arc::ptr_eq(again, &settings), "the same settings, so the journal's fingerprint matches and the run resumes");
    assert!(a.progress.running && a.progress.failure.is_none());
}

#[test]
fn a_phase_that_is_not_built_says_so() {
    let (mut a, _) = at_progress();
    let mut events = vec![started()];
    events.extend(done("preflight", 3));
    events.push(Event::PhaseStarted { phase: "certs/ca".into(), title: String::new() });
    events.push(Event::PhaseFailed { phase: "certs/ca".into(), duration_ms: 1, error: "phase certs/ca is not available yet: this artifact renderer is not built yet (certificates and manifests issue)".into(), hint: "run the workflow with --dry-run to see what it would do, or --skip-phases to leave this phase out".into() });
    events.push(Event::RunFinished { status: RunStatus::NotAvailable, duration_ms: 5, dry_run_dir: None, next_steps: vec![] });
    engine(&mut a, RunKind::Install, events);
    snapshot!("progress_not_available", a);
}

#[test]
fn done_screen_after_a_successful_run() {
    let (mut a, _) = at_progress();
    let cmds = {
        let mut last = vec![];
        for (i, event) in succeeding_run().into_iter().enumerate() {
            last = update(&mut a, Msg::Engine { run: RunKind::Install, event, at: Duration::from_millis(100 * i as u64) });
        }
        last
    };
    assert_eq!(a.screen, Screen::Done);
    assert!(matches!(cmds.as_slice(), [Cmd::ReadCaHash(_)]));
    update(&mut a, Msg::CaHash(Some(format!("sha256:{}", "ab".repeat(32)))));
    snapshot!("done", a);
    let cmds = key(&mut a, KeyCode::Char('c'));
    assert!(matches!(cmds.as_slice(), [Cmd::Copy(text)] if text.starts_with("kubeadm join 10.0.0.10:6443 --token abcdef.0123456789abcdef")));
    // A dry run made no cluster: the CSR screen opens and says so (src/tui/csr/tests.rs has the rest).
    assert!(key(&mut a, KeyCode::Char('a')).is_empty());
    assert_eq!(a.screen, Screen::Csr);
    assert!(matches!(&a.csr.link, super::csr::Link::NoCluster { why } if why.contains("dry run")));
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.screen, Screen::Done);
}

#[test]
fn the_engine_asks_and_the_answer_goes_back() {
    let mut a = app();
    update(&mut a, Msg::Decision { question: "Several container runtimes were found: which one?".into(), choices: vec!["unix:///run/containerd/containerd.sock".into(), "unix:///var/run/crio/crio.sock".into()] });
    key(&mut a, KeyCode::Down);
    snapshot!("decision", a);
    let cmds = key(&mut a, KeyCode::Enter);
    assert!(matches!(cmds.as_slice(), [Cmd::Answer(Some(s))] if s.contains("crio")));
}

#[test]
fn help_overlay_lists_the_screens_keys() {
    let mut a = app();
    key(&mut a, KeyCode::Char('?'));
    assert_eq!(a.modal, Some(Modal::Help));
    snapshot!("help", a);
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.modal, None);
}

#[test]
fn quitting_when_idle_needs_no_question() {
    let mut a = app();
    ctrl_c(&mut a);
    assert!(a.quit);
}

#[test]
fn no_color_draws_without_colours() {
    let mut a = app();
    a.theme = Theme::monochrome();
    key(&mut a, KeyCode::Enter);
    engine(&mut a, RunKind::Checks, preflight_events());
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| view::draw(f, &a)).unwrap();
    let buffer = terminal.backend().buffer();
    assert!(buffer.content().iter().all(|c| c.fg == ratatui::style::Color::Reset), "NO_COLOR: no foreground colours");
}

#[path = "tests_join.rs"]
mod join;
#[path = "tests_reset.rs"]
mod reset;
