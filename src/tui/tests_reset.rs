//! Reset from the TUI: the plan, the typed confirmation (nothing runs
//! without it), the run on the Progress screen, questions, and the result.

use super::*;
use crate::cli::args::{Global, Output};
use crate::cli::reset_cmd;
use crate::tui::reset::{plan_view, ResetPlanView};
use crate::tui::review::PlannedPhase;

/// A phase of the real reset workflow, with its own title.
fn planned(id: &str, changes: &[&str]) -> PlannedPhase {
    let phases = crate::phases::reset::phases();
    let title = phases.iter().find(|p| p.id() == id).map(|p| p.title().to_string()).expect("a reset phase");
    PlannedPhase { id: id.into(), title, changes: changes.iter().map(|c| c.to_string()).collect(), skipped: None }
}

/// A control-plane node's plan without a journal, as kubeadm's paths give it.
fn plan() -> ResetPlanView {
    ResetPlanView {
        phases: vec![
            planned("preflight", &[]),
            planned("remove-etcd-member", &["run POST https://127.0.0.1:2379/v3/cluster/member/remove (this node's member cp1, unless it is the only one)"]),
            planned("cleanup-node", &["remove /etc/kubernetes/manifests/kube-apiserver.yaml", "remove /etc/kubernetes/admin.conf", "remove /etc/kubernetes/pki/ca.crt", "remove everything in /var/lib/etcd/", "remove everything in /var/lib/kubelet/"]),
        ],
        from_journal: false,
        etcd_member: Some("cp1".into()),
        notes: vec!["/etc/kubernetes/unrelated.conf is not kubeadm's: left in place".into()],
    }
}

/// Welcome → Reset, with the plan worked out.
fn at_reset_plan() -> App {
    let mut a = app();
    for _ in 0..3 {
        key(&mut a, KeyCode::Down);
    }
    let cmds = key(&mut a, KeyCode::Enter);
    assert!(matches!(cmds.as_slice(), [Cmd::PlanReset]), "Reset asks the driver for the plan");
    assert_eq!(a.screen, Screen::Reset);
    update(&mut a, Msg::ResetPlanned(Ok(plan())));
    a
}

fn at_reset_confirm() -> App {
    let mut a = at_reset_plan();
    let cmds = key(&mut a, KeyCode::Enter);
    assert!(cmds.is_empty(), "Enter on the plan only asks");
    assert!(matches!(a.modal, Some(Modal::ConfirmReset { .. })));
    a
}

fn reset_events() -> Vec<Event> {
    let phases = crate::phases::reset::phases().iter().map(|p| PhaseSummary { id: p.id().into(), title: p.title().into() }).collect();
    let log = |phase: &str, m: &str| Event::Log { phase: phase.into(), level: LogLevel::Info, message: m.into() };
    let finish = |phase: &str, ms| Event::PhaseFinished { phase: phase.into(), result: PhaseResult::Done, duration_ms: ms, reason: None };
    vec![
        Event::RunStarted { workflow: "reset".into(), dry_run: false, phases },
        Event::PhaseStarted { phase: "preflight".into(), title: String::new() },
        log("preflight", "no journal of kubelift: kubeadm's standard paths are removed"),
        finish("preflight", 2),
        Event::PhaseStarted { phase: "remove-etcd-member".into(), title: String::new() },
        log("remove-etcd-member", "removed etcd member cp1 (8e9e05c52164694d); 2 member(s) remain"),
        finish("remove-etcd-member", 140),
        Event::PhaseStarted { phase: "cleanup-node".into(), title: String::new() },
        log("cleanup-node", "removed /etc/kubernetes/admin.conf"),
        Event::Warning { phase: "cleanup-node".into(), message: "/var/lib/kubelet/pods/x is still mounted and was left as it is: unmount it (`umount /var/lib/kubelet/pods/x`) and remove it by hand".into(), hint: None },
        finish("cleanup-node", 60),
        Event::RunFinished { status: RunStatus::Succeeded, duration_ms: 210, dry_run_dir: None, next_steps: vec![] },
    ]
}

#[test]
fn the_reset_plan_names_what_goes() {
    let a = at_reset_plan();
    snapshot!("reset_plan", a);
    let screen = render(&a, 120, 40);
    assert!(screen.contains("member cp1") && screen.contains("remove /etc/kubernetes/admin.conf"), "{screen}");
}

#[test]
fn the_plan_comes_from_the_engine_under_root_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in [("etc/kubernetes/admin.conf", "kubeconfig"), ("etc/kubernetes/manifests/kube-apiserver.yaml", "apiVersion: v1\nkind: Pod\n")] {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let g = Global { root: dir.path().into(), dry_run: false, output: Output::Text, verbose: 0, log_file: None, non_interactive: false };
    let prepared = reset_cmd::prepare(&g, &reset_cmd::default_args(), true).unwrap();
    let view = plan_view(&prepared, &[]);
    let changes: Vec<&String> = view.phases.iter().flat_map(|p| &p.changes).collect();
    assert!(changes.iter().any(|c| c.contains("/etc/kubernetes/admin.conf")), "{changes:#?}");
    assert!(!view.from_journal);
    assert!(dir.path().join("etc/kubernetes/admin.conf").exists() && !dir.path().join("var/lib/kubelift").exists(), "planning changes nothing");
}

#[test]
fn nothing_runs_without_the_typed_word() {
    let mut a = at_reset_confirm();
    let cmds = key(&mut a, KeyCode::Enter);
    assert!(cmds.is_empty(), "Enter alone is not an answer");
    assert!(matches!(&a.modal, Some(Modal::ConfirmReset { error: Some(e), .. }) if e.contains("type reset")), "{:?}", a.modal);
    type_text(&mut a, "yes");
    let cmds = key(&mut a, KeyCode::Enter);
    assert!(cmds.is_empty(), "a wrong word is refused");
    assert!(matches!(&a.modal, Some(Modal::ConfirmReset { error: Some(e), .. }) if e.contains("\"yes\" is not reset")), "{:?}", a.modal);
    assert_eq!(a.screen, Screen::Reset);
    key(&mut a, KeyCode::Esc);
    assert!(a.modal.is_none() && a.status.as_deref() == Some("reset cancelled: nothing was changed"));
    assert_eq!(a.screen, Screen::Reset);
}

#[test]
fn the_confirmation_names_the_consequences() {
    let mut a = at_reset_confirm();
    type_text(&mut a, "rese");
    snapshot!("reset_confirm", a);
    let screen = render(&a, 80, 24);
    assert!(screen.contains("cannot be undone") && screen.contains("leaves the cluster"), "{screen}");
}

#[test]
fn typing_reset_runs_it_and_questions_come_as_a_dialog() {
    let mut a = at_reset_confirm();
    type_text(&mut a, "reset");
    let cmds = key(&mut a, KeyCode::Enter);
    assert!(matches!(cmds.as_slice(), [Cmd::StartReset]));
    assert_eq!(a.screen, Screen::ResetProgress);
    assert!(a.busy());
    let mut events = reset_events();
    events.truncate(5);
    engine(&mut a, RunKind::Reset, events);
    update(&mut a, Msg::Decision { question: "This node holds the cluster's only etcd member (cp1): resetting it deletes the cluster's data for good.".into(), choices: vec!["delete the cluster".into(), "cancel".into()] });
    assert!(matches!(a.modal, Some(Modal::Decision { .. })));
    key(&mut a, KeyCode::Down);
    let cmds = key(&mut a, KeyCode::Enter);
    assert!(matches!(cmds.as_slice(), [Cmd::Answer(Some(c))] if c == "cancel"));
}

#[test]
fn reset_done_shows_what_was_left_and_what_is_next() {
    let mut a = at_reset_confirm();
    type_text(&mut a, "reset");
    key(&mut a, KeyCode::Enter);
    engine(&mut a, RunKind::Reset, reset_events());
    assert_eq!(a.screen, Screen::ResetDone);
    snapshot!("reset_done", a);
    let screen = render(&a, 120, 40);
    assert!(screen.contains("This machine was reset") && screen.contains("kubectl delete node cp1") && screen.contains("still mounted"), "{screen}");
}

#[test]
fn a_failed_reset_plans_again_before_a_retry() {
    let mut a = at_reset_confirm();
    type_text(&mut a, "reset");
    key(&mut a, KeyCode::Enter);
    let mut events = reset_events();
    events.truncate(8);
    events.push(Event::PhaseFailed { phase: "cleanup-node".into(), duration_ms: 3, error: "cannot remove /etc/kubernetes/admin.conf: permission denied".into(), hint: "run kubelift reset as root".into() });
    events.push(Event::RunFinished { status: RunStatus::Failed, duration_ms: 150, dry_run_dir: None, next_steps: vec![] });
    engine(&mut a, RunKind::Reset, events);
    let cmds = key(&mut a, KeyCode::Char('r'));
    assert!(matches!(cmds.as_slice(), [Cmd::PlanReset]), "r plans again: what is left has changed");
    assert_eq!((a.screen, a.reset.plan.clone()), (Screen::Reset, None));
}

#[test]
fn enter_before_the_plan_is_ready_asks_nothing() {
    let mut a = at_reset_plan();
    a.reset.plan = None;
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    assert!(a.modal.is_none());
    update(&mut a, Msg::ResetPlanned(Err("cannot read /var/lib/kubelift/journal.json: permission denied (hint: run as root)".into())));
    key(&mut a, KeyCode::Enter);
    assert!(a.modal.is_none(), "no plan, no reset");
}
