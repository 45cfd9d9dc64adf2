//! `kubelift join` on test hosts against a control plane made by `kubelift init`:
//! a worker joins through token discovery, CA pinning and TLS bootstrap, and
//! every attack on discovery fails cleanly without writing anything.

mod support;

use std::process::Output;
use std::time::Duration;
use support::e2e::{self, ca_hash, kubelift, text, Network, TestHost, TOKEN};

/// The host's files, less the join config the test itself writes there.
fn written(host: &TestHost) -> Vec<String> {
    host.files().into_iter().filter(|f| f != "join.yaml").collect()
}

/// A JoinConfiguration with a short discovery timeout, so that attacks fail fast.
fn join_config(host: &TestHost, endpoint: &str, token: &str, hash: &str) -> String {
    let yaml = format!(
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\nnodeRegistration:\n  name: {}\n  criSocket: unix:///run/containerd/containerd.sock\ndiscovery:\n  bootstrapToken:\n    apiServerEndpoint: {endpoint}\n    token: {token}\n    caCertHashes: [{hash}]\ntimeouts:\n  discovery: 4s\n  tlsBootstrap: 60s\n",
        host.name
    );
    let path = host.path("/join.yaml");
    std::fs::write(&path, yaml).unwrap();
    path.display().to_string()
}

fn join(host: &TestHost, config: &str) -> Output {
    kubelift(host, &["join", "--non-interactive", "--skip-phases", "preflight", "--config", config])
}

#[test]
fn a_worker_joins_and_attacks_fail_cleanly() {
    let Some(bins) = e2e::binaries("a_worker_joins_and_attacks_fail_cleanly") else { return };
    let net = Network::new();
    let cp = e2e::control_plane(&net, &bins);
    let endpoint = format!("{}:6443", cp.address);
    let hash = ca_hash(&cp);

    let mut w1 = net.host("w1");
    let before = written(&w1);
    let attacks = [
        ("unknown token", "zzzzzz.zzzzzzzzzzzzzzzz", hash.clone(), "invalid for this cluster or it has expired"),
        ("wrong token secret", "abcdef.ffffffffffffffff", hash.clone(), "does not match the token's secret"),
        ("wrong CA hash", TOKEN, format!("sha256:{}", "0".repeat(64)), "not pinned"),
    ];
    for (what, token, pin, expected) in attacks {
        let config = join_config(&w1, &endpoint, token, &pin);
        let out = join(&w1, &config);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", text(&out));
        assert!(text(&out).contains(expected), "{what}: {}", text(&out));
        assert_eq!(written(&w1), before, "{what}: nothing may be written");
    }
    // An expired token: the API server and the bootstrap signer both ignore it.
    let expired = r#"{"apiVersion":"v1","kind":"Secret","type":"bootstrap.kubernetes.io/token","metadata":{"name":"bootstrap-token-exp123","namespace":"kube-system"},"stringData":{"token-id":"exp123","token-secret":"0123456789abcdef","expiration":"2020-01-01T00:00:00Z","usage-bootstrap-signing":"true","usage-bootstrap-authentication":"true"}}"#;
    let path = cp.path("/expired-token.json");
    std::fs::write(&path, expired).unwrap();
    let created = cp.kubectl("/etc/kubernetes/admin.conf", &["create", "-f", path.to_str().unwrap()]);
    assert!(created.status.success(), "{created:?}");
    let config = join_config(&w1, &endpoint, "exp123.0123456789abcdef", &hash);
    let out = join(&w1, &config);
    assert!(text(&out).contains("invalid for this cluster or it has expired"), "expired token: {}", text(&out));
    assert_eq!(written(&w1), before, "expired token: nothing may be written");

    // A man in the middle relaying the genuine, correctly signed cluster-info
    // from a server with a certificate of another CA: the pin matches the
    // real CA, so the second, verified fetch must refuse the endpoint.
    let mitm = net.host("mitm");
    let (mitm_endpoint, mut server) = relay_cluster_info(&cp, &mitm);
    let config = join_config(&w1, &mitm_endpoint, TOKEN, &hash);
    let out = join(&w1, &config);
    let _ = server.kill();
    assert!(text(&out).contains("presented a TLS certificate that the pinned cluster CA does not verify"), "man in the middle: {}", text(&out));
    assert_eq!(written(&w1), before, "man in the middle: nothing may be written");

    let garbage = join_config(&w1, &endpoint, "garbage", &hash);
    let out = join(&w1, &garbage);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(written(&w1), before);

    // The real join: the controller-manager approves and signs the node's CSR.
    w1.start_kubelet(&bins);
    let config = join_config(&w1, &endpoint, TOKEN, &hash);
    let started = std::time::Instant::now();
    let out = join(&w1, &config);
    assert!(out.status.success(), "join failed:\n{}\n{}", text(&out), cp.logs());
    assert!(text(&out).contains("This node has joined the cluster:"), "kubeadm's closing words: {}", text(&out));
    eprintln!("join took {:?}", started.elapsed());
    let subject = e2e::run(std::process::Command::new("openssl").args(["x509", "-noout", "-subject", "-in"]).arg(w1.path("/var/lib/kubelet/pki/kubelet-client-current.pem")));
    assert!(subject.contains("O = system:nodes, CN = system:node:w1"), "{subject}");
    // kubelet.conf authenticates as the node: the stand-in registers Node w1 with it.
    cp.wait_for_node("w1", Duration::from_secs(30));
    let csrs = cp.kubectl("/etc/kubernetes/admin.conf", &["get", "csr", "-o", "jsonpath={.items[*].status.conditions[*].reason}"]);
    assert!(String::from_utf8_lossy(&csrs.stdout).contains("AutoApproved"), "{csrs:?}");
}

/// Serves the cluster's real cluster-info from `mitm` with a self-signed
/// certificate (openssl s_server -WWW), as an attacker relaying it would.
fn relay_cluster_info(cp: &TestHost, mitm: &TestHost) -> (String, std::process::Child) {
    let cm = cp.kubectl("/etc/kubernetes/admin.conf", &["-n", "kube-public", "get", "cm", "cluster-info", "-o", "json"]);
    assert!(cm.status.success());
    let www = mitm.path("/www");
    let file = www.join("api/v1/namespaces/kube-public/configmaps/cluster-info");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, &cm.stdout).unwrap();
    let (key, cert) = (mitm.path("/mitm.key"), mitm.path("/mitm.crt"));
    e2e::run(std::process::Command::new("openssl").args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=mitm", "-addext"]).arg(format!("subjectAltName=IP:{}", mitm.address)).arg("-keyout").arg(&key).arg("-out").arg(&cert));
    let server = mitm
        .command("openssl")
        .args(["s_server", "-quiet", "-accept", "6443", "-WWW", "-cert"])
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .current_dir(&www)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    (format!("{}:6443", mitm.address), server)
}
