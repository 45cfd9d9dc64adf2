//! `kubelift certs renew all` on a serving control plane (real binaries in a
//! test host): after the static Pods restart, the API server serves its
//! renewed certificate, reaches etcd with the renewed client certificate,
//! and accepts the renewed admin.conf.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::e2e;

const API_PHASES: &str = "upload-config,upload-certs,mark-control-plane,bootstrap-token,kubelet-finalize,addon";
const STATIC_PODS: [&str; 4] = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];

fn kubelift() -> &'static str {
    env!("CARGO_BIN_EXE_kubelift")
}

/// The serial of the certificate `addr:6443` serves, verified against ca.crt.
fn served_serial(host: &e2e::TestHost) -> String {
    let ca = host.path("/etc/kubernetes/pki/ca.crt");
    let out = Command::new("openssl").args(["s_client", "-connect", &format!("{}:6443", host.address)]).arg("-CAfile").arg(&ca).stdin(Stdio::null()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("Verify return code: 0 (ok)"), "{text}");
    let pem: String = text.lines().skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE")).take_while(|l| !l.starts_with("-----END")).chain(["-----END CERTIFICATE-----"]).map(|l| format!("{l}\n")).collect();
    serial(pem.as_bytes())
}

fn serial(pem: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("openssl").args(["x509", "-noout", "-serial"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(pem).unwrap();
    String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap().trim().to_string()
}

#[test]
fn renewed_certificates_are_served_after_the_restarts() {
    let Some(bins) = e2e::binaries("renewed_certificates_are_served_after_the_restarts") else { return };
    let net = e2e::Network::new();
    let mut host = net.host("cp1");
    let config = host.path("/kubeadm.yaml");
    std::fs::write(&config, e2e::reference_config(&host)).unwrap();
    host.start_kubelet(&bins);
    let out = host.command(kubelift()).args(["init", "--non-interactive", "--root"]).arg(host.root.path()).arg("--config").arg(&config).args(["--skip-phases", &format!("preflight,{API_PHASES}")]).output().unwrap();
    assert!(out.status.success(), "init failed:\n{}\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr), host.logs());
    host.wait_ready(Duration::from_secs(60));
    let before = served_serial(&host);
    assert_eq!(before, serial(&std::fs::read(host.path("/etc/kubernetes/pki/apiserver.crt")).unwrap()));
    let old_admin = host.path("/admin-before-renewal.conf");
    std::fs::copy(host.path("/etc/kubernetes/admin.conf"), &old_admin).unwrap();

    let renew = Command::new(kubelift()).args(["certs", "renew", "all", "--config"]).arg(&config).arg("--root").arg(host.root.path()).output().unwrap();
    let text = String::from_utf8_lossy(&renew.stdout);
    assert!(renew.status.success(), "{text}{}", String::from_utf8_lossy(&renew.stderr));
    assert!(text.contains("You must restart etcd, kube-apiserver, kube-controller-manager, kube-scheduler"), "{text}");
    // renew restarts them itself: every manifest changed, so the kubelet (here the stand-in) recreates the Pods.
    assert!(text.contains("kubelift restarted etcd, kube-apiserver, kube-controller-manager, kube-scheduler"), "{text}");
    for pod in STATIC_PODS {
        let manifest = std::fs::read_to_string(host.path(&format!("/etc/kubernetes/manifests/{pod}.yaml"))).unwrap();
        assert!(manifest.contains("kubelift.io/restarted-at"), "{pod}: {manifest}");
    }

    let renewed = serial(&std::fs::read(host.path("/etc/kubernetes/pki/apiserver.crt")).unwrap());
    assert_ne!(renewed, before);
    let started = Instant::now();
    loop {
        host.wait_ready(Duration::from_secs(60));
        if served_serial(&host) == renewed {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the API server still serves the old certificate:\n{}", host.logs());
        std::thread::sleep(Duration::from_millis(500));
    }
    // etcd behind it works with the renewed client and server certificates.
    let ns = host.kubectl("/etc/kubernetes/admin.conf", &["create", "namespace", "renewed"]);
    assert!(ns.status.success(), "{}\n{}", String::from_utf8_lossy(&ns.stderr), host.logs());
    // The key was kept, and the old admin.conf's certificate is still valid.
    let old = host.kubectl("/admin-before-renewal.conf", &["get", "namespace", "renewed"]);
    assert!(old.status.success(), "{}", String::from_utf8_lossy(&old.stderr));
}
