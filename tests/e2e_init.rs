//! `kubelift init` on a test host against the real control-plane binaries.

mod support;

use std::process::Output;
use std::time::Duration;
use support::e2e::{self, text, TestHost};

fn init(host: &TestHost, extra: &[&str]) -> Output {
    host.command(env!("CARGO_BIN_EXE_kubelift"))
        .args(["init", "--non-interactive", "--root"])
        .arg(host.root.path())
        .arg("--config")
        .arg(host.path("/kubeadm.yaml"))
        .args(["--skip-phases", "preflight"])
        .args(extra)
        .output()
        .unwrap()
}



#[test]
fn init_makes_a_kubeadm_cluster_and_a_second_run_changes_nothing() {
    let Some(bins) = e2e::binaries("init_makes_a_kubeadm_cluster_and_a_second_run_changes_nothing") else { return };
    let net = e2e::Network::new();
    let mut host = net.host("cp1");
    std::fs::write(host.path("/kubeadm.yaml"), e2e::reference_config(&host)).unwrap();
    host.start_kubelet(&bins);
    let first = init(&host, &[]);
    assert!(first.status.success(), "init failed:\n{}\n{}", text(&first), host.logs());
    host.wait_ready(Duration::from_secs(30));

    // Real kubeadm reads kubelift's PKI and kubeconfigs.
    let check = e2e::run(host.command(bins.join("kubeadm")).args(["certs", "check-expiration"]));
    for name in ["admin.conf", "apiserver", "apiserver-etcd-client", "front-proxy-client", "etcd-server", "ca", "etcd-ca", "front-proxy-ca"] {
        assert!(check.contains(name), "kubeadm certs check-expiration lacks {name}:\n{check}");
    }

    // The node is marked, the kubeadm objects exist.
    let node = host.kubectl_json(&["get", "node", "cp1"]);
    assert!(node["metadata"]["labels"].get("node-role.kubernetes.io/control-plane").is_some(), "{node}");
    assert!(node["spec"]["taints"].as_array().is_some_and(|t| !t.is_empty()), "{node}");
    assert_eq!(node["metadata"]["annotations"]["kubeadm.alpha.kubernetes.io/cri-socket"], "unix:///run/containerd/containerd.sock");
    host.kubectl_json(&["-n", "kube-system", "get", "configmap", "kubeadm-config"]);
    host.kubectl_json(&["-n", "kube-system", "get", "secret", "bootstrap-token-abcdef"]);
    host.kubectl_json(&["-n", "kube-system", "get", "deployment", "coredns"]);
    host.kubectl_json(&["-n", "kube-system", "get", "daemonset", "kube-proxy"]);
    // The real bootstrap signer in kube-controller-manager signs cluster-info.
    let started = std::time::Instant::now();
    loop {
        let cm = host.kubectl_json(&["-n", "kube-public", "get", "configmap", "cluster-info"]);
        if cm["data"].get("jws-kubeconfig-abcdef").is_some() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "cluster-info was not signed: {cm}");
        std::thread::sleep(Duration::from_millis(500));
    }

    // A second run is a no-op that says so.
    let second = init(&host, &[]);
    assert!(second.status.success(), "{}", text(&second));
    assert!(text(&second).contains("nothing to do"), "{}", text(&second));
}
