//! Fix tests on a fixture root: every fix changes only what its plan
//! announced, and `undo_fixes` restores the originals from the journal.

use std::collections::BTreeMap;
use std::path::Path;

use super::super::fix::{self, FixOptions, Step};
use super::super::fixture::FixtureHost;
use super::super::*;
use super::{init_input, run_on};
use crate::engine::event::CheckStatus;
use crate::engine::WriteGate;

const DOCKER_SHIPPED: &str = "#   Copyright 2018-2022 Docker Inc.\n\ndisabled_plugins = [\"cri\"]\n";
const FSTAB: &str = "UUID=1234 / ext4 errors=remount-ro 0 1\n/swap.img none swap sw 0 0\n";

/// Every file under `root`, with its content.
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

/// A machine with one problem per fix.
fn broken(root: &Path) -> FixtureHost {
    let mut host = FixtureHost::healthy(root);
    host.set_kernel("/sys/module/br_netfilter", None);
    host.set_kernel("/proc/sys/net/ipv4/ip_forward", Some("0\n"));
    host.set_kernel("/proc/swaps", Some("Filename Type Size Used Priority\n/swap.img file 2097148 0 -2\n"));
    host.write("/etc/containerd/config.toml", DOCKER_SHIPPED);
    host.write("/etc/fstab", FSTAB);
    host
}

/// Files kubelift keeps for itself: the journal and the backups of what it replaced.
fn bookkeeping(path: &str) -> bool {
    path == "/var/lib/kubelift/journal.json" || path.starts_with("/etc/kubernetes/tmp/kubelift-backup-")
}

#[test]
fn fix_all_changes_only_what_it_announced_and_undo_restores() {
    let dir = tempfile::tempdir().unwrap();
    let host = broken(dir.path());
    let input = init_input();
    let before = tree(dir.path());
    let gate = WriteGate::apply(dir.path(), "preflight").unwrap();
    let options = FixOptions { run_commands: true };
    let mut announced_files = vec![];
    let mut announced_commands = vec![];
    for name in fix::select(&["all".into()]).unwrap() {
        let plan = fix::plan(name, &host, &input).unwrap().unwrap_or_else(|| panic!("{name} has something to fix"));
        assert!(!plan.detail.is_empty(), "{name} shows what it will change");
        for step in &plan.steps {
            match step {
                Step::Write { path, .. } => announced_files.push(path.clone()),
                Step::Command { argv, .. } => announced_commands.push(argv.join(" ")),
            }
        }
        fix::apply(&plan, &gate, &host, options).unwrap();
    }
    let after = tree(dir.path());
    let changed: Vec<&String> = after.keys().chain(before.keys()).filter(|p| before.get(*p) != after.get(*p)).collect();
    for path in &changed {
        assert!(announced_files.contains(path) || bookkeeping(path), "{path} changed but was not announced");
    }
    for path in &announced_files {
        assert!(changed.contains(&path), "{path} was announced but did not change");
    }
    let ran: Vec<String> = host.commands_run().into_iter().filter(|c| !c.starts_with("containerd --version")).collect();
    assert_eq!(ran, announced_commands, "exactly the announced commands ran");
    assert!(String::from_utf8_lossy(&after["/etc/fstab"]).contains("# /swap.img none swap sw 0 0"));

    // The fixed files now pass their checks (the kernel is faked, so only the file-backed ones).
    let recheck = FixtureHost::with_files_as_they_are(dir.path());
    let (report, _, _) = run_on(recheck, init_input(), Options { ignore: IgnoreList::default(), dry_run: false });
    for name in ["ContainerdCRIPlugin", "CgroupDriver", "SandboxImage"] {
        assert_eq!(report.outcome(name).unwrap().status, CheckStatus::Passed, "{name} after the fix");
    }

    let undo = fix::undo_fixes(&gate, &host, options);
    assert!(undo.problems.is_empty(), "{:?}", undo.problems);
    assert_eq!(undo.restored.len() + undo.removed.len(), announced_files.len());
    let restored = tree(dir.path());
    for (path, content) in &before {
        assert_eq!(restored.get(path), Some(content), "{path} is back to its original");
    }
    for path in restored.keys().filter(|p| !before.contains_key(*p)) {
        assert!(bookkeeping(path), "{path} was left behind by the undo");
    }
    let undos: Vec<String> = host.commands_run().into_iter().skip_while(|c| !c.starts_with("systemctl restart")).skip(1).collect();
    assert_eq!(undos, ["systemctl restart containerd", "swapon -a", "sysctl -w net.ipv4.ip_forward=0", "modprobe -r br_netfilter"]);

    // A second undo finds nothing left to undo.
    let again = fix::undo_fixes(&gate, &host, options);
    assert_eq!(again, fix::UndoReport::default());
}

#[test]
fn undo_leaves_files_changed_after_the_fix_alone() {
    let dir = tempfile::tempdir().unwrap();
    let host = broken(dir.path());
    let gate = WriteGate::apply(dir.path(), "preflight").unwrap();
    let plan = fix::plan("Swap", &host, &init_input()).unwrap().unwrap();
    fix::apply(&plan, &gate, &host, FixOptions { run_commands: false }).unwrap();
    host.write("/etc/fstab", "edited by the admin\n");
    let undo = fix::undo_fixes(&gate, &host, FixOptions { run_commands: false });
    assert!(undo.problems.iter().any(|p| p.contains("/etc/fstab changed after kubelift's fix")), "{undo:?}");
    assert_eq!(std::fs::read_to_string(dir.path().join("etc/fstab")).unwrap(), "edited by the admin\n");
    assert!(host.commands_run().iter().all(|c| !c.starts_with("swap")), "no command runs when commands are off");
}

#[test]
fn nothing_to_fix_on_a_healthy_machine() {
    let dir = tempfile::tempdir().unwrap();
    let host = FixtureHost::healthy(dir.path());
    for name in fix::FIXES {
        assert_eq!(fix::plan(name, &host, &init_input()).unwrap(), None, "{name}");
    }
}

#[test]
fn a_dry_run_fix_writes_only_in_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let host = broken(dir.path());
    let before = tree(dir.path());
    let gate = WriteGate::dry_run(dir.path(), "preflight").unwrap();
    let plan = fix::plan("ContainerdConfig", &host, &init_input()).unwrap().unwrap();
    let done = fix::apply(&plan, &gate, &host, FixOptions { run_commands: false }).unwrap();
    assert!(done.iter().any(|d| d.starts_with("did not run systemctl restart containerd")));
    assert_eq!(tree(dir.path()), before);
    let written = gate.dry_run_dir().unwrap().join("etc/containerd/config.toml");
    assert!(std::fs::read_to_string(written).unwrap().contains("SystemdCgroup = true"));
}

#[test]
fn fix_names() {
    assert_eq!(fix::select(&["swap".into(), "KernelModules".into()]).unwrap(), ["KernelModules", "Swap"]);
    assert_eq!(fix::select(&["CgroupDriver".into(), "SandboxImage".into()]).unwrap(), ["ContainerdConfig"]);
    assert_eq!(fix::select(&["FileContent--proc-sys-net-ipv4-ip_forward".into()]).unwrap(), ["Sysctl"]);
    assert_eq!(fix::select(&["all".into()]).unwrap(), fix::FIXES);
    assert!(fix::select(&["NumCPU".into()]).unwrap_err().contains("no fix of that name"));
    assert!(fix::select(&[]).unwrap().is_empty());
}

#[test]
fn containerd_fix_refuses_other_runtimes() {
    let dir = tempfile::tempdir().unwrap();
    let host = FixtureHost::healthy(dir.path());
    let mut input = init_input();
    input.cri_socket = Some("/var/run/crio/crio.sock".into());
    assert!(fix::plan("ContainerdConfig", &host, &input).unwrap_err().contains("not containerd's"));
}

#[test]
fn diffs_show_removed_then_added_lines() {
    assert_eq!(fix::diff("/etc/x", "a\nb\nc\n", "a\nB\nc\nd\n"), ["--- /etc/x", "+++ /etc/x", "-b", "+B", "+d"]);
    assert_eq!(fix::diff("/etc/y", "", "new\n"), ["--- /etc/y (new file)", "+++ /etc/y", "+new"]);
}
