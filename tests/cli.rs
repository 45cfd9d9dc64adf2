//! The `kubelift` binary as a user meets it: help, config, headless dry runs, exit codes.

use assert_cmd::Command;
use clap::CommandFactory;
use serde_json::Value;
use std::path::Path;

use kubelift::cli::args::Cli;

const REFERENCE: &str = "tests/fixtures/kubeadm-v1.24/config/input-kubeadm.yaml";

fn kubelift() -> Command {
    let mut cmd = Command::cargo_bin("kubelift").unwrap();
    cmd.env_remove("KUBELIFT_ROOT").env_remove("KUBELIFT_TEST_FAIL_PHASE");
    cmd
}

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

fn command_paths(cmd: &clap::Command, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(prefix.clone());
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let mut path = prefix.clone();
        path.push(sub.get_name().to_string());
        command_paths(sub, path, out);
    }
}

#[test]
fn every_command_has_complete_help() {
    let mut paths = vec![];
    command_paths(&Cli::command(), vec![], &mut paths);
    assert!(paths.len() > 20, "{paths:?}");
    let root = Cli::command();
    for path in paths {
        let out = kubelift().args(&path).arg("--help").assert().success().get_output().stdout.clone();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Usage:"), "{path:?}: {text}");
        // Every subcommand and argument carries a description.
        let mut cmd = &root;
        for name in &path {
            cmd = cmd.find_subcommand(name).unwrap();
        }
        if !path.is_empty() {
            assert!(cmd.get_about().is_some(), "{path:?} has no about text");
        }
        for arg in cmd.get_arguments().filter(|a| !matches!(a.get_id().as_str(), "help" | "version")) {
            let described = arg.get_help().is_some() || arg.get_long_help().is_some() || !arg.get_possible_values().is_empty();
            assert!(described, "{path:?} argument {} has no help", arg.get_id());
        }
    }
}

#[test]
fn five_mistakes_are_five_errors_with_paths() {
    let out = kubelift().args(["config", "validate", "tests/fixtures/configs/five-mistakes.yaml"]).assert().code(2).get_output().clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("5 errors"), "{stderr}");
    for path in ["localAPIEndpoint.advertiseAddress", "nodeRegistration.name", "networking.podSubnet:", "networking.podSubnett", "apiServer.certSANs"] {
        assert!(stderr.contains(path), "missing {path} in {stderr}");
    }
    let json = kubelift().args(["config", "validate", "-o", "json", "tests/fixtures/configs/five-mistakes.yaml"]).assert().code(2).get_output().stdout.clone();
    let report: Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(report["valid"], false);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 5);
    assert!(errors.iter().all(|e| !e["path"].as_str().unwrap().is_empty() && !e["fix"].as_str().unwrap().is_empty()));
}

#[test]
fn printed_defaults_validate_in_both_versions() {
    for version in ["v1beta3", "v1beta4"] {
        let printed = kubelift().args(["config", "print", "init-defaults", "--api-version", version]).assert().success().get_output().stdout.clone();
        let text = String::from_utf8(printed.clone()).unwrap();
        assert!(text.contains(&format!("apiVersion: kubeadm.k8s.io/{version}")), "{text}");
        kubelift().args(["config", "validate", "-"]).write_stdin(printed).assert().success();
        let join = kubelift().args(["config", "print", "join-defaults", "--api-version", version]).assert().success().get_output().stdout.clone();
        kubelift().args(["config", "validate", "-"]).write_stdin(join).assert().success();
    }
}

#[test]
fn the_reference_configs_validate() {
    for entry in std::fs::read_dir("tests/fixtures/kubeadm-v1.24/config").unwrap() {
        let path = entry.unwrap().path();
        kubelift().args(["config", "validate"]).arg(&path).assert().success();
    }
}

/// `kubelift init --dry-run -o json --config REFERENCE EXTRA --root <empty dir>`:
/// the events, with the temporary folders kept alive for the caller.
fn dry_run_json(extra: &[&str]) -> (Vec<Value>, tempfile::TempDir, tempfile::TempDir) {
    let root = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = kubelift()
        .env("TMPDIR", tmp.path())
        .args(["init", "--dry-run", "-o", "json", "--config", REFERENCE])
        .args(extra)
        .arg("--root")
        .arg(root.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    (json_lines(&out), root, tmp)
}

fn phase_ids() -> Vec<String> {
    let out = kubelift().args(["phase", "--list", "-o", "json"]).assert().success().get_output().stdout.clone();
    let list: Vec<Value> = serde_json::from_slice(&out).unwrap();
    list.iter().map(|p| p["id"].as_str().unwrap().to_string()).collect()
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = vec![];
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

#[test]
fn init_dry_run_json_plans_and_runs_every_phase_in_order_and_writes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = kubelift()
        .env("TMPDIR", tmp.path())
        .args(["init", "--non-interactive", "--dry-run", "--output", "json", "--config", REFERENCE, "--root"])
        .arg(root.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let events = json_lines(&out);
    assert!(events.iter().all(|e| e["schema"] == "kubelift.events/v1"));
    let ids = phase_ids();
    let planned: Vec<&str> = events.iter().filter(|e| e["event"] == "plan").map(|e| e["phase"].as_str().unwrap()).collect();
    assert_eq!(planned, ids);
    let order: Vec<String> = events
        .iter()
        .filter(|e| e["event"] == "phase_started" || e["event"] == "phase_finished")
        .map(|e| format!("{} {}", e["event"].as_str().unwrap(), e["phase"].as_str().unwrap()))
        .collect();
    let expected: Vec<String> = ids.iter().flat_map(|id| [format!("phase_started {id}"), format!("phase_finished {id}")]).collect();
    assert_eq!(order, expected);
    let last = events.last().unwrap();
    assert_eq!(last["event"], "run_finished");
    assert_eq!(last["status"], "succeeded");
    assert!(files_under(root.path()).is_empty(), "the root is untouched");
    let dry_dir = last["dry_run_dir"].as_str().unwrap();
    assert!(dry_dir.starts_with(tmp.path().to_str().unwrap()), "{dry_dir}");
}

#[test]
fn secrets_stay_out_of_json_events() {
    let root = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = kubelift()
        .env("TMPDIR", tmp.path())
        .args(["init", "--dry-run", "-o", "json", "-v", "--token", "abcdef.0123456789abcdef", "--certificate-key"])
        .arg("0".repeat(64))
        .arg("--root")
        .arg(root.path())
        .assert()
        .success()
        .get_output()
        .clone();
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!all.contains("0123456789abcdef"), "the token secret leaked");
    assert!(!all.contains(&"0".repeat(64)), "the certificate key leaked");
    assert!(all.contains("bootstrap-token-abcdef"), "the token id names the Secret in the plan");
}

#[test]
fn unknown_phases_are_usage_errors() {
    kubelift().args(["init", "--dry-run", "--skip-phases", "certz"]).assert().code(2).stderr(predicates::str::contains("unknown phase certz"));
    kubelift().args(["phase", "nope", "--dry-run"]).assert().code(2);
}

#[test]
fn config_errors_stop_init_with_exit_2_and_json_errors() {
    let out = kubelift()
        .args(["init", "--dry-run", "-o", "json", "--config", "tests/fixtures/configs/five-mistakes.yaml"])
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let events = json_lines(&out);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["event"], "config_invalid");
    assert_eq!(events[0]["errors"].as_array().unwrap().len(), 5);
}

#[test]
fn flags_override_the_file() {
    let (events, _root, _tmp) = dry_run_json(&["--node-name", "override-node"]);
    let text = events.iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
    assert!(text.contains("Node override-node") || text.contains("\"name\":\"override-node\""), "{text}");
}

#[test]
fn csr_alone_without_a_terminal_is_a_usage_error_naming_the_subcommands() {
    // At a terminal `kubelift csr` opens the screen; here (no terminal) it must
    // say which subcommands work headless, and touch nothing.
    let out = kubelift().args(["csr", "--non-interactive"]).assert().code(2).get_output().stderr.clone();
    let text = String::from_utf8_lossy(&out);
    for word in ["list", "approve", "deny", "watch", "terminal"] {
        assert!(text.contains(word), "{word} missing from: {text}");
    }
    kubelift().arg("csr").assert().code(2);
}

#[test]
fn version_and_completion() {
    kubelift().arg("version").assert().success().stdout(predicates::str::contains("kubelift"));
    let v: Value = serde_json::from_slice(&kubelift().args(["version", "-o", "json"]).assert().success().get_output().stdout).unwrap();
    assert!(v["kubernetes"]["default"].as_str().unwrap().starts_with("v1."));
    kubelift().args(["completion", "bash"]).assert().success().stdout(predicates::str::contains("kubelift"));
}

#[test]
fn a_pod_network_manifest_is_planned_and_applied_after_the_add_ons() {
    let (events, _root, _tmp) = dry_run_json(&["--pod-network-manifest", "tests/fixtures/network/tiny-cni.yaml"]);
    let plan = events.iter().find(|e| e["event"] == "plan" && e["phase"] == "addon/pod-network").expect("a plan for addon/pod-network");
    let names: Vec<&str> = plan["changes"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["tiny-cni-config", "tiny-cni"]);
    let dry = events.last().unwrap()["dry_run_dir"].as_str().unwrap().to_string();
    assert!(std::path::Path::new(&dry).join("api/daemonset-kube-system-tiny-cni.yaml").exists());
}
