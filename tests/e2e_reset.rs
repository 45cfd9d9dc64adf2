//! Day 2 on a test host against the real control-plane binaries:
//! `kubelift token` create/list/delete (and an expired token listed and
//! cleaned), then `kubelift reset`, after which the host's root is, file by
//! file, as it was before init, and the journal is gone.

mod support;

use std::process::{Command, Output};
use std::time::Duration;
use support::e2e::{self, TestHost};
use support::tree;

fn kubelift(host: &TestHost, args: &[&str]) -> Output {
    // Inside the host: its network namespace, so 127.0.0.1:2379 is its etcd.
    host.command(env!("CARGO_BIN_EXE_kubelift")).args(["--non-interactive", "--root"]).arg(host.root.path()).args(args).env("HOME", "/nonexistent-home").env_remove("SUDO_USER").output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", text(&o));
    text(&o)
}

fn ca_pin(host: &TestHost) -> String {
    let pem = std::fs::read(host.path("/etc/kubernetes/pki/ca.crt")).unwrap();
    let der = pem::parse(pem).unwrap().into_contents();
    kubelift::discovery::pin::hash_string(&der).unwrap()
}

fn tokens(host: &TestHost) -> Vec<serde_json::Value> {
    let out = kubelift(host, &["token", "list", "-o", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn token_commands(host: &TestHost, bins: &std::path::Path) {
    // create: kubeadm's flags, a join command kubeadm would accept.
    let join = ok(kubelift(host, &["token", "create", "--ttl", "2h", "--description", "e2e", "--print-join-command"]));
    let pin = ca_pin(host);
    let expected = format!("kubelift join {}:6443 --token ", host.address);
    assert!(join.starts_with(&expected) && join.trim_end().ends_with(&format!("--discovery-token-ca-cert-hash {pin}")), "{join}");
    let created_id = join.split("--token ").nth(1).unwrap()[..6].to_string();

    // JSON carries the token (asked for by name), the pin and the endpoint.
    let out = kubelift(host, &["token", "create", "--ttl", "0", "-o", "json"]);
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    assert_eq!(created["ca_cert_hashes"][0], pin.as_str());
    assert_eq!(created["endpoint"], format!("{}:6443", host.address));
    assert!(created["expires"].is_null(), "ttl 0 never expires: {created}");
    let forever_id = created["id"].as_str().unwrap().to_string();

    // An existing id is refused as kubeadm refuses it.
    let again = kubelift(host, &["token", "create", "abcdef.0123456789abcdef"]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(text(&again).contains("a token with id \"abcdef\" already exists"), "{}", text(&again));

    // list: TTL remaining, secrets hidden unless asked.
    let listed = ok(kubelift(host, &["token", "list"]));
    assert!(listed.starts_with("TOKEN"), "{listed}");
    let line = listed.lines().find(|l| l.starts_with(&created_id)).unwrap_or_else(|| panic!("{listed}"));
    assert!(line.contains(&format!("{created_id}.<hidden>")) && (line.contains(" 1h ") || line.contains(" 2h ")) && line.contains("e2e"), "{line}");
    assert!(!listed.contains("0123456789abcdef"), "{listed}");
    assert!(ok(kubelift(host, &["token", "list", "--show-secrets"])).contains("abcdef.0123456789abcdef"));
    // Real kubeadm reads kubelift's Secrets.
    let kubeadm_list = e2e::run(host.command(bins.join("kubeadm")).args(["token", "list"]));
    assert!(kubeadm_list.contains(&created_id) && kubeadm_list.contains(&forever_id), "{kubeadm_list}");

    // delete by id, and by whole token.
    assert!(ok(kubelift(host, &["token", "delete", &created_id])).contains(&format!("bootstrap token \"{created_id}\" deleted")));
    ok(kubelift(host, &["token", "delete", created["token"].as_str().unwrap()]));
    let ids: Vec<String> = tokens(host).iter().map(|t| t["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, ["abcdef"], "{ids:?}");

    expired_token(host);
}

/// An expired token is listed as expired and cleaned. The controller-manager's
/// tokencleaner deletes expired tokens as soon as it sees them, so a finalizer
/// holds this one long enough to be observed.
fn expired_token(host: &TestHost) {
    let secret = serde_json::json!({
        "apiVersion": "v1", "kind": "Secret", "type": "bootstrap.kubernetes.io/token",
        "metadata": { "name": "bootstrap-token-exp123", "namespace": "kube-system", "finalizers": ["kubelift.test/hold"] },
        "stringData": { "token-id": "exp123", "token-secret": "0123456789abcdef", "expiration": "2020-01-01T00:00:00Z",
                        "usage-bootstrap-authentication": "true", "usage-bootstrap-signing": "true" } });
    let file = host.path("/expired-token.json");
    std::fs::write(&file, secret.to_string()).unwrap();
    let created = Command::new("kubectl").arg("--kubeconfig").arg(host.path("/etc/kubernetes/admin.conf")).arg("create").arg("-f").arg(&file).output().unwrap();
    assert!(created.status.success(), "{}", text(&created));
    std::fs::remove_file(&file).unwrap();
    let listed = ok(kubelift(host, &["token", "list"]));
    let line = listed.lines().find(|l| l.starts_with("exp123")).unwrap_or_else(|| panic!("{listed}"));
    assert!(line.contains("<expired>"), "{line}");
    assert!(tokens(host).iter().any(|t| t["id"] == "exp123" && t["expired"] == true));
    let cleaned = ok(kubelift(host, &["token", "list", "--clean-expired"]));
    assert!(cleaned.contains("bootstrap token \"exp123\" deleted"), "{cleaned}");
    let released = host.kubectl("/etc/kubernetes/admin.conf", &["-n", "kube-system", "patch", "secret", "bootstrap-token-exp123", "--type=merge", "-p", "{\"metadata\":{\"finalizers\":null}}"]);
    assert!(released.status.success(), "{}", text(&released));
    let started = std::time::Instant::now();
    while tokens(host).iter().any(|t| t["id"] == "exp123") {
        assert!(started.elapsed() < Duration::from_secs(20), "the expired token was not deleted");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn tokens_then_reset_leaves_the_host_as_before_init() {
    let Some(bins) = e2e::binaries("tokens_then_reset_leaves_the_host_as_before_init") else { return };
    let net = e2e::Network::new();
    let mut host = net.host("cp1");
    std::fs::write(host.path("/kubeadm.yaml"), e2e::reference_config(&host)).unwrap();
    let before = tree::snapshot(host.root.path());
    host.start_kubelet(&bins);
    let started = std::time::Instant::now();
    let init = kubelift(&host, &["init", "--config", &host.path("/kubeadm.yaml").display().to_string(), "--skip-phases", "preflight"]);
    assert!(init.status.success(), "init failed:\n{}\n{}", text(&init), host.logs());
    println!("init took {:?}", started.elapsed());
    host.wait_ready(Duration::from_secs(30));

    token_commands(&host, &bins);

    // remove-etcd-member against the live etcd: the only member is not removed, and says so.
    let member = kubelift(&host, &["reset", "--force", "--skip-phases", "cleanup-node"]);
    assert!(member.status.success(), "{}", text(&member));
    assert!(text(&member).contains("only etcd member"), "{}", text(&member));
    assert!(host.path("/var/lib/kubelift/journal.json").exists(), "the journal stays until cleanup-node");

    // On a real node reset stops the Pods through CRI; here the stand-in is the runtime.
    host.stop_kubelet();
    let started = std::time::Instant::now();
    let reset = kubelift(&host, &["reset", "--force"]);
    assert!(reset.status.success(), "{}", text(&reset));
    println!("reset took {:?}", started.elapsed());
    let mut left = tree::diff(&before, &tree::snapshot(host.root.path()));
    // The stand-in, not kubelift, writes Pod logs where the kubelet keeps them.
    left.retain(|l| !l.contains(" var/log"));
    assert_eq!(left, Vec::<String>::new(), "reset left these behind:\n{}", text(&reset));
    assert!(!host.path("/var/lib/kubelift").exists(), "the journal is gone");
}

/// The day-2 issue's scenario: init, join a worker, reset the worker, then the
/// control plane; both hosts' roots are then as they were before, file by file.
#[test]
fn reset_a_joined_worker_then_the_control_plane() {
    let Some(bins) = e2e::binaries("reset_a_joined_worker_then_the_control_plane") else { return };
    let net = e2e::Network::new();
    let mut cp = net.host("cp1");
    std::fs::write(cp.path("/kubeadm.yaml"), e2e::reference_config(&cp)).unwrap();
    let cp_before = tree::snapshot(cp.root.path());
    cp.start_kubelet(&bins);
    ok(kubelift(&cp, &["init", "--config", &cp.path("/kubeadm.yaml").display().to_string(), "--skip-phases", "preflight"]));
    e2e::wait_signed(&cp);

    let mut w1 = net.host("w1");
    let w1_before = tree::snapshot(w1.root.path());
    w1.start_kubelet(&bins);
    let endpoint = format!("{}:6443", cp.address);
    ok(kubelift(&w1, &["join", &endpoint, "--token", e2e::TOKEN, "--discovery-token-ca-cert-hash", &ca_pin(&cp), "--skip-phases", "preflight", "--node-name", "w1", "--cri-socket", "unix:///run/containerd/containerd.sock"]));
    cp.wait_for_node("w1", Duration::from_secs(30));

    for (host, before) in [(&mut w1, &w1_before), (&mut cp, &cp_before)] {
        host.stop_kubelet();
        let reset = kubelift(host, &["reset", "--force"]);
        assert!(reset.status.success(), "reset of {}: {}", host.name, text(&reset));
        let mut left = tree::diff(before, &tree::snapshot(host.root.path()));
        left.retain(|l| !l.contains(" var/log"));
        assert_eq!(left, Vec::<String>::new(), "reset of {} left these behind:\n{}", host.name, text(&reset));
        assert!(!host.path("/var/lib/kubelift").exists(), "the journal of {} is gone", host.name);
    }
}
