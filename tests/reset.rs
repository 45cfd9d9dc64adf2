//! `kubelift reset` on scratch roots: from the journal after init's file
//! phases, and on a root kubelift never touched (kubeadm's standard paths).
//! Never against the machine's own root: every run passes --root.

mod support;

use assert_cmd::Command;
use base64::Engine;
use std::path::Path;
use support::tree;

const REFERENCE: &str = "tests/fixtures/kubeadm-v1.24/config/input-kubeadm.yaml";

fn kubelift(root: &Path) -> Command {
    let mut cmd = Command::cargo_bin("kubelift").unwrap();
    cmd.env_remove("KUBELIFT_ROOT").env_remove("KUBELIFT_TEST_FAIL_PHASE").env_remove("SUDO_USER").env("HOME", "/home/u");
    cmd.arg("--root").arg(root).arg("--non-interactive");
    cmd
}

fn write(root: &Path, host_path: &str, content: &str) {
    let p = root.join(host_path.trim_start_matches('/'));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn text(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// init's file phases: certificates, kubeconfigs, static Pod manifests, all journaled.
fn init_files(root: &Path) {
    for phase in ["certs", "kubeconfig", "etcd", "control-plane"] {
        kubelift(root).args(["phase", phase, "--config", REFERENCE]).assert().success();
    }
}

#[test]
fn reset_undoes_exactly_what_the_journal_lists() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "/etc/kubernetes/keep-me.txt", "the user's own file");
    write(root, "/etc/hosts", "127.0.0.1 localhost\n");
    let before = tree::snapshot(root);
    init_files(root);
    assert!(root.join("var/lib/kubelift/journal.json").exists());
    write(root, "/var/lib/etcd/member/snap/db", "etcd's data, written by etcd, not by kubelift");
    let after_init = tree::snapshot(root);

    // Headless without --force: stops at the question, exit 4, nothing changed.
    let asked = kubelift(root).arg("reset").output().unwrap();
    assert_eq!(asked.status.code(), Some(4), "{}", text(&asked));
    assert!(text(&asked).contains("--force"), "{}", text(&asked));
    assert_eq!(tree::diff(&after_init, &tree::snapshot(root)), Vec::<String>::new());

    // A dry run shows the plan and changes nothing.
    let dry = kubelift(root).args(["reset", "--dry-run", "--force"]).output().unwrap();
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(text(&dry).contains("remove /etc/kubernetes/pki/ca.key") && text(&dry).contains("remove everything in /var/lib/etcd/"), "{}", text(&dry));
    assert_eq!(tree::diff(&after_init, &tree::snapshot(root)), Vec::<String>::new());

    // A file changed since init is left, and said so.
    write(root, "/etc/kubernetes/manifests/kube-scheduler.yaml", "edited by hand");
    let reset = kubelift(root).args(["reset", "--force"]).output().unwrap();
    assert!(reset.status.success(), "{}", text(&reset));
    assert!(text(&reset).contains("kube-scheduler.yaml: changed since kubelift wrote it"), "{}", text(&reset));
    let left = tree::diff(&before, &tree::snapshot(root));
    assert_eq!(left.len(), 2, "only the edited manifest and its folder are left: {left:#?}");
    assert!(left.iter().all(|l| l.contains("etc/kubernetes/manifests")), "{left:#?}");
    assert!(!root.join("var/lib/kubelift").exists(), "the journal and its folder are gone");
}

fn kubeconfig_with(ca_pem: &[u8]) -> String {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let other = b"-----BEGIN CERTIFICATE-----\nBAUG\n-----END CERTIFICATE-----\n";
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: kubernetes\n  cluster:\n    server: https://10.211.0.2:6443\n    certificate-authority-data: {}\n- name: prod\n  cluster:\n    server: https://prod:6443\n    certificate-authority-data: {}\ncontexts:\n- name: kubernetes-admin@kubernetes\n  context: {{cluster: kubernetes, user: kubernetes-admin}}\n- name: prod\n  context: {{cluster: prod, user: me}}\ncurrent-context: kubernetes-admin@kubernetes\nusers:\n- name: kubernetes-admin\n  user: {{}}\n- name: me\n  user: {{}}\n",
        b64(ca_pem),
        b64(other)
    )
}

#[test]
fn without_a_journal_only_kubeadms_paths_go_after_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // A CA as kubeadm would have left it: made by kubelift, journal then discarded.
    kubelift(root).args(["phase", "certs/ca", "--config", REFERENCE]).assert().success();
    std::fs::remove_dir_all(root.join("var/lib/kubelift")).unwrap();
    let ca = std::fs::read(root.join("etc/kubernetes/pki/ca.crt")).unwrap();
    write(root, "/etc/kubernetes/manifests/kube-apiserver.yaml", "apiVersion: v1\nkind: Pod\n");
    write(root, "/etc/kubernetes/admin.conf", "kubeconfig");
    write(root, "/etc/kubernetes/unrelated.conf", "not kubeadm's");
    write(root, "/var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\n");
    write(root, "/var/lib/kubelet/pki/kubelet-client-current.pem", "x");
    write(root, "/var/lib/other/data", "not kubeadm's");
    write(root, "/etc/cni/net.d/10-flannel.conflist", "{}");
    write(root, "/etc/cni/net.d/87-podman-bridge.conflist", "{}");
    write(root, "/home/u/.kube/config", &kubeconfig_with(&ca));
    let before = tree::snapshot(root);

    let asked = kubelift(root).arg("reset").output().unwrap();
    assert_eq!(asked.status.code(), Some(4), "{}", text(&asked));
    assert_eq!(tree::diff(&before, &tree::snapshot(root)), Vec::<String>::new(), "nothing changes before confirmation");

    let reset = kubelift(root).args(["reset", "--force"]).output().unwrap();
    assert!(reset.status.success(), "{}", text(&reset));
    assert!(text(&reset).contains("no journal of kubelift"), "{}", text(&reset));
    let mut changes = tree::diff(&before, &tree::snapshot(root));
    changes.retain(|c| !c.contains(".kube/config.kubelift-reset-"));
    let gone = |p: &str| format!("- {p}");
    for p in ["etc/kubernetes/manifests/kube-apiserver.yaml", "etc/kubernetes/admin.conf", "etc/kubernetes/pki/ca.crt", "etc/kubernetes/pki/ca.key", "var/lib/kubelet/config.yaml", "var/lib/kubelet/pki", "etc/cni/net.d/10-flannel.conflist"] {
        assert!(changes.contains(&gone(p)), "{p} is removed: {changes:#?}");
    }
    assert!(changes.iter().all(|c| c.starts_with("- ") || c.contains(".kube/config")), "only removals and the kubeconfig edit: {changes:#?}");
    for kept in ["etc/kubernetes/unrelated.conf", "var/lib/other/data", "etc/cni/net.d/87-podman-bridge.conflist", "etc/kubernetes/manifests", "var/lib/kubelet"] {
        assert!(root.join(kept).exists(), "{kept} is kept");
    }
    let config = std::fs::read_to_string(root.join("home/u/.kube/config")).unwrap();
    assert!(config.contains("prod") && !config.contains("10.211.0.2"), "{config}");
    let backups: Vec<_> = std::fs::read_dir(root.join("home/u/.kube")).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().starts_with("config.kubelift-reset-")).collect();
    assert_eq!(backups.len(), 1, "the original kubeconfig is kept next to it");
    assert!(!root.join("var/lib/kubelift").exists(), "a reset without a journal leaves none behind");
}
