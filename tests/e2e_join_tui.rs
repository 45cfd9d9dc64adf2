//! `kubelift join` at a terminal against a control plane made by `kubelift
//! init`: tmux runs the join wizard inside the worker's test host, the flags
//! prefill the form, Enter runs the real join engine (discovery with the
//! pinned CA, TLS bootstrap), and the Done view says the node joined.

mod support;

use std::process::Command;
use std::time::Duration;
use support::e2e::{self, ca_hash, Network, TOKEN};
use support::tmux::Tmux;

/// A command line for tmux: each word single-quoted for the shell.
fn shell_line(cmd: &Command) -> String {
    let quote = |w: &std::ffi::OsStr| format!("'{}'", w.to_string_lossy().replace('\'', r"'\''"));
    std::iter::once(quote(cmd.get_program())).chain(cmd.get_args().map(quote)).collect::<Vec<_>>().join(" ")
}

#[test]
fn the_join_wizard_joins_a_worker() {
    let Some(bins) = e2e::binaries("the_join_wizard_joins_a_worker") else { return };
    let net = Network::new();
    let cp = e2e::control_plane(&net, &bins);
    let endpoint = format!("{}:6443", cp.address);
    let hash = ca_hash(&cp);
    let mut w1 = net.host("w1");
    w1.start_kubelet(&bins);
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("kubelift.log");

    // The same wrapper TestHost runs every command with: the worker's network and mount namespaces.
    let mut join = w1.command(env!("CARGO_BIN_EXE_kubelift"));
    join.arg("join").arg("--root").arg(w1.root.path()).arg("--log-file").arg(&log);
    join.args([endpoint.as_str(), "--token", TOKEN, "--discovery-token-ca-cert-hash", &hash, "--node-name", "w1"]);
    join.args(["--cri-socket", "unix:///run/containerd/containerd.sock", "--skip-phases", "preflight"]);
    let command = format!("{}; echo kubelift-exit-$?; sleep 60", shell_line(&join));
    let Some(t) = Tmux::start("join-wizard", &command) else { return };

    let form = t.wait_for("Join a cluster: your answers");
    // The hash is longer than its field: the field shows its end.
    assert!(form.contains(&endpoint) && form.contains(&hash[hash.len() - 24..]), "the flags prefill the form:\n{form}");
    let secret = TOKEN.split_once('.').unwrap().1;
    assert!(!form.contains(secret) && form.contains(&format!("{}.••••", TOKEN.split_once('.').unwrap().0)), "the form hides the token's secret:\n{form}");
    t.keys(&["Enter"]);
    let done = t.wait_up_to("This node has joined the cluster", Duration::from_secs(120));
    assert!(done.contains(&format!("w1 joined as a worker through {endpoint}")), "{done}");
    assert!(done.contains("kubectl get nodes") && done.contains("kubelet-serving request of system:node:w1"), "{done}");

    // The run's screen, back from Done: discovery's steps are there, the token's secret is not.
    t.keys(&["Escape"]);
    let run = t.wait_for("Joining the cluster");
    assert!(run.contains("✓ discovery") && run.contains("✓ kubelet-start"), "{run}");
    assert!(run.contains("proved its identity"), "discovery's log lines are shown:\n{run}");
    assert!(!run.contains(secret), "the token's secret is never on screen:\n{run}");
    t.keys(&["q"]);
    let end = t.wait_for("kubelift-exit-");
    assert!(end.contains("kubelift-exit-0"), "{end}");
    assert!(!std::fs::read_to_string(&log).unwrap().contains(secret), "the token's secret is never logged");

    assert!(w1.path("/etc/kubernetes/kubelet.conf").is_file(), "kubelet.conf is written");
    let subject = e2e::run(Command::new("openssl").args(["x509", "-noout", "-subject", "-in"]).arg(w1.path("/var/lib/kubelet/pki/kubelet-client-current.pem")));
    assert!(subject.contains("O = system:nodes, CN = system:node:w1"), "{subject}");
    cp.wait_for_node("w1", Duration::from_secs(30));
    let csrs = cp.kubectl("/etc/kubernetes/admin.conf", &["get", "csr", "-o", "jsonpath={.items[*].status.conditions[*].reason}"]);
    assert!(String::from_utf8_lossy(&csrs.stdout).contains("AutoApproved"), "the node's CSR was signed: {csrs:?}");
}
