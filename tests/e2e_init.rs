//! `kubelift init` on a test host against the real control-plane binaries.

mod support;

use std::time::Duration;
use support::e2e;

const API_PHASES: &str = "upload-config,upload-certs,mark-control-plane,bootstrap-token,kubelet-finalize,addon";

fn kubelift() -> &'static str {
    env!("CARGO_BIN_EXE_kubelift")
}

#[test]
fn kubelift_artifacts_bring_up_a_serving_control_plane() {
    let Some(bins) = e2e::binaries("kubelift_artifacts_bring_up_a_serving_control_plane") else { return };
    let net = e2e::Network::new();
    let mut host = net.host("cp1");
    let config = host.path("/kubeadm.yaml");
    std::fs::write(&config, e2e::reference_config(&host)).unwrap();
    host.start_kubelet(&bins);
    let out = host
        .command(kubelift())
        .args(["init", "--non-interactive", "--root"])
        .arg(host.root.path())
        .arg("--config")
        .arg(&config)
        .args(["--skip-phases", &format!("preflight,{API_PHASES}")])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "init failed:\n{stdout}\n{}\n{}", String::from_utf8_lossy(&out.stderr), host.logs());
    assert!(stdout.contains("[done] wait-control-plane"), "{stdout}");
    host.wait_ready(Duration::from_secs(30));
    // Real kubeadm reads kubelift's PKI and kubeconfigs.
    let check = e2e::run(host.command(bins.join("kubeadm")).args(["certs", "check-expiration"]));
    for name in ["admin.conf", "apiserver", "apiserver-etcd-client", "front-proxy-client", "etcd-server", "ca", "etcd-ca", "front-proxy-ca"] {
        assert!(check.contains(name), "kubeadm certs check-expiration lacks {name}:\n{check}");
    }
    assert!(!check.to_lowercase().contains("invalid"), "{check}");
}
