//! The CSR screen against a real control plane: `kubelift init` in a test
//! host, a valid kubelet-serving CSR from the node, then `kubelift csr --root
//! <host root>` in tmux (a real terminal). Keys find the request with the text
//! filter, approve it through the dialog, and the test checks the screen, the
//! Approved condition kubectl reads, and the certificate the real
//! kube-controller-manager signs. A failing request next to it stays pending
//! until it is denied through the deny dialog, with the reason typed there.

mod support;

use std::time::{Duration, Instant};

use support::e2e::{self, create_serving_csr, TestHost};
use support::tmux::Tmux;

const TEST: &str = "csr_screen_approves_a_request_that_the_controller_manager_signs";

fn conditions(host: &TestHost, name: &str) -> Vec<(String, String)> {
    let csr = host.kubectl_json(&["get", "csr", name]);
    let pair = |c: &serde_json::Value| (c["type"].as_str().unwrap_or_default().to_string(), c["reason"].as_str().unwrap_or_default().to_string());
    csr["status"]["conditions"].as_array().into_iter().flatten().map(pair).collect()
}

fn wait_for_certificate(host: &TestHost, name: &str) {
    let started = Instant::now();
    loop {
        let csr = host.kubectl_json(&["get", "csr", name]);
        if csr["status"]["certificate"].as_str().is_some_and(|c| !c.is_empty()) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the controller-manager did not sign {name}: {csr}\n{}", host.logs());
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn csr_screen_approves_a_request_that_the_controller_manager_signs() {
    let Some(bins) = e2e::binaries(TEST) else { return };
    let net = e2e::Network::new();
    let (host, own_ip, stranger_ip) = e2e::csr_control_plane(&net, &bins);
    create_serving_csr(&host, "/etc/kubernetes/kubelet.conf", "tui-valid", "cp1", &["cp1"], &[own_ip]);
    create_serving_csr(&host, "/etc/kubernetes/kubelet.conf", "tui-foreign-ip", "cp1", &["cp1"], &[stranger_ip]);

    // From the test machine, as e2e_csr.rs runs the headless commands: the
    // host's admin.conf (found under --root) names the host's address on the test bridge.
    let log = host.path("/kubelift-tui.log");
    let command = format!("{} csr --root {} --log-file {}; echo kubelift-exit-$?; sleep 30", env!("CARGO_BIN_EXE_kubelift"), host.root.path().display(), log.display());
    let Some(t) = Tmux::start("csr-screen", &command) else { return };
    // Other requests (the node's own client certificate) are decided: the
    // pending list holds the two made here.
    let screen = t.wait_for("tui-foreign-ip");
    assert!(screen.contains("tui-valid") && screen.contains(" · 2/"), "{screen}");
    assert!(screen.contains("✗ fail") && screen.contains("✓ pass"), "{screen}");

    // The text filter narrows the list to the valid one; the cursor is on it.
    t.keys(&["/"]);
    t.keys(&["-l", "tui-valid"]);
    t.keys(&["Enter"]);
    t.wait_for(" · 1/");
    t.keys(&["a"]);
    let dialog = t.wait_for("Approve 1 certificate request?");
    assert!(dialog.contains("✓ tui-valid") && !dialog.contains("FORCED"), "{dialog}");
    t.keys(&["y"]);
    t.wait_for("1 approved, 0 failed");

    wait_for_certificate(&host, "tui-valid");
    assert_eq!(conditions(&host, "tui-valid"), [("Approved".to_string(), "KubeliftApprove".to_string())]);
    assert!(conditions(&host, "tui-foreign-ip").is_empty(), "the failing request was not touched");

    // The watch brings the decision back: pending-only hides it, `p` shows it issued.
    t.wait_for("No request matches the filter");
    t.keys(&["p"]);
    let issued = t.wait_for("Approved,Issued");
    assert!(issued.contains("tui-valid"), "{issued}");

    // Deny the failing one with a reason typed in the dialog.
    t.keys(&["p", "/", "C-u"]);
    t.keys(&["-l", "tui-foreign"]);
    t.keys(&["Enter", "d"]);
    t.wait_for("Deny 1 certificate request?");
    t.keys(&["Enter"]);
    t.wait_for("a reason is required");
    t.keys(&["-l", "IP not on Node cp1"]);
    t.keys(&["Enter"]);
    t.wait_for("1 denied, 0 failed");
    assert_eq!(conditions(&host, "tui-foreign-ip"), [("Denied".to_string(), "KubeliftDeny".to_string())]);
    let denied = host.kubectl_json(&["get", "csr", "tui-foreign-ip"]);
    assert_eq!(denied["status"]["conditions"][0]["message"], "IP not on Node cp1");

    t.keys(&["q"]);
    let end = t.wait_for("kubelift-exit-");
    assert!(end.contains("kubelift-exit-0"), "{end}");
    let logs = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!logs.contains("BEGIN EC PRIVATE KEY") && !logs.contains("client-key-data"), "no key reaches the log");
}
