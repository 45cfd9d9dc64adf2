//! Interoperability with real kubeadm v1.24, both ways: kubeadm's join
//! discovery against a kubelift control plane, and kubelift join against a
//! control plane made by kubeadm.

mod support;

use std::time::Duration;
use support::e2e::{self, ca_hash, text, wait_signed, Network, TestHost, TOKEN};





#[test]
fn kubeadm_join_discovers_a_kubelift_control_plane() {
    let Some(bins) = e2e::binaries("kubeadm_join_discovers_a_kubelift_control_plane") else { return };
    let net = Network::new();
    let mut cp = net.host("cp1");
    std::fs::write(cp.path("/kubeadm.yaml"), e2e::reference_config(&cp)).unwrap();
    cp.start_kubelet(&bins);
    let out = cp.command(env!("CARGO_BIN_EXE_kubelift")).args(["init", "--non-interactive", "--skip-phases", "preflight", "--root"]).arg(cp.root.path()).arg("--config").arg(cp.path("/kubeadm.yaml")).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    wait_signed(&cp);
    let w1 = net.host("w1");
    // kubeadm's dry run performs the real discovery and reads the cluster's
    // configuration with the token, then stops before changing the host.
    let out = w1
        .command(bins.join("kubeadm"))
        .args(["join", &format!("{}:6443", cp.address), "--token", TOKEN, "--discovery-token-ca-cert-hash", &ca_hash(&cp), "--dry-run", "--ignore-preflight-errors=all", "--node-name", "w1", "--cri-socket", "unix:///run/containerd/containerd.sock", "-v", "5"])
        .output()
        .unwrap();
    let t = text(&out);
    // Reading kubeadm-config happens only after discovery validated the
    // signature and the pinned CA (kubeadm-facts §5.5).
    assert!(out.status.success(), "kubeadm join --dry-run failed against kubelift:\n{t}");
    assert!(t.contains("[preflight] Reading configuration from the cluster..."), "{t}");
    assert!(t.contains("Would write file \"/var/lib/kubelet/config.yaml\""), "{t}");
}

#[test]
fn kubelift_joins_a_kubeadm_control_plane() {
    let Some(bins) = e2e::binaries("kubelift_joins_a_kubeadm_control_plane") else { return };
    let net = Network::new();
    let mut cp = net.host("cp1");
    let config = cp.path("/kubeadm.yaml");
    std::fs::write(&config, e2e::reference_config(&cp)).unwrap();
    let kubeadm = |cp: &TestHost, args: &[&str]| e2e::run(cp.command(bins.join("kubeadm")).args(["init", "phase"]).args(args).arg("--config").arg(&config));
    for phase in [&["certs", "all"][..], &["kubeconfig", "all"], &["etcd", "local"], &["control-plane", "all"]] {
        kubeadm(&cp, phase);
    }
    cp.start_kubelet(&bins);
    cp.wait_ready(Duration::from_secs(90));
    cp.wait_for_node("cp1", Duration::from_secs(30));
    for phase in [&["upload-config", "all"][..], &["bootstrap-token"], &["mark-control-plane"]] {
        kubeadm(&cp, phase);
    }
    wait_signed(&cp);
    let mut w1 = net.host("w1");
    w1.start_kubelet(&bins);
    let out = w1
        .command(env!("CARGO_BIN_EXE_kubelift"))
        .args(["join", &format!("{}:6443", cp.address), "--token", TOKEN, "--discovery-token-ca-cert-hash", &ca_hash(&cp), "--non-interactive", "--skip-phases", "preflight", "--node-name", "w1", "--cri-socket", "unix:///run/containerd/containerd.sock", "--root"])
        .arg(w1.root.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "kubelift join of a kubeadm cluster failed:\n{}", text(&out));
    cp.wait_for_node("w1", Duration::from_secs(30));
}
