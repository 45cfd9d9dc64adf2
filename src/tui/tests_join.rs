//! The join wizard: the form's checks, then the real run's events (scripted
//! here) on the Progress screen, failures with the engine's error and hint,
//! retry, and the Done view.

use super::*;
use crate::tui::join_done::JoinDone;

const HASH: &str = "sha256:0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";

/// Welcome → Join, with valid answers typed in.
fn at_join_form() -> App {
    let mut a = app();
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.screen, Screen::Join);
    type_text(&mut a, "10.0.0.10:6443");
    key(&mut a, KeyCode::Tab);
    type_text(&mut a, TOKEN);
    key(&mut a, KeyCode::Tab);
    type_text(&mut a, HASH);
    a
}

/// Submitted: the run has started.
fn at_join_progress() -> (App, Arc<JoinSettings>) {
    let mut a = at_join_form();
    let cmds = key(&mut a, KeyCode::Enter);
    let Some(Cmd::StartJoin(settings)) = cmds.into_iter().next() else { panic!("submitting starts the join") };
    (a, settings)
}

/// The real join's phases, as the runner announces them.
fn join_started() -> Event {
    let phases = crate::phases::join().iter().map(|p| PhaseSummary { id: p.id().into(), title: p.title().into() }).collect();
    Event::RunStarted { workflow: "join".into(), dry_run: false, phases }
}

fn log(phase: &str, message: &str) -> Event {
    Event::Log { phase: phase.into(), level: LogLevel::Info, message: message.into() }
}

fn finish(phase: &str, ms: u64) -> Event {
    Event::PhaseFinished { phase: phase.into(), result: PhaseResult::Done, duration_ms: ms, reason: None }
}

/// preflight and discovery (with its own log lines), up to kubelet-start running.
fn join_until_kubelet_start() -> Vec<Event> {
    vec![
        join_started(),
        Event::PhaseStarted { phase: "preflight".into(), title: String::new() },
        finish("preflight", 40),
        Event::PhaseStarted { phase: "discovery".into(), title: String::new() },
        log("discovery", "fetching cluster-info from 10.0.0.10:6443 (up to 5m0s)"),
        log("discovery", &format!("the cluster at https://10.0.0.10:6443 proved its identity: CA {HASH}")),
        log("discovery", "the cluster runs Kubernetes v1.24.17 (cluster name kubernetes)"),
        finish("discovery", 310),
        Event::PhaseStarted { phase: "kubelet-start".into(), title: String::new() },
        log("kubelet-start", "requesting a client certificate for system:node:cp1"),
    ]
}

fn join_succeeds() -> Vec<Event> {
    let mut events = join_until_kubelet_start();
    events.push(log("kubelet-start", "the cluster signed csr-7x2kq "));
    events.push(finish("kubelet-start", 2200));
    for p in crate::phases::join().iter().map(|p| p.id()).filter(|id| !["preflight", "discovery", "kubelet-start"].contains(id)) {
        events.push(Event::PhaseFinished { phase: p.into(), result: PhaseResult::Skipped, duration_ms: 0, reason: Some("not a control-plane join".into()) });
    }
    events.push(Event::RunFinished { status: RunStatus::Succeeded, duration_ms: 2600, dry_run_dir: None, next_steps: vec![] });
    events
}

/// Discovery refuses the cluster: the CA hash does not match.
fn join_fails_on_the_pin() -> Vec<Event> {
    let mut events = join_until_kubelet_start();
    events.truncate(5);
    events.push(Event::PhaseFailed {
        phase: "discovery".into(),
        duration_ms: 120,
        error: "the cluster CA found in cluster-info is not pinned: none of its public keys [\"sha256:6d1e…\"] match --discovery-token-ca-cert-hash (another CA: possibly a man in the middle)".into(),
        hint: "compare the hash with `kubelift token create --print-join-command` on the control plane; if it matches, do not join: the endpoint is not your cluster".into(),
    });
    events.push(Event::RunFinished { status: RunStatus::Failed, duration_ms: 170, dry_run_dir: None, next_steps: vec![] });
    events
}

#[test]
fn the_form_checks_formats_beside_each_field() {
    let mut a = app();
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Enter);
    type_text(&mut a, "10.0.0.10");
    key(&mut a, KeyCode::Tab);
    type_text(&mut a, "abcdef.0123");
    snapshot!("join_form", a);
    assert!(a.join.form.fields[0].error.as_deref().unwrap().contains("host:port"));
    assert!(a.join.form.fields[1].error.is_some());
    let cmds = key(&mut a, KeyCode::Enter);
    assert!(cmds.is_empty(), "invalid answers start nothing");
    assert_eq!((a.screen, a.join.form.focus), (Screen::Join, 0), "focus goes to the first field to fix");
}

#[test]
fn submitting_runs_the_join_with_the_answers_and_the_flags() {
    let mut a = app();
    a.session.join_base.apply(&crate::config::JoinOverrides { skip_phases: vec!["preflight".into()], cri_socket: Some("unix:///run/containerd/containerd.sock".into()), ..Default::default() });
    a.join = crate::tui::join::Join::new(&a.session.join_base, &a.session.host);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Enter);
    for (text, next) in [("10.0.0.10:6443", true), (TOKEN, true), (HASH, false)] {
        type_text(&mut a, text);
        if next {
            key(&mut a, KeyCode::Tab);
        }
    }
    let cmds = key(&mut a, KeyCode::Enter);
    let Some(Cmd::StartJoin(s)) = cmds.first() else { panic!("the join starts: {:?}", a.join.form) };
    let bt = s.join.discovery.bootstrap_token.as_ref().unwrap();
    assert_eq!((bt.api_server_endpoint.as_str(), bt.token.expose(), bt.ca_cert_hashes.as_slice()), ("10.0.0.10:6443", TOKEN, &[HASH.to_string()][..]));
    assert_eq!(s.join.discovery.tls_bootstrap_token.expose(), TOKEN, "the TLS bootstrap uses the same token");
    assert_eq!(s.join.skip_phases, vec!["preflight".to_string()], "flags given on the command line stay");
    assert_eq!(s.join.node_registration.cri_socket, "unix:///run/containerd/containerd.sock");
    assert!(s.join.control_plane.is_none());
    assert_eq!(a.screen, Screen::JoinProgress);
    assert!(a.busy(), "Ctrl-C asks while the join runs");
}

#[test]
fn the_flags_prefill_the_form() {
    let mut base = JoinSettings::empty();
    base.apply(&crate::config::JoinOverrides { endpoint: Some("10.0.0.10:6443".into()), token: Some(TOKEN.into()), ca_cert_hashes: vec![HASH.into()], control_plane: true, node_name: Some("cp2".into()), ..Default::default() });
    let join = crate::tui::join::Join::new(&base, &host());
    let values: Vec<&str> = (0..5).map(|i| join.form.value(i)).collect();
    assert_eq!(values, ["10.0.0.10:6443", TOKEN, HASH, "cp2", "control-plane"]);
}

#[test]
fn join_running_shows_discovery_live() {
    let (mut a, _) = at_join_progress();
    engine(&mut a, RunKind::Join, join_until_kubelet_start());
    update(&mut a, Msg::Tick(Duration::from_secs(3)));
    assert!(a.join.progress.log.iter().any(|l| l.text.contains("proved its identity")), "discovery's steps are in the log pane");
    snapshot!("join_running", a);
    ctrl_c(&mut a);
    assert_eq!(a.modal, Some(Modal::ConfirmQuit));
    let screen = render(&a, 120, 40);
    assert!(screen.contains("`kubelift join` again"), "the dialog names the join, not init:\n{screen}");
}

#[test]
fn a_failed_discovery_shows_the_engines_error_and_hint_then_retries_or_goes_back() {
    let (mut a, settings) = at_join_progress();
    engine(&mut a, RunKind::Join, join_fails_on_the_pin());
    let failure = a.join.progress.failure.clone().unwrap();
    assert_eq!(failure.phase, "discovery");
    assert!(failure.hint.contains("kubelift token create --print-join-command"));
    snapshot!("join_failed", a);
    let cmds = key(&mut a, KeyCode::Char('r'));
    let Some(Cmd::StartJoin(again)) = cmds.first() else { panic!("r runs the join again") };
    assert!(Arc::ptr_eq(again, &settings), "the same answers: the journal resumes where it stopped");
    engine(&mut a, RunKind::Join, join_fails_on_the_pin());
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.screen, Screen::Join, "Esc goes back to the form to change the hash");
    assert_eq!(a.join.form.value(2), HASH, "the answers are kept");
}

#[test]
fn the_token_never_reaches_the_log_pane() {
    let (mut a, _) = at_join_progress();
    let secret = TOKEN.split_once('.').unwrap().1;
    engine(&mut a, RunKind::Join, vec![join_started(), log("discovery", &format!("token {TOKEN} and its secret {secret}"))]);
    let text: Vec<&str> = a.join.progress.log.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(text, ["[discovery] token <redacted> and its secret <redacted>"]);
}

#[test]
fn join_done_says_what_to_do_next() {
    let (mut a, _) = at_join_progress();
    a.session.dry_run = false;
    engine(&mut a, RunKind::Join, join_succeeds());
    assert_eq!(a.screen, Screen::JoinDone);
    let done = a.join.done.clone().unwrap();
    assert_eq!(done, JoinDone { node: "cp1".into(), endpoint: "10.0.0.10:6443".into(), control_plane: false, dry_run_dir: None, scroll: 0 });
    snapshot!("join_done", a);
    let screen = render(&a, 120, 40);
    assert!(screen.contains("This node has joined the cluster") && screen.contains("kubectl get nodes") && screen.contains("kubelet-serving request of system:node:cp1"), "{screen}");
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.screen, Screen::JoinProgress, "Esc shows the run again");
}

#[test]
fn a_dry_run_join_says_nothing_changed() {
    let (mut a, _) = at_join_progress();
    let mut events = join_succeeds();
    if let Some(Event::RunFinished { dry_run_dir, .. }) = events.last_mut() {
        *dry_run_dir = Some("/tmp/kubelift-dry-run-join".into());
    }
    engine(&mut a, RunKind::Join, events);
    let screen = render(&a, 120, 40);
    assert!(screen.contains("nothing on this machine changed") && screen.contains("/tmp/kubelift-dry-run-join"), "{screen}");
}
