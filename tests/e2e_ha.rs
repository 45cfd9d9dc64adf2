//! A highly available control plane on test hosts: `kubelift init
//! --upload-certs` with a controlPlaneEndpoint on cp1, then `kubelift join
//! --control-plane --certificate-key` on cp2 and cp3. The stacked etcd grows
//! to three members, every API server answers, and with cp1 stopped the
//! cluster still answers through cp2 and cp3. A wrong certificate key fails
//! cleanly and writes nothing. Then cp3 leaves with `kubelift reset`: its
//! etcd member is removed first and nothing of it stays on the host.
//!
//! The control-plane endpoint is cp1's address: the harness has no DNS and no
//! load balancer, so the endpoint cannot move when cp1 stops. The test then
//! talks to cp2 and cp3 by their own addresses, which their API server
//! certificates name (see docs/ha.md).

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use support::e2e::{self, ca_hash, kubelift, text, Network, TestHost, TOKEN};

const CERTIFICATE_KEY: &str = "3f5e1a0c2b7d4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7";
const WRONG_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const CRI: &str = "unix:///run/containerd/containerd.sock";




/// cp1: the reference config with cp1's address as the controlPlaneEndpoint.
fn first_control_plane(net: &Network, bins: &Path) -> TestHost {
    let mut cp = net.host("cp1");
    let config = format!("{}controlPlaneEndpoint: {}:6443\n", e2e::reference_config(&cp), cp.address);
    std::fs::write(cp.path("/kubeadm.yaml"), config).unwrap();
    cp.start_kubelet(bins);
    let config = cp.path("/kubeadm.yaml");
    let out = kubelift(&cp, &["init", "--non-interactive", "--skip-phases", "preflight", "--upload-certs", "--certificate-key", CERTIFICATE_KEY, "--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "init failed:\n{}\n{}", text(&out), cp.logs());
    assert!(!text(&out).contains(CERTIFICATE_KEY) || text(&out).contains("certificate-key"), "the key appears only in the join command");
    // The controller-manager's bootstrap signer signs cluster-info shortly after.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !String::from_utf8_lossy(&cp.kubectl("/etc/kubernetes/admin.conf", &["-n", "kube-public", "get", "cm", "cluster-info", "-o", "jsonpath={.data}"]).stdout).contains("jws-kubeconfig-abcdef") {
        assert!(Instant::now() < deadline, "cluster-info was never signed");
        std::thread::sleep(Duration::from_millis(300));
    }
    cp
}

fn join_control_plane(host: &TestHost, endpoint: &str, hash: &str, key: &str) -> Output {
    let address = host.address.to_string();
    kubelift(
        host,
        &[
            "join", endpoint, "--non-interactive", "--skip-phases", "preflight", "--control-plane", "--certificate-key", key, "--token", TOKEN,
            "--discovery-token-ca-cert-hash", hash, "--apiserver-advertise-address", &address, "--node-name", &host.name, "--cri-socket", CRI,
        ],
    )
}


/// `etcdctl member list` through `through`'s etcd, with its client certificate.
fn etcd_members(through: &TestHost) -> Vec<String> {
    let pki = |f: &str| through.path(&format!("/etc/kubernetes/pki/{f}"));
    let out = Command::new("etcdctl")
        .env("ETCDCTL_API", "3")
        .arg(format!("--endpoints=https://{}:2379", through.address))
        .arg("--cacert")
        .arg(pki("etcd/ca.crt"))
        .arg("--cert")
        .arg(pki("apiserver-etcd-client.crt"))
        .arg("--key")
        .arg(pki("apiserver-etcd-client.key"))
        .args(["member", "list", "-w", "simple"])
        .output()
        .unwrap();
    assert!(out.status.success(), "etcdctl member list via {}: {}", through.name, text(&out));
    String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect()
}

/// kubectl against one API server by its own address, with a host's admin.conf.
fn kubectl_at(host: &TestHost, server: &TestHost, args: &[&str]) -> Output {
    let mut full = vec!["--server".to_string(), format!("https://{}:6443", server.address)];
    full.extend(args.iter().map(|a| a.to_string()));
    let full: Vec<&str> = full.iter().map(String::as_str).collect();
    host.kubectl("/etc/kubernetes/admin.conf", &full)
}

fn assert_ready(host: &TestHost, server: &TestHost) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = kubectl_at(host, server, &["get", "--raw", "/readyz"]);
        if out.status.success() {
            return;
        }
        assert!(Instant::now() < deadline, "kube-apiserver of {} is not ready: {}\n{}", server.name, text(&out), server.logs());
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn three_control_planes_survive_the_loss_of_the_first() {
    let Some(bins) = e2e::binaries("three_control_planes_survive_the_loss_of_the_first") else { return };
    let net = Network::new();
    let mut cp1 = first_control_plane(&net, &bins);
    let endpoint = format!("{}:6443", cp1.address);
    let hash = ca_hash(&cp1);

    // A wrong certificate key fails in download-certs and leaves cp2 untouched.
    let mut cp2 = net.host("cp2");
    let before = cp2.files();
    let out = join_control_plane(&cp2, &endpoint, &hash, WRONG_KEY);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("cannot decrypt Secret kube-system/kubeadm-certs"), "{}", text(&out));
    assert!(!text(&out).contains(CERTIFICATE_KEY) && !text(&out).contains(WRONG_KEY) && !text(&out).contains("0123456789abcdef"), "no secret in the output: {}", text(&out));
    assert_eq!(cp2.files(), before, "a wrong key writes nothing");

    cp2.start_kubelet(&bins);
    let started = Instant::now();
    let out = join_control_plane(&cp2, &endpoint, &hash, CERTIFICATE_KEY);
    assert!(out.status.success(), "cp2 join failed:\n{}\n{}", text(&out), cp2.logs());
    assert!(text(&out).contains("This node has joined the cluster and a new control plane instance was created"), "{}", text(&out));
    eprintln!("{}", text(&out));
    eprintln!("control-plane join of cp2 took {:?}", started.elapsed());
    for (file, mode) in [("pki/ca.key", 0o600), ("pki/ca.crt", 0o644), ("pki/sa.key", 0o600), ("pki/sa.pub", 0o644), ("pki/etcd/ca.key", 0o600), ("pki/apiserver.key", 0o600), ("admin.conf", 0o600)] {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(cp2.path(&format!("/etc/kubernetes/{file}"))).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(meta.permissions().mode() & 0o777, mode, "{file}");
    }
    assert!(!cp2.path("/etc/kubernetes/super-admin.conf").exists());
    assert_eq!(std::fs::read(cp2.path("/etc/kubernetes/pki/ca.key")).unwrap(), std::fs::read(cp1.path("/etc/kubernetes/pki/ca.key")).unwrap());
    let etcd = std::fs::read_to_string(cp2.path("/etc/kubernetes/manifests/etcd.yaml")).unwrap();
    // In the order etcd's MemberAdd returned the members, as kubeadm writes it.
    let initial = etcd.lines().find_map(|l| l.trim().strip_prefix("- --initial-cluster=")).unwrap_or_else(|| panic!("{etcd}"));
    let mut initial: Vec<&str> = initial.split(',').collect();
    initial.sort();
    assert_eq!(initial, [format!("cp1=https://{}:2380", cp1.address), format!("cp2=https://{}:2380", cp2.address)], "{etcd}");
    assert!(etcd.contains("--initial-cluster-state=existing"), "{etcd}");
    assert_eq!(etcd_members(&cp1).len(), 2, "{:?}", etcd_members(&cp1));
    assert_ready(&cp1, &cp1);
    assert_ready(&cp2, &cp2);
    let node = kubectl_at(&cp2, &cp2, &["get", "node", "cp2", "-o", "jsonpath={.metadata.labels}"]);
    assert!(text(&node).contains("node-role.kubernetes.io/control-plane"), "{}", text(&node));

    let mut cp3 = net.host("cp3");
    let cp3_before = cp3.files();
    cp3.start_kubelet(&bins);
    let started = Instant::now();
    let out = join_control_plane(&cp3, &endpoint, &hash, CERTIFICATE_KEY);
    assert!(out.status.success(), "cp3 join failed:\n{}\n{}", text(&out), cp3.logs());
    eprintln!("control-plane join of cp3 took {:?}", started.elapsed());
    assert_eq!(etcd_members(&cp3).len(), 3, "{:?}", etcd_members(&cp3));
    assert_ready(&cp3, &cp3);

    // cp1 goes away: etcd keeps its quorum (2 of 3), cp2 and cp3 still serve.
    cp1.stop_kubelet();
    for host in [&cp2, &cp3] {
        assert_ready(host, host);
        let nodes = kubectl_at(host, host, &["get", "nodes", "-o", "name"]);
        assert!(nodes.status.success() && text(&nodes).contains("node/cp3"), "{}", text(&nodes));
    }
    let write = kubectl_at(&cp2, &cp3, &["-n", "default", "create", "configmap", "after-cp1", "--from-literal=k=v"]);
    assert!(write.status.success(), "a write with cp1 down: {}", text(&write));
    let read = kubectl_at(&cp3, &cp2, &["-n", "default", "get", "configmap", "after-cp1", "-o", "jsonpath={.data.k}"]);
    assert_eq!(String::from_utf8_lossy(&read.stdout), "v", "{}", text(&read));

    // cp1 comes back, then cp3 leaves: reset removes its etcd member first.
    cp1.start_kubelet(&bins);
    assert_ready(&cp1, &cp1);
    reset_member_of_three(&mut cp3, &cp2);
    assert_eq!(cp3.files(), cp3_before, "reset of cp3 left files behind");
    for host in [&cp1, &cp2] {
        assert_ready(host, host);
    }
    let write = kubectl_at(&cp1, &cp2, &["-n", "default", "create", "configmap", "after-cp3", "--from-literal=k=v"]);
    assert!(write.status.success(), "a write after cp3 left: {}", text(&write));
}

/// `kubelift reset` of one of three control planes: its etcd member goes
/// (the two others keep quorum), then its files. The member is removed with
/// the stand-in still running etcd, as a kubelet would; the files after the
/// stand-in stopped, as reset stops the Pods through CRI on a real node.
fn reset_member_of_three(leaving: &mut TestHost, staying: &TestHost) {
    let out = kubelift(leaving, &["reset", "--force", "-v", "--skip-phases", "cleanup-node"]);
    assert!(out.status.success(), "reset of {}: {}", leaving.name, text(&out));
    let said = text(&out);
    assert!(said.contains(&format!("removed etcd member {}", leaving.name)) && said.contains("2 member(s) remain"), "{said}");
    let members = etcd_members(staying);
    assert_eq!(members.len(), 2, "{members:?}");
    assert!(!members.iter().any(|m| m.contains(&format!(", {}, ", leaving.name))), "{} is still a member: {members:?}", leaving.name);

    leaving.stop_kubelet();
    let out = kubelift(leaving, &["reset", "--force", "--skip-phases", "remove-etcd-member"]);
    assert!(out.status.success(), "cleanup of {}: {}", leaving.name, text(&out));
    assert!(!leaving.path("/var/lib/kubelift").exists(), "the journal of {} is gone", leaving.name);
}
