//! The real binary in a real terminal: tmux runs `kubelift init --dry-run
//! --root <tmp>`, keys are sent as a new user would press them, and the
//! screen is read back with capture-pane. Skipped (and says so) without tmux.

mod support;

use support::tmux::Tmux;

#[test]
fn init_dry_run_reaches_done_with_the_defaults() {
    let root = tempfile::tempdir().unwrap();
    let log = root.path().join("kubelift.log");
    let command = format!(
        "{} init --dry-run --root {} --log-file {}; echo kubelift-exit-$?; sleep 30",
        env!("CARGO_BIN_EXE_kubelift"),
        root.path().display(),
        log.display()
    );
    let Some(t) = Tmux::start(&command) else { return };
    t.wait_for("What would you like to do?");
    t.keys(&["Enter"]);
    t.wait_for("ready to go on");
    t.keys(&["Enter"]);
    t.wait_for("2/4 Your cluster");
    // A bad CIDR shows beside its field as it is typed, and goes away when fixed.
    t.keys(&["Tab", "Tab", "Tab", "Tab", "x"]);
    let screen = t.wait_for("couldn't parse subnet");
    assert!(screen.lines().any(|l| l.contains("Pod CIDR") && l.contains("✗ couldn't parse subnet")), "{screen}");
    t.keys(&["BSpace"]);
    t.wait_for("Pod CIDR: the range pod IPs come from");
    t.keys(&["Enter"]);
    t.wait_for("Plan: 32 phases");
    t.keys(&["Enter"]);
    let done = t.wait_for("Join worker nodes");
    assert!(done.contains("kubeadm join") && done.contains("--token"), "{done}");
    assert!(done.contains("The dry run went through every phase"), "{done}");
    t.keys(&["q"]);
    let end = t.wait_for("kubelift-exit-");
    assert!(end.contains("kubelift-exit-0"), "{end}");
    assert!(end.contains("Join worker nodes with:"), "the join command stays on the terminal: {end}");
    assert!(!root.path().join("etc").exists(), "a dry run writes nothing under --root");
    assert!(std::fs::metadata(&log).unwrap().len() > 0, "logs went to the file");
}
