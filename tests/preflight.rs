//! `kubelift preflight` as a user runs it, on this machine. The machine has
//! no kubelet and no container runtime, so error-level checks fail (exit 3).
//! Nothing here enables --network-probes: the checks send nothing anywhere.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn kubelift() -> Command {
    let mut cmd = Command::cargo_bin("kubelift").unwrap();
    cmd.env_remove("KUBELIFT_ROOT");
    cmd
}

fn events(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                out.insert(format!("/{}", path.strip_prefix(root).unwrap().display()), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn lists_what_is_missing_and_exits_3_without_a_kubelet() {
    if on_path("kubelet") {
        eprintln!("skipped: this machine has a kubelet; the test is about one without");
        return;
    }
    let out = kubelift().args(["preflight"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("[FAIL] KubeletVersion: kubelet not found in system path"), "{stdout}");
    assert!(stdout.contains("       fix: "), "fixes are printed under failures");
    assert!(stdout.contains("error-level checks failed:") && stdout.contains("--ignore-preflight-errors="));
}

#[test]
fn json_report_shape() {
    let out = kubelift().args(["preflight", "--output", "json"]).output().unwrap();
    let events = events(&out.stdout);
    let results: Vec<&Value> = events.iter().filter(|e| e["event"] == "check_result").collect();
    assert!(results.len() >= 40, "{} results", results.len());
    let mut names = vec![];
    for r in &results {
        assert_eq!(r["schema"], "kubelift.events/v1");
        assert_eq!(r["phase"], "preflight");
        for field in ["name", "severity", "status", "message", "why"] {
            assert!(r[field].as_str().is_some_and(|s| !s.is_empty()), "{field} in {r}");
        }
        let status = r["status"].as_str().unwrap();
        assert!(["passed", "warning", "failed", "ignored", "skipped"].contains(&status));
        assert!(["error", "warning"].contains(&r["severity"].as_str().unwrap()));
        assert_eq!(r.get("fix").is_some(), matches!(status, "warning" | "failed" | "ignored"), "{r}");
        names.push(r["name"].as_str().unwrap().to_string());
    }
    let unique: std::collections::BTreeSet<_> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "names are unique, so --ignore-preflight-errors can address each");
    let last = events.last().unwrap();
    assert_eq!(last["event"], "preflight_finished");
    assert_eq!(last["workflow"], "init");
    let failed = last["totals"]["failed"].as_u64().unwrap();
    assert_eq!(out.status.code(), Some(if failed > 0 { 3 } else { 0 }));
}

#[test]
fn ignoring_everything_exits_0() {
    let out = kubelift().args(["preflight", "--ignore-preflight-errors=all", "-o", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(events(&out.stdout).iter().all(|e| e["status"] != "failed"));
}

#[test]
fn join_checks_run_too() {
    let out = kubelift().args(["preflight", "--for", "join", "-o", "json"]).output().unwrap();
    let events = events(&out.stdout);
    assert_eq!(events.last().unwrap()["workflow"], "join");
    assert!(events.iter().any(|e| e["name"] == "FileAvailable--etc-kubernetes-kubelet.conf"));
    assert!(!events.iter().any(|e| e["name"] == "Port-6443"));
}

#[test]
fn unknown_fix_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    kubelift().args(["preflight", "--fix=Bogus", "--root"]).arg(dir.path()).assert().code(2);
    assert!(tree(dir.path()).is_empty());
}

#[test]
fn fix_all_on_a_scratch_root_changes_only_what_it_announced() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc/containerd")).unwrap();
    std::fs::write(dir.path().join("etc/containerd/config.toml"), "# shipped by containerd.io\ndisabled_plugins = [\"cri\"]\n").unwrap();
    std::fs::write(dir.path().join("etc/fstab"), "/swap.img none swap sw 0 0\n").unwrap();
    let before = tree(dir.path());
    let out = kubelift().args(["preflight", "--fix=all", "-o", "json", "--root"]).arg(dir.path()).output().unwrap();
    let events = events(&out.stdout);
    let mut announced = vec![];
    for e in events.iter().filter(|e| e["event"] == "fix" && e["stage"] == "planned") {
        for c in e["changes"].as_array().unwrap() {
            if c["type"] == "file" {
                announced.push(c["path"].as_str().unwrap().to_string());
            }
        }
    }
    assert!(announced.contains(&"/etc/containerd/config.toml".to_string()), "{events:#?}");
    assert!(announced.contains(&"/etc/fstab".to_string()));
    for applied in events.iter().filter(|e| e["event"] == "fix" && e["stage"] == "applied") {
        for d in applied["detail"].as_array().unwrap() {
            let d = d.as_str().unwrap();
            assert!(!d.starts_with("ran "), "no host command runs with a --root other than /: {d}");
        }
    }
    let after = tree(dir.path());
    for path in after.keys().chain(before.keys()) {
        if before.get(path) != after.get(path) {
            let bookkeeping = path == "/var/lib/kubelift/journal.json" || path.starts_with("/etc/kubernetes/tmp/kubelift-backup-");
            assert!(announced.contains(path) || bookkeeping, "{path} changed but was not announced");
        }
    }
    let config = String::from_utf8(after["/etc/containerd/config.toml"].clone()).unwrap();
    assert!(config.contains("# shipped by containerd.io") && config.contains("SystemdCgroup = true"), "{config}");
    let journal: Value = serde_json::from_slice(&after["/var/lib/kubelift/journal.json"]).unwrap();
    let entry = journal["changes"].as_array().unwrap().iter().find(|e| e["target"]["path"] == "/etc/containerd/config.toml").unwrap();
    assert_eq!(entry["phase"], "preflight/fix");
    let backup = entry["backup"].as_str().expect("the original is backed up");
    assert_eq!(after[backup], before["/etc/containerd/config.toml"]);
}

#[test]
fn a_dry_run_fix_writes_nothing_under_the_root() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc")).unwrap();
    std::fs::write(dir.path().join("etc/fstab"), "/swap.img none swap sw 0 0\n").unwrap();
    let before = tree(dir.path());
    kubelift().args(["preflight", "--fix=Swap,ContainerdConfig", "--dry-run", "--root"]).arg(dir.path()).output().unwrap();
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn init_dry_run_passes_preflight_on_a_bare_machine() {
    let dir = tempfile::tempdir().unwrap();
    let out = kubelift().args(["init", "--dry-run", "--non-interactive", "-o", "json", "--root"]).arg(dir.path()).output().unwrap();
    let events = events(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{events:#?}");
    assert!(events.iter().any(|e| e["event"] == "check_result"));
    assert!(events.iter().all(|e| e["status"] != "failed"), "a dry run reports failures as warnings");
}
