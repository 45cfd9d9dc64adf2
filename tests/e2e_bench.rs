//! Benchmarks against the real control plane, side by side with kubeadm v1.24
//! in one run. Ignored by default (they measure, they do not check):
//! `KUBELIFT_E2E_BIN=DIR cargo test --release --test e2e_bench -- --ignored --nocapture`.
//! Figures go to docs/performance.md.

mod support;

use std::time::{Duration, Instant};
use support::e2e::{self, Network, TestHost};

/// The API phases both tools run: upload-config through the add-ons.
const SKIP_ALL_BUT_API: &str = "preflight,certs,kubeconfig,kubelet-start,control-plane,etcd,wait-control-plane,kubelet-finalize";

fn timed(cmd: &mut std::process::Command) -> Duration {
    let started = Instant::now();
    let out = cmd.output().unwrap();
    let took = started.elapsed();
    assert!(out.status.success(), "{cmd:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    took
}

fn kubelift_control_plane(net: &Network, bins: &std::path::Path, name: &str) -> TestHost {
    let mut host = net.host(name);
    std::fs::write(host.path("/kubeadm.yaml"), e2e::reference_config(&host)).unwrap();
    host.start_kubelet(bins);
    let skip = "preflight,upload-config,upload-certs,mark-control-plane,bootstrap-token,kubelet-finalize,addon";
    timed(host.command(env!("CARGO_BIN_EXE_kubelift")).args(["init", "--non-interactive", "--skip-phases", skip, "--root"]).arg(host.root.path()).arg("--config").arg(host.path("/kubeadm.yaml")));
    host.wait_for_node(name, Duration::from_secs(30));
    host
}

fn kubeadm_control_plane(net: &Network, bins: &std::path::Path, name: &str) -> TestHost {
    let mut host = net.host(name);
    let config = host.path("/kubeadm.yaml");
    std::fs::write(&config, e2e::reference_config(&host)).unwrap();
    for phase in [&["certs", "all"][..], &["kubeconfig", "all"], &["etcd", "local"], &["control-plane", "all"]] {
        timed(host.command(bins.join("kubeadm")).args(["init", "phase"]).args(phase).arg("--config").arg(&config));
    }
    host.start_kubelet(bins);
    host.wait_ready(Duration::from_secs(90));
    host.wait_for_node(name, Duration::from_secs(30));
    host
}

#[test]
#[ignore]
fn api_phases_side_by_side_with_kubeadm() {
    let Some(bins) = e2e::binaries("api_phases_side_by_side_with_kubeadm") else { return };
    let net = Network::new();
    let a = kubelift_control_plane(&net, &bins, "cp1");
    let b = kubeadm_control_plane(&net, &bins, "cp2");
    let kubelift = timed(a.command(env!("CARGO_BIN_EXE_kubelift")).args(["init", "--non-interactive", "--skip-phases", SKIP_ALL_BUT_API, "--root"]).arg(a.root.path()).arg("--config").arg(a.path("/kubeadm.yaml")));
    let kubeadm = timed(b.command(bins.join("kubeadm")).args(["init", "--skip-phases", &format!("{SKIP_ALL_BUT_API},upload-certs")]).arg("--config").arg(b.path("/kubeadm.yaml")));
    // Again, on the now complete clusters: the idempotent re-run.
    let kubelift_again = timed(a.command(env!("CARGO_BIN_EXE_kubelift")).args(["phase", "upload-config", "--root"]).arg(a.root.path()).arg("--config").arg(a.path("/kubeadm.yaml")));
    println!("API phases (upload-config .. addon), first run: kubelift {kubelift:?}, kubeadm {kubeadm:?}; ratio {:.2}", kubelift.as_secs_f64() / kubeadm.as_secs_f64());
    println!("kubelift phase upload-config again (unchanged objects): {kubelift_again:?}");
}

#[test]
#[ignore]
fn worker_join_time() {
    let Some(bins) = e2e::binaries("worker_join_time") else { return };
    let net = Network::new();
    let mut cp = net.host("cp1");
    std::fs::write(cp.path("/kubeadm.yaml"), e2e::reference_config(&cp)).unwrap();
    cp.start_kubelet(&bins);
    timed(cp.command(env!("CARGO_BIN_EXE_kubelift")).args(["init", "--non-interactive", "--skip-phases", "preflight", "--root"]).arg(cp.root.path()).arg("--config").arg(cp.path("/kubeadm.yaml")));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !String::from_utf8_lossy(&cp.kubectl("/etc/kubernetes/admin.conf", &["-n", "kube-public", "get", "cm", "cluster-info", "-o", "jsonpath={.data}"]).stdout).contains("jws-kubeconfig-abcdef") {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(200));
    }
    let pem = std::fs::read(cp.path("/etc/kubernetes/pki/ca.crt")).unwrap();
    let hash = kubelift::discovery::pin::hash_string(&pem::parse(pem).unwrap().into_contents()).unwrap();
    for i in 0..3 {
        let w = net.host(&format!("w{i}"));
        let took = timed(w.command(env!("CARGO_BIN_EXE_kubelift")).args(["join", &format!("{}:6443", cp.address), "--token", "abcdef.0123456789abcdef", "--discovery-token-ca-cert-hash", &hash, "--non-interactive", "--skip-phases", "preflight", "--cri-socket", "unix:///run/containerd/containerd.sock", "--node-name", &format!("w{i}"), "--root"]).arg(w.root.path()));
        println!("worker join {i}: start to issued credentials and kubelet.conf: {took:?}");
    }
}
