//! `kubelift csr` against a real control plane made by `kubelift init`:
//! kubelet serving requests from node and non-node identities get the right
//! verdicts, `approve --all-passing` approves exactly the valid one and the
//! real controller-manager signs it, a failing one is refused by name, deny
//! writes its reason, and `watch --policy approve-if-valid` approves a new
//! valid request and stops cleanly on SIGTERM.

mod support;

use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::e2e::{self, create_serving_csr, TestHost};

const KUBELIFT: &str = env!("CARGO_BIN_EXE_kubelift");

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// `kubelift csr ...` from the test machine, with the host's admin.conf found under --root.
fn csr(host: &TestHost, args: &[&str]) -> Output {
    Command::new(KUBELIFT).args(["csr"]).args(args).arg("--root").arg(host.root.path()).output().unwrap()
}


fn verdicts(host: &TestHost) -> serde_json::Value {
    let out = csr(host, &["list", "-o", "json"]);
    assert!(out.status.success(), "csr list: {}", text(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list["schema"], "kubelift.csr/v1");
    list
}

fn item<'a>(list: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    list["items"].as_array().unwrap().iter().find(|i| i["name"] == name).unwrap_or_else(|| panic!("no {name} in {list}"))
}

fn failed_checks(item: &serde_json::Value) -> Vec<String> {
    item["verdict"]["checks"].as_array().unwrap().iter().filter(|c| c["result"] == "fail").map(|c| c["check"].as_str().unwrap().to_string()).collect()
}

fn wait_for_certificate(host: &TestHost, name: &str) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let csr = host.kubectl_json(&["get", "csr", name]);
        if csr["status"]["certificate"].as_str().is_some_and(|c| !c.is_empty()) {
            return csr;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the controller-manager did not sign {name}: {csr}\n{}", host.logs());
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn conditions(host: &TestHost, name: &str) -> Vec<String> {
    let csr = host.kubectl_json(&["get", "csr", name]);
    csr["status"]["conditions"].as_array().into_iter().flatten().map(|c| c["type"].as_str().unwrap().to_string()).collect()
}

#[test]
fn csr_verdicts_approval_and_signing_on_a_real_control_plane() {
    let Some(bins) = e2e::binaries("csr_verdicts_approval_and_signing_on_a_real_control_plane") else { return };
    let net = e2e::Network::new();
    let (host, own_ip, stranger_ip) = e2e::csr_control_plane(&net, &bins);
    let node_conf = "/etc/kubernetes/kubelet.conf"; // system:node:cp1
    create_serving_csr(&host, node_conf, "e2e-valid", "cp1", &["cp1"], &[own_ip]);
    create_serving_csr(&host, node_conf, "e2e-foreign-ip", "cp1", &["cp1"], &[stranger_ip]);
    create_serving_csr(&host, node_conf, "e2e-other-node", "cp2", &["cp2"], &[own_ip]);
    create_serving_csr(&host, "/etc/kubernetes/admin.conf", "e2e-not-a-node", "cp1", &["cp1"], &[own_ip]);

    let list = verdicts(&host);
    let valid = item(&list, "e2e-valid");
    assert_eq!(valid["verdict"]["result"], "pass", "{valid}");
    assert_eq!(valid["requestor"]["username"], "system:node:cp1");
    assert_eq!(valid["sans"]["ip"], serde_json::json!([own_ip.to_string()]));
    assert_eq!(valid["key"]["curve"], "P-256");
    assert_eq!(valid["condition"], "pending");
    assert_eq!(failed_checks(item(&list, "e2e-foreign-ip")), ["ip-addresses"]);
    assert_eq!(failed_checks(item(&list, "e2e-other-node")), ["common-name", "dns-names"]);
    let not_a_node = failed_checks(item(&list, "e2e-not-a-node"));
    assert!(not_a_node.contains(&"requestor".to_string()), "{not_a_node:?}");

    // A failing request is refused by name, and stays pending.
    let refused = csr(&host, &["approve", "e2e-foreign-ip"]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("--force e2e-foreign-ip"), "{}", text(&refused));
    assert!(conditions(&host, "e2e-foreign-ip").is_empty());

    // A dry run writes nothing.
    let dry = csr(&host, &["approve", "--all-passing", "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(conditions(&host, "e2e-valid").is_empty(), "the dry run approved");

    let approve = csr(&host, &["approve", "--all-passing", "--signer", "kubernetes.io/kubelet-serving"]);
    assert!(approve.status.success(), "{}", text(&approve));
    assert_eq!(String::from_utf8_lossy(&approve.stdout).trim(), "e2e-valid approved", "{}", text(&approve));
    let signed = wait_for_certificate(&host, "e2e-valid");
    let condition = &signed["status"]["conditions"][0];
    assert_eq!((condition["type"].as_str(), condition["reason"].as_str()), (Some("Approved"), Some("KubeliftApprove")), "{signed}");
    for name in ["e2e-foreign-ip", "e2e-other-node", "e2e-not-a-node"] {
        assert!(conditions(&host, name).is_empty(), "{name} was decided");
    }

    let deny = csr(&host, &["deny", "e2e-not-a-node", "--reason", "not a node"]);
    assert!(deny.status.success(), "{}", text(&deny));
    let denied = host.kubectl_json(&["get", "csr", "e2e-not-a-node"]);
    assert_eq!(denied["status"]["conditions"][0]["message"], "not a node");
    let again = csr(&host, &["approve", "e2e-not-a-node", "--force", "e2e-not-a-node"]);
    assert_eq!(again.status.code(), Some(1), "a denied request cannot be approved: {}", text(&again));

    watch_approves_new_valid_requests(&host, own_ip);
}

fn watch_approves_new_valid_requests(host: &TestHost, own_ip: IpAddr) {
    let mut child = Command::new(KUBELIFT)
        .args(["csr", "watch", "--policy", "approve-if-valid", "--signer", "kubernetes.io/kubelet-serving", "-o", "json", "--root"])
        .arg(host.root.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Existing pending requests are judged first: the failing ones are left.
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let line: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        assert_eq!(line["decision"], "left_pending", "{line}");
        seen.push(line["csr"].as_str().unwrap().to_string());
    }
    seen.sort();
    assert_eq!(seen, ["e2e-foreign-ip", "e2e-other-node"]);
    create_serving_csr(host, "/etc/kubernetes/kubelet.conf", "e2e-watched", "cp1", &["cp1"], &[own_ip]);
    let line: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!((line["decision"].as_str(), line["csr"].as_str()), (Some("approved"), Some("e2e-watched")), "{line}");
    assert_eq!(line["verdict"]["result"], "pass");
    wait_for_certificate(host, "e2e-watched");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "watch exit: {:?} {}", out.status, String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stopped on SIGTERM"), "{}", String::from_utf8_lossy(&out.stderr));
}
