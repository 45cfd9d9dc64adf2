//! The harness itself, with real kubeadm v1.24 making the artifacts: static
//! Pods come up as processes in a network namespace and the API server serves.

mod support;

use std::time::Duration;
use support::e2e;

#[test]
fn kubeadm_made_control_plane_serves_in_a_test_host() {
    let Some(bins) = e2e::binaries("kubeadm_made_control_plane_serves_in_a_test_host") else { return };
    let net = e2e::Network::new();
    let mut host = net.host("cp1");
    let config = host.path("/kubeadm.yaml");
    std::fs::write(&config, e2e::reference_config(&host)).unwrap();
    for phase in [["certs", "all"], ["kubeconfig", "all"], ["etcd", "local"], ["control-plane", "all"]] {
        e2e::run(host.command(bins.join("kubeadm")).args(["init", "phase", phase[0], phase[1], "--config"]).arg(&config));
    }
    host.start_kubelet(&bins);
    host.wait_ready(Duration::from_secs(90));
    host.wait_for_node("cp1", Duration::from_secs(30));
}
