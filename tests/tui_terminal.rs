//! The real binary in a real terminal: tmux runs `kubelift init --dry-run
//! --root <tmp>` (and `kubelift reset --root <tmp>`), keys are sent as a new
//! user would press them, and the screen is read back with capture-pane.
//! Skipped (and says so) without tmux.

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
    let Some(t) = Tmux::start("init", &command) else { return };
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

/// kubeadm's standard files on a root kubelift never touched (no journal).
const KUBEADM_FILES: &[(&str, &str)] = &[
    ("etc/kubernetes/manifests/kube-apiserver.yaml", "apiVersion: v1\nkind: Pod\n"),
    ("etc/kubernetes/admin.conf", "kubeconfig"),
    ("etc/kubernetes/kubelet.conf", "kubeconfig"),
    ("etc/kubernetes/pki/ca.crt", "certificate"),
    ("etc/kubernetes/pki/ca.key", "key"),
    ("var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\n"),
    ("etc/kubernetes/unrelated.conf", "not kubeadm's"),
];

fn kubeadm_root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    for (path, text) in KUBEADM_FILES {
        let p = root.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    root
}

/// Every file under `dir` with its content, to see that nothing changed.
fn files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// `kubelift reset --root <root>` in tmux, logging beside the root; HOME points nowhere real.
fn reset_command(root: &std::path::Path, logs: &tempfile::TempDir) -> String {
    let log = logs.path().join("kubelift.log");
    format!("HOME=/nonexistent {} reset --root {} --log-file {}; echo kubelift-exit-$?; sleep 30", env!("CARGO_BIN_EXE_kubelift"), root.display(), log.display())
}

#[test]
fn reset_shows_the_plan_and_removes_kubeadms_files_once_confirmed() {
    let (root, logs) = (kubeadm_root(), tempfile::tempdir().unwrap());
    let Some(t) = Tmux::start("reset", &reset_command(root.path(), &logs)) else { return };
    let plan = t.wait_for("Plan:");
    assert!(plan.contains("Reset this machine: the plan") && plan.contains("remove /etc/kubernetes/admin.conf") && plan.contains("kubeadm's standard paths"), "{plan}");
    t.keys(&["Enter"]);
    let dialog = t.wait_for("Reset this machine?");
    assert!(dialog.contains("cannot be undone") && dialog.contains("leaves the cluster"), "{dialog}");
    t.keys(&["-l", "reset"]);
    t.wait_for("> reset");
    t.keys(&["Enter"]);
    let done = t.wait_for("This machine was reset");
    assert!(done.contains("kubectl delete node"), "{done}");
    t.keys(&["q"]);
    let end = t.wait_for("kubelift-exit-");
    assert!(end.contains("kubelift-exit-0"), "{end}");
    for (path, _) in KUBEADM_FILES.iter().filter(|(p, _)| !p.ends_with("unrelated.conf")) {
        assert!(!root.path().join(path).exists(), "{path} is removed");
    }
    assert!(root.path().join("etc/kubernetes/unrelated.conf").exists(), "a file that is not kubeadm's stays");
}

#[test]
fn declining_the_reset_changes_nothing() {
    let (root, logs) = (kubeadm_root(), tempfile::tempdir().unwrap());
    let before = files(root.path());
    let Some(t) = Tmux::start("reset-declined", &reset_command(root.path(), &logs)) else { return };
    t.wait_for("Plan:");
    t.keys(&["Enter"]);
    t.wait_for("Reset this machine?");
    // Enter alone, then a wrong word: both refused.
    t.keys(&["Enter"]);
    t.wait_for("type reset to reset this machine");
    t.keys(&["-l", "yes"]);
    t.keys(&["Enter"]);
    t.wait_for("\"yes\" is not reset");
    t.keys(&["Escape"]);
    t.wait_for("reset cancelled: nothing was changed");
    t.keys(&["q"]);
    let end = t.wait_for("kubelift-exit-");
    assert!(end.contains("kubelift-exit-0"), "{end}");
    assert_eq!(files(root.path()), before, "declining leaves every file as it was");
}
