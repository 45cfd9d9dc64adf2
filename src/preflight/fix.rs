//! Fixes for what preflight finds, where a fix is safe: kernel modules,
//! sysctls, swap, and containerd's configuration.
//!
//! A fix is first a `FixPlan`: the exact files (with a diff) and commands,
//! computed from the machine as it is now, shown before anything changes.
//! `apply` then writes the files through the WriteGate as `Sensitive` (so the
//! original is backed up and the journal records where) and records every
//! command in the journal with the command that undoes it. `undo_fixes`
//! restores the originals from the journal.
//!
//! Commands change the kernel of the machine kubelift runs on (host.rs), so
//! they run only when the caller allows it: `--root /` and not a dry run.

use std::collections::BTreeMap;

use super::catalogue;
use super::checks::system::KERNEL_MODULES;
use super::checks::{SYSCTL_BRIDGE, SYSCTL_BRIDGE6, SYSCTL_FORWARD, SYSCTL_FORWARD6};
use super::containerd::{self, ContainerdConfig, Runtime, CONTAINERD_CONFIG};
use super::host::Host;
use super::input::CheckInput;
use crate::engine::event::Change;
use crate::engine::gate::{sha256_hex, FileClass, WriteGate};
use crate::engine::journal::{Action, Target};

/// The journal phase of fix changes; `undo_fixes` looks for it.
pub const FIX_PHASE: &str = "preflight/fix";
pub const UNDO_PHASE: &str = "preflight/undo";
pub const MODULES_FILE: &str = "/etc/modules-load.d/k8s.conf";
pub const SYSCTL_FILE: &str = "/etc/sysctl.d/k8s.conf";
pub const FSTAB: &str = "/etc/fstab";
/// Every fix, in the order `--fix=all` applies them (modules before the sysctls they enable).
pub const FIXES: [&str; 4] = ["KernelModules", "Sysctl", "Swap", "ContainerdConfig"];

const COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Write { path: String, contents: Vec<u8>, mode: u32 },
    Command { argv: Vec<String>, undo: Option<Vec<String>> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixPlan {
    pub name: String,
    pub steps: Vec<Step>,
    /// For people: a diff of each file and why each command runs.
    pub detail: Vec<String>,
}

impl FixPlan {
    pub fn changes(&self) -> Vec<Change> {
        self.steps
            .iter()
            .map(|s| match s {
                Step::Write { path, mode, .. } => Change::file(path.clone(), *mode),
                Step::Command { argv, .. } => Change::Command { command: argv.join(" ") },
            })
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixOptions {
    /// Run host commands (modprobe, sysctl, swapoff, systemctl). False with a
    /// --root other than / and in dry runs: the kernel is not under --root.
    pub run_commands: bool,
}

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// Maps `--fix=` names (fix names, or the names of the checks they repair,
/// case-insensitively; `all`) to fixes, in application order.
pub fn select(requested: &[String]) -> Result<Vec<&'static str>, String> {
    let mut chosen = vec![];
    for raw in requested.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        let r = raw.to_lowercase();
        if r == "all" {
            return Ok(FIXES.to_vec());
        }
        let by_fix = FIXES.iter().find(|f| f.to_lowercase() == r);
        let by_check = catalogue::all().iter().find(|s| s.name.to_lowercase() == r || (s.name.contains("{arg}") && r.starts_with(&s.name.replace("{arg}", "").to_lowercase())));
        match (by_fix, by_check.and_then(|s| s.autofix.as_deref())) {
            (Some(f), _) => chosen.push(*f),
            (None, Some(auto)) => chosen.push(FIXES.iter().find(|f| **f == auto).copied().ok_or_else(|| format!("fix {auto} is unknown"))?),
            (None, None) => return Err(format!("--fix={raw}: kubelift has no fix of that name (fixes: {}, or all)", FIXES.join(", "))),
        }
    }
    chosen.sort_by_key(|f| FIXES.iter().position(|x| x == f));
    chosen.dedup();
    Ok(chosen)
}

/// What fix `name` would change now; `Ok(None)` when nothing needs fixing.
pub fn plan(name: &str, host: &dyn Host, input: &CheckInput) -> Result<Option<FixPlan>, String> {
    let plan = match name {
        "KernelModules" => kernel_modules(host),
        "Sysctl" => sysctl(host, input),
        "Swap" => swap(host),
        "ContainerdConfig" => containerd_config(host, input)?,
        other => return Err(format!("kubelift has no fix named {other}")),
    };
    Ok(plan.filter(|p| !p.steps.is_empty()).map(|mut p| {
        p.name = name.into();
        p
    }))
}

fn read_text(host: &dyn Host, path: &str) -> Option<String> {
    host.read_file(path).ok().map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn new_plan() -> FixPlan {
    FixPlan { name: String::new(), steps: vec![], detail: vec![] }
}

/// Appends the lines `wanted` lacks to a kubelift-owned drop-in file.
fn drop_in(plan: &mut FixPlan, host: &dyn Host, path: &str, header: &str, wanted: &[String], present: impl Fn(&str, &str) -> bool) {
    let old = read_text(host, path);
    let current = old.clone().unwrap_or_default();
    let missing: Vec<&String> = wanted.iter().filter(|w| !current.lines().any(|l| present(l, w))).collect();
    if missing.is_empty() {
        return;
    }
    let mut new = if current.is_empty() { format!("{header}\n") } else { current.clone() };
    if !new.ends_with('\n') {
        new.push('\n');
    }
    for line in missing {
        new.push_str(line);
        new.push('\n');
    }
    plan.detail.extend(diff(path, old.as_deref().unwrap_or(""), &new));
    plan.steps.push(Step::Write { path: path.into(), contents: new.into_bytes(), mode: 0o644 });
}

fn kernel_modules(host: &dyn Host) -> Option<FixPlan> {
    let missing: Vec<&str> = KERNEL_MODULES.iter().copied().filter(|m| !host.kernel_path_exists(&format!("/sys/module/{m}"))).collect();
    if missing.is_empty() {
        // The check passes: a fix never touches what is not broken.
        return None;
    }
    let mut plan = new_plan();
    let wanted: Vec<String> = KERNEL_MODULES.iter().map(|m| m.to_string()).collect();
    drop_in(&mut plan, host, MODULES_FILE, "# Loaded at boot for Kubernetes (written by kubelift preflight --fix=KernelModules)", &wanted, |line, w| line.trim() == w);
    for m in missing {
        plan.steps.push(Step::Command { argv: argv(&["modprobe", m]), undo: Some(argv(&["modprobe", "-r", m])) });
        plan.detail.push(format!("run modprobe {m}: load it now (undo: modprobe -r {m})"));
    }
    Some(plan)
}

/// `/proc/sys/net/ipv4/ip_forward` → `net.ipv4.ip_forward`.
fn sysctl_key(path: &str) -> String {
    path.trim_start_matches("/proc/sys/").replace('/', ".")
}

fn sysctl(host: &dyn Host, input: &CheckInput) -> Option<FixPlan> {
    let mut paths = vec![SYSCTL_BRIDGE, SYSCTL_BRIDGE6, SYSCTL_FORWARD];
    if input.uses_ipv6() {
        paths.push(SYSCTL_FORWARD6);
    }
    if paths.iter().all(|p| host.read_kernel(p).is_some_and(|v| v.trim() == "1")) {
        return None;
    }
    let mut plan = new_plan();
    let wanted: Vec<String> = paths.iter().map(|p| format!("{} = 1", sysctl_key(p))).collect();
    let same_key = |line: &str, want: &str| {
        let norm = |s: &str| s.split_whitespace().collect::<String>();
        norm(line) == norm(want)
    };
    drop_in(&mut plan, host, SYSCTL_FILE, "# Kubernetes networking (written by kubelift preflight --fix=Sysctl)", &wanted, same_key);
    // The bridge sysctls exist only once br_netfilter is loaded.
    if !host.kernel_path_exists("/proc/sys/net/bridge") && !host.kernel_path_exists(SYSCTL_BRIDGE) {
        plan.steps.push(Step::Command { argv: argv(&["modprobe", "br_netfilter"]), undo: Some(argv(&["modprobe", "-r", "br_netfilter"])) });
        plan.detail.push("run modprobe br_netfilter: the bridge sysctls exist only with it".into());
    }
    for path in paths {
        let current = host.read_kernel(path).map(|v| v.trim().to_string());
        if current.as_deref() == Some("1") {
            continue;
        }
        let key = sysctl_key(path);
        let undo = current.map(|old| argv(&["sysctl", "-w", &format!("{key}={old}")]));
        plan.detail.push(format!("run sysctl -w {key}=1 (now {})", undo.as_ref().map(|u| u[2].clone()).unwrap_or_else(|| "missing".into())));
        plan.steps.push(Step::Command { argv: argv(&["sysctl", "-w", &format!("{key}=1")]), undo });
    }
    Some(plan)
}

/// Uncommented /etc/fstab lines of type swap: they turn swap on at boot.
pub fn fstab_swap_lines(fstab: &str) -> Vec<&str> {
    fstab.lines().filter(|line| !line.trim_start().starts_with('#') && line.split_whitespace().nth(2) == Some("swap")).collect()
}

fn swap(host: &dyn Host) -> Option<FixPlan> {
    let mut plan = new_plan();
    let active: Vec<String> = host.read_kernel("/proc/swaps").unwrap_or_default().lines().skip(1).filter_map(|l| l.split_whitespace().next()).map(String::from).collect();
    let old = read_text(host, FSTAB).unwrap_or_default();
    let mut commented = 0;
    let new: String = old
        .lines()
        .map(|line| {
            if fstab_swap_lines(line).len() == 1 {
                commented += 1;
                format!("# {line}  # swap turned off by kubelift preflight --fix=Swap\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    if commented > 0 {
        plan.detail.extend(diff(FSTAB, &old, &new));
        plan.steps.push(Step::Write { path: FSTAB.into(), contents: new.into_bytes(), mode: 0o644 });
    }
    if !active.is_empty() {
        plan.steps.push(Step::Command { argv: argv(&["swapoff", "-a"]), undo: Some(argv(&["swapon", "-a"])) });
        plan.detail.push(format!("run swapoff -a: turns off {} now", active.join(", ")));
        if commented == 0 {
            plan.detail.push(format!(
                "note: {} is not in {FSTAB} (zram or a systemd swap unit?); mask that unit (`systemctl mask ...`) or it comes back after a reboot",
                active.join(", ")
            ));
        }
    }
    Some(plan)
}

fn containerd_config(host: &dyn Host, input: &CheckInput) -> Result<Option<FixPlan>, String> {
    let socket = input.cri_socket.as_deref().unwrap_or("");
    if Runtime::of_socket(socket) != Runtime::Containerd {
        return Err(format!("the CRI socket {socket:?} is not containerd's; kubelift edits only containerd's configuration"));
    }
    let mut cfg = ContainerdConfig::load(host)?;
    let old = if cfg.exists { read_text(host, CONTAINERD_CONFIG).unwrap_or_default() } else { String::new() };
    let mut why = vec![];
    if !cfg.cri_disabled().is_empty() {
        cfg.enable_cri()?;
        why.push("enable the CRI plugin");
    }
    let want_systemd = input.kubelet_cgroup_driver == "systemd";
    if cfg.systemd_cgroup().unwrap_or(false) != want_systemd {
        cfg.set_systemd_cgroup(want_systemd)?;
        why.push(if want_systemd { "use the systemd cgroup driver" } else { "use the cgroupfs cgroup driver" });
    }
    if let Some(expected) = input.sandbox_image() {
        let current = cfg.sandbox_image().or_else(|| {
            let out = host.run(&["containerd", "--version"], COMMAND_TIMEOUT).ok()?;
            out.stdout.split_whitespace().find_map(containerd::containerd_default_sandbox).map(String::from)
        });
        if current.as_deref() != Some(expected.as_str()) {
            cfg.set_sandbox_image(&expected)?;
            why.push("use the version's sandbox image");
        }
    }
    if why.is_empty() {
        return Ok(None);
    }
    let new = cfg.render();
    let mut plan = new_plan();
    plan.detail.push(format!("{CONTAINERD_CONFIG}: {}", why.join(", ")));
    plan.detail.extend(diff(CONTAINERD_CONFIG, &old, &new));
    plan.steps.push(Step::Write { path: CONTAINERD_CONFIG.into(), contents: new.into_bytes(), mode: 0o644 });
    plan.steps.push(Step::Command { argv: argv(&["systemctl", "restart", "containerd"]), undo: Some(argv(&["systemctl", "restart", "containerd"])) });
    plan.detail.push("run systemctl restart containerd: containerd reads its configuration only at start".into());
    Ok(Some(plan))
}

/// The changed lines of a file, `-` old and `+` new (a longest-common-subsequence diff).
pub fn diff(path: &str, old: &str, new: &str) -> Vec<String> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // Keep the table small: config files are short; past 2000 lines, show all as changed.
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        let mut out = vec![format!("--- {path}"), format!("+++ {path}")];
        out.extend(a.iter().map(|l| format!("-{l}")));
        out.extend(b.iter().map(|l| format!("+{l}")));
        return out;
    }
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut out = vec![format!("--- {path}{}", if old.is_empty() { " (new file)" } else { "" }), format!("+++ {path}")];
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(format!("-{}", a[i]));
            i += 1;
        } else {
            out.push(format!("+{}", b[j]));
            j += 1;
        }
    }
    out
}

/// Applies a plan: files through the gate (backed up), then commands.
/// Returns one line per step; stops at the first step that fails.
pub fn apply(plan: &FixPlan, gate: &WriteGate, host: &dyn Host, options: FixOptions) -> Result<Vec<String>, String> {
    let mut done = vec![];
    for step in &plan.steps {
        match step {
            Step::Write { path, contents, mode } => {
                let mode = existing_mode(gate, path).unwrap_or(*mode);
                gate.write(FIX_PHASE, path, contents, mode, FileClass::Sensitive).map_err(|e| format!("{e} ({})", e.hint()))?;
                done.push(format!("wrote {path}"));
            }
            Step::Command { argv, undo } if options.run_commands => {
                let words: Vec<&str> = argv.iter().map(String::as_str).collect();
                let line = argv.join(" ");
                match host.run(&words, COMMAND_TIMEOUT) {
                    Ok(out) if out.success() => {
                        gate.record_command(FIX_PHASE, argv, undo.clone()).map_err(|e| e.to_string())?;
                        done.push(format!("ran {line}"));
                    }
                    Ok(out) => return Err(format!("{line} failed (exit {:?}): {}", out.code, out.stderr.trim())),
                    Err(e) => return Err(format!("{line}: {e}")),
                }
            }
            Step::Command { argv, .. } => done.push(format!("did not run {} (commands run only with --root / and outside a dry run)", argv.join(" "))),
        }
    }
    Ok(done)
}

/// Replacing a file keeps its permissions.
fn existing_mode(gate: &WriteGate, path: &str) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let source = gate.source(path).ok()?;
    std::fs::metadata(source).ok().map(|m| m.permissions().mode() & 0o7777)
}

/// What `undo_fixes` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UndoReport {
    pub restored: Vec<String>,
    pub removed: Vec<String>,
    pub commands: Vec<String>,
    /// What could not be undone, and why.
    pub problems: Vec<String>,
}

/// Undoes every preflight fix the journal records and has not undone yet:
/// files back to their original content (or removed when the fix created
/// them), then the commands' undo commands, newest first. A file changed
/// since the fix is left alone and reported. `reset` calls this.
pub fn undo_fixes(gate: &WriteGate, host: &dyn Host, options: FixOptions) -> UndoReport {
    let journal = gate.journal();
    let entries: Vec<_> = journal.changes.iter().filter(|e| e.phase == FIX_PHASE && !e.undone).collect();
    let mut report = UndoReport::default();
    // path → (first entry, last entry): the first knows the original, the last what kubelift wrote.
    let mut files: BTreeMap<&str, (&crate::engine::journal::Entry, &crate::engine::journal::Entry)> = BTreeMap::new();
    for e in &entries {
        if let Target::File { path } = &e.target {
            files.entry(path.as_str()).and_modify(|(_, last)| *last = e).or_insert((e, e));
        }
    }
    let mut order: Vec<_> = files.into_iter().collect();
    order.sort_by_key(|(_, (first, _))| std::cmp::Reverse(first.seq));
    for (path, (first, last)) in order {
        if let Err(problem) = undo_file(gate, path, first, last, &mut report) {
            report.problems.push(problem);
        }
    }
    for e in entries.iter().rev() {
        if let Target::Command { argv, undo: Some(undo) } = &e.target {
            undo_command(gate, host, argv, undo, options, &mut report);
        }
    }
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    if let Err(e) = gate.update_journal(|j| j.changes.iter_mut().filter(|e| seqs.contains(&e.seq)).for_each(|e| e.undone = true)) {
        report.problems.push(format!("the journal could not record the undo: {e}"));
    }
    report
}

fn undo_file(gate: &WriteGate, path: &str, first: &crate::engine::journal::Entry, last: &crate::engine::journal::Entry, report: &mut UndoReport) -> Result<(), String> {
    let current = gate.read(path).map_err(|e| e.to_string())?;
    if current.as_deref().map(sha256_hex) != last.sha256 {
        return Err(format!("{path} changed after kubelift's fix; left as it is (the original is {})", first.backup.as_deref().unwrap_or("not kept: the fix created the file")));
    }
    match (first.action, &first.backup) {
        (Action::Created, _) => {
            gate.remove(UNDO_PHASE, path).map_err(|e| e.to_string())?;
            report.removed.push(path.into());
        }
        (Action::Replaced, Some(backup)) => {
            let original = gate.read(backup).map_err(|e| e.to_string())?.ok_or_else(|| format!("the backup {backup} of {path} is gone; {path} is left as it is"))?;
            let mode = first.mode.as_deref().and_then(|m| u32::from_str_radix(m, 8).ok()).unwrap_or(0o644);
            gate.write(UNDO_PHASE, path, &original, mode, FileClass::Plain).map_err(|e| e.to_string())?;
            report.restored.push(path.into());
        }
        _ => return Err(format!("the journal keeps no original of {path}; left as it is")),
    }
    Ok(())
}

fn undo_command(gate: &WriteGate, host: &dyn Host, argv: &[String], undo: &[String], options: FixOptions, report: &mut UndoReport) {
    let line = undo.join(" ");
    if !options.run_commands {
        report.problems.push(format!("did not run {line} (undoes {}): commands run only with --root / and outside a dry run", argv.join(" ")));
        return;
    }
    let words: Vec<&str> = undo.iter().map(String::as_str).collect();
    match host.run(&words, COMMAND_TIMEOUT) {
        Ok(out) if out.success() => {
            let _ = gate.record_command(UNDO_PHASE, undo, None);
            report.commands.push(line);
        }
        Ok(out) => report.problems.push(format!("{line} failed (exit {:?}): {}", out.code, out.stderr.trim())),
        Err(e) => report.problems.push(format!("{line}: {e}")),
    }
}
