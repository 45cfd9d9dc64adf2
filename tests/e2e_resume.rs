//! Killing `kubelift init` at every API phase, one after another on the same
//! host, then running it once more: every run resumes and the last completes.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;
use support::e2e::{self, TestHost};

const API_PHASES: &[&str] = &[
    "wait-control-plane",
    "upload-config/kubeadm",
    "upload-config/kubelet",
    "upload-certs",
    "mark-control-plane",
    "bootstrap-token",
    "kubelet-finalize/experimental-cert-rotation",
    "addon/coredns",
    "addon/kube-proxy",
];

fn init(host: &TestHost) -> std::process::Command {
    let mut cmd = host.command(env!("CARGO_BIN_EXE_kubelift"));
    cmd.args(["init", "--non-interactive", "--output", "json", "--upload-certs", "--skip-phases", "preflight", "--root"]).arg(host.root.path()).arg("--config").arg(host.path("/kubeadm.yaml"));
    cmd
}

/// Runs init and SIGKILLs it as soon as `phase` starts; returns the phases it started.
fn kill_at(host: &TestHost, phase: &str) -> Vec<String> {
    let mut child = init(host).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut started = vec![];
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let event: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        if event["event"] == "phase_started" {
            let id = event["phase"].as_str().unwrap().to_string();
            started.push(id.clone());
            if id == phase {
                child.kill().unwrap();
                break;
            }
        }
    }
    child.wait().unwrap();
    started
}

#[test]
fn init_killed_at_each_api_phase_resumes_and_completes() {
    let Some(bins) = e2e::binaries("init_killed_at_each_api_phase_resumes_and_completes") else { return };
    let net = e2e::Network::new();
    let mut host = net.host("cp1");
    std::fs::write(host.path("/kubeadm.yaml"), e2e::reference_config(&host)).unwrap();
    host.start_kubelet(&bins);
    let mut previous: Option<&str> = None;
    for phase in API_PHASES {
        let started = kill_at(&host, phase);
        assert_eq!(started.last().map(String::as_str), Some(*phase), "the run never reached {phase}: {started:?}");
        if let Some(prev) = previous {
            // The run resumed at the phase the previous one was killed in.
            assert_eq!(started.first().map(String::as_str), Some(prev), "after a kill in {prev}: {started:?}");
        }
        previous = Some(phase);
    }
    let out = init(&host).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    host.wait_ready(Duration::from_secs(30));
    for (ns, kind, name) in [("kube-system", "configmap", "kubeadm-config"), ("kube-system", "secret", "kubeadm-certs"), ("kube-public", "configmap", "cluster-info"), ("kube-system", "daemonset", "kube-proxy"), ("kube-system", "deployment", "coredns")] {
        let got = host.kubectl("/etc/kubernetes/admin.conf", &["-n", ns, "get", kind, name]);
        assert!(got.status.success(), "{kind} {ns}/{name} is missing after the resumed runs");
    }
}
