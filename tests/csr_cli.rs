//! `kubelift csr` usage errors, without a cluster: each names the problem and the fix.

use assert_cmd::Command;
use predicates::str::contains;

fn kubelift() -> Command {
    let mut c = Command::cargo_bin("kubelift").unwrap();
    c.env_remove("KUBECONFIG").env_remove("KUBELIFT_ROOT");
    c
}

#[test]
fn without_a_kubeconfig_the_error_says_where_it_looked() {
    let root = tempfile::tempdir().unwrap();
    kubelift().args(["csr", "list", "--root"]).arg(root.path()).assert().code(2).stderr(contains("etc/kubernetes/admin.conf does not exist")).stderr(contains("--kubeconfig"));
}

#[test]
fn an_unreadable_kubeconfig_fails_with_a_hint() {
    kubelift().args(["csr", "list", "--kubeconfig", "/nonexistent/admin.conf"]).assert().code(1).stderr(contains("/nonexistent/admin.conf")).stderr(contains("hint:"));
}

#[test]
fn watch_policies_are_checked_before_connecting() {
    kubelift().args(["csr", "watch", "--policy", "insecure-always-approve", "--kubeconfig", "/nonexistent"]).assert().code(2).stderr(contains("approve-if-valid"));
    kubelift().args(["csr", "watch", "--policy", "maybe", "--kubeconfig", "/nonexistent"]).assert().code(2).stderr(contains("always-reject, queue or approve-if-valid"));
}

#[test]
fn check_settings_are_validated() {
    kubelift().args(["csr", "list", "--allowed-ip-range", "banana", "--kubeconfig", "/nonexistent"]).assert().code(2).stderr(contains("--allowed-ip-range"));
    kubelift().args(["csr", "list", "--max-duration", "1m", "--kubeconfig", "/nonexistent"]).assert().code(2).stderr(contains("10m"));
    kubelift().args(["csr", "list", "--policy-file", "/nonexistent/p.yaml"]).assert().code(2).stderr(contains("--policy-file"));
}

#[test]
fn approve_needs_names_or_all_passing_but_not_both() {
    kubelift().args(["csr", "approve"]).assert().code(2);
    kubelift().args(["csr", "approve", "x", "--all-passing"]).assert().code(2);
    kubelift().args(["csr", "deny", "x"]).assert().code(2).stderr(contains("--reason"));
}
