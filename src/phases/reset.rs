//! kubeadm's `reset` phases: `preflight` (confirm), `remove-etcd-member`,
//! `cleanup-node`. The plan is computed once before the run (crate::reset),
//! so the plan events are exactly what the phases do; a dry run shows it and
//! changes nothing.

use async_trait::async_trait;

use crate::cluster::etcd::{EtcdClient, EtcdCredentials};
use crate::engine::gate::DirRemoval;
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError, Settings};
use crate::preflight::fix::{self, FixOptions};
use crate::reset::{etcd, CriPlan, FileStep, KubeconfigEdit, ResetPlan, ResetSettings};

/// The answer that lets reset go on; anything else stops it.
pub const CONFIRM: &str = "reset";
/// What answers the question without a terminal.
pub const FORCE_KEY: &str = "--force";
const COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

pub fn phases() -> Vec<Box<dyn Phase>> {
    vec![Box::new(Preflight), Box::new(RemoveEtcdMember), Box::new(CleanupNode)]
}

fn settings(ctx: &Context) -> Option<&ResetSettings> {
    match &ctx.settings {
        Settings::Reset(s) => Some(s),
        _ => None,
    }
}

fn reset_settings<'a>(ctx: &'a PhaseCtx<'_>) -> Result<&'a ResetSettings, PhaseError> {
    settings(ctx.ctx).ok_or_else(|| PhaseError::failed(format!("phase {} belongs to reset", ctx.phase), "run it with `kubelift reset`"))
}

pub struct Preflight;

#[async_trait]
impl Phase for Preflight {
    fn id(&self) -> &'static str {
        "preflight"
    }
    fn title(&self) -> &'static str {
        "Run reset pre-flight checks"
    }
    fn plan(&self, _ctx: &Context) -> Vec<Change> {
        vec![]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        let s = reset_settings(ctx)?;
        if s.options.run_commands && s.host.euid() != 0 {
            return Err(PhaseError::failed("reset changes system files and services and must run as root", "run `sudo kubelift reset`, or pass --root DIR to reset a folder"));
        }
        ctx.log("API objects (Node, Secrets, ConfigMaps) live in the cluster and are not deleted: on the last control-plane node they go with etcd's data; otherwise run `kubectl delete node <name>` from a remaining node");
        ctx.log(if s.plan.from_journal { "the journal lists what kubelift changed: only that is undone" } else { "no journal of kubelift: kubeadm's standard paths are removed" });
        for note in &s.plan.notes {
            ctx.warn(note.clone(), None);
        }
        if ctx.gate().is_dry_run() || s.options.confirmed {
            return Ok(());
        }
        let question = "Reset this node? Everything in the plan above is removed or put back, and cannot be undone";
        let answer = ctx.decide(question, vec![CONFIRM.into(), "cancel".into()], FORCE_KEY).await?;
        if answer != CONFIRM {
            return Err(PhaseError::failed("reset cancelled; nothing was changed", "run `kubelift reset` again when you are ready"));
        }
        Ok(())
    }
}

pub struct RemoveEtcdMember;

#[async_trait]
impl Phase for RemoveEtcdMember {
    fn id(&self) -> &'static str {
        "remove-etcd-member"
    }
    fn title(&self) -> &'static str {
        "Remove a local etcd member"
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        settings(ctx).map(|s| s.plan.etcd_changes()).unwrap_or_default()
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        let s = reset_settings(ctx)?;
        let Some(local) = &s.plan.etcd else {
            ctx.log("no local etcd member on this node (no etcd static Pod manifest)");
            return Ok(());
        };
        if ctx.gate().is_dry_run() {
            ctx.log(format!("would remove etcd member {} through {}", local.name, etcd::LOCAL_ENDPOINT));
            return Ok(());
        }
        let client = match etcd_client(ctx, local).await {
            Ok(c) => c,
            Err(e) => {
                unreachable_warning(ctx, local, &e);
                return Ok(());
            }
        };
        let members = match client.members().await {
            Ok(m) => m,
            Err(e) => {
                unreachable_warning(ctx, local, &e.to_string());
                return Ok(());
            }
        };
        let Some(me) = etcd::this_member(&members, local) else {
            ctx.log(format!("etcd has no member {} ({}): already removed", local.name, local.peer_urls.join(",")));
            return Ok(());
        };
        if members.len() == 1 {
            return last_member(ctx, s, local).await;
        }
        let remaining = client.remove_member(&me.id).await.map_err(|e| {
            PhaseError::failed(format!("could not remove etcd member {} ({}): {}", me.name, me.id, e.detail), "check etcd's health from another control-plane node (`etcdctl endpoint health`), then run reset again")
        })?;
        ctx.log(format!("removed etcd member {} ({}); {} member(s) remain", me.name, me.id, remaining.len()));
        Ok(())
    }
}

/// The answer that deletes the cluster with its last etcd member.
pub const DELETE_CLUSTER: &str = "delete the cluster";

/// The last member is never removed (etcd cannot remove its only member, and
/// its data goes with cleanup-node): without --force, reset asks (the TUI)
/// or stops here. Headless without --force never gets this far: preflight
/// stops at its own question first.
async fn last_member(ctx: &PhaseCtx<'_>, s: &ResetSettings, local: &etcd::LocalEtcd) -> Result<(), PhaseError> {
    if !s.options.force {
        let question = format!("This node holds the cluster's only etcd member ({}): resetting it deletes the cluster's data for good. Back up etcd first if you need the cluster (`etcdctl snapshot save`).", local.name);
        let answer = ctx.decide(&question, vec![DELETE_CLUSTER.into(), "cancel".into()], FORCE_KEY).await?;
        if answer != DELETE_CLUSTER {
            return Err(PhaseError::failed(
                format!("this node holds the cluster's only etcd member ({}): reset stopped before deleting the cluster's data", local.name),
                "back up etcd first if you need the cluster (`etcdctl snapshot save`), then run `kubelift reset --force`",
            ));
        }
    }
    ctx.warn(format!("this node held the cluster's only etcd member ({}); it is not removed from itself, and its data in {} is deleted by cleanup-node: the cluster is gone", local.name, local.data_dir), None);
    Ok(())
}

fn unreachable_warning(ctx: &PhaseCtx<'_>, local: &etcd::LocalEtcd, error: &str) {
    ctx.warn(
        format!("could not reach etcd to remove this node's member {}: {error}", local.name),
        Some(format!("if other control-plane nodes remain, remove the member there: `etcdctl member list`, then `etcdctl member remove <id>` for {}", local.peer_urls.join(","))),
    );
}

async fn etcd_client(ctx: &PhaseCtx<'_>, local: &etcd::LocalEtcd) -> Result<EtcdClient, String> {
    let read = |path: &str| ctx.gate().read(path).map_err(|e| e.to_string())?.ok_or_else(|| format!("{path} is missing"));
    let text = |path: &str| read(path).map(|b| String::from_utf8_lossy(&b).into_owned());
    let creds = EtcdCredentials { ca_pem: read(&local.ca)?, cert_pem: text(&local.client_cert)?, key_pem: text(&local.client_key)? };
    EtcdClient::new(etcd::LOCAL_ENDPOINT, &creds).await.map_err(|e| e.to_string())
}

pub struct CleanupNode;

#[async_trait]
impl Phase for CleanupNode {
    fn id(&self) -> &'static str {
        "cleanup-node"
    }
    fn title(&self) -> &'static str {
        "Run cleanup node."
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        settings(ctx).map(|s| s.plan.cleanup_changes()).unwrap_or_default()
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        let s = reset_settings(ctx)?;
        if ctx.gate().is_dry_run() {
            for change in s.plan.cleanup_changes() {
                ctx.log(format!("would {}", change.describe()));
            }
            return Ok(());
        }
        let plan = &s.plan;
        let mut problems = vec![];
        machine(ctx, s, &mut problems);
        files(ctx, plan)?;
        for dir in &plan.contents {
            let removed = ctx.gate().remove_contents(ctx.phase, dir)?;
            ctx.log(format!("removed {} entries in {dir}/", removed.removed));
            for m in removed.mount_points {
                problems.push(format!("{m} is still mounted and was left as it is: unmount it (`umount {m}`) and remove it by hand"));
            }
        }
        undo_fixes(ctx, s, &mut problems)?;
        for path in &plan.cni {
            ctx.gate().remove(ctx.phase, path)?;
            ctx.log(format!("removed {path}"));
        }
        run_commands(ctx, s, &plan.rules, &mut problems);
        for edit in &plan.kubeconfigs {
            kubeconfig(ctx, edit)?;
        }
        for backup in &plan.backups {
            ctx.gate().remove(ctx.phase, backup)?;
        }
        for problem in &problems {
            ctx.warn(problem.clone(), None);
        }
        retire(ctx, plan)
    }
}

/// The kubelet, mounts, and the node's Pods: commands on the machine.
/// Failures are warnings, as in kubeadm: the files are removed regardless.
fn machine(ctx: &PhaseCtx<'_>, s: &ResetSettings, problems: &mut Vec<String>) {
    if let CriPlan::Skip(why) = &s.plan.cri {
        if !why.is_empty() {
            ctx.log(why.clone());
        }
    }
    if !s.options.run_commands {
        return;
    }
    let mut commands: Vec<Vec<String>> = vec![];
    if s.plan.stop_kubelet {
        commands.push(words(&["systemctl", "stop", "kubelet"]));
    }
    commands.extend(s.plan.unmounts.iter().map(|m| words(&["umount", m])));
    run_commands(ctx, s, &commands, problems);
    if let CriPlan::Pods { socket, .. } = &s.plan.cri {
        remove_pods(ctx, s, socket, problems);
    }
}

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| s.to_string()).collect()
}

/// Lists the Pods again (the kubelet may have started some before it stopped) and removes each.
fn remove_pods(ctx: &PhaseCtx<'_>, s: &ResetSettings, socket: &str, problems: &mut Vec<String>) {
    let listed = s.host.run(&["crictl", "--runtime-endpoint", socket, "pods", "--quiet"], COMMAND_TIMEOUT);
    let pods: Vec<String> = match listed {
        Ok(out) if out.success() => out.stdout.split_whitespace().map(String::from).collect(),
        Ok(out) => return problems.push(format!("crictl could not list the Pods of {socket}: {}", out.stderr.trim())),
        Err(e) => return problems.push(format!("crictl could not list the Pods of {socket}: {e}")),
    };
    let commands: Vec<Vec<String>> = pods.iter().flat_map(|p| [words(&["crictl", "--runtime-endpoint", socket, "stopp", p]), words(&["crictl", "--runtime-endpoint", socket, "rmp", p])]).collect();
    run_commands(ctx, s, &commands, problems);
    ctx.log(format!("removed {} Pod(s) through {socket}", pods.len()));
}

/// Runs host commands (only with --root / outside a dry run), recording each in the journal.
fn run_commands(ctx: &PhaseCtx<'_>, s: &ResetSettings, commands: &[Vec<String>], problems: &mut Vec<String>) {
    if !s.options.run_commands {
        return;
    }
    for argv in commands {
        let line = argv.join(" ");
        let refs: Vec<&str> = argv.iter().map(String::as_str).collect();
        match s.host.run(&refs, COMMAND_TIMEOUT) {
            Ok(out) if out.success() => {
                ctx.log(format!("ran {line}"));
                let _ = ctx.gate().record_command(ctx.phase, argv, None);
            }
            Ok(out) => problems.push(format!("{line} failed (exit {:?}): {}", out.code, out.stderr.trim())),
            Err(e) => problems.push(format!("{line}: {e}")),
        }
    }
}

fn files(ctx: &PhaseCtx<'_>, plan: &ResetPlan) -> Result<(), PhaseError> {
    for step in &plan.files {
        match step {
            FileStep::Remove(path) => {
                ctx.gate().remove(ctx.phase, path)?;
                ctx.log(format!("removed {path}"));
            }
            FileStep::Restore { path, backup, mode } => {
                let original = ctx.gate().read(backup)?.ok_or_else(|| PhaseError::failed(format!("the backup {backup} of {path} is gone"), format!("{path} is left as kubelift wrote it; restore it by hand if you have a copy")))?;
                ctx.gate().write(ctx.phase, path, &original, *mode, crate::engine::FileClass::Plain)?;
                ctx.log(format!("restored {path} from {backup}"));
            }
        }
    }
    Ok(())
}

/// Preflight's own undo of its fixes; their backups go once the files are back.
fn undo_fixes(ctx: &PhaseCtx<'_>, s: &ResetSettings, problems: &mut Vec<String>) -> Result<(), PhaseError> {
    if s.plan.fixes.is_empty() {
        return Ok(());
    }
    let report = fix::undo_fixes(ctx.gate(), s.host.as_ref(), FixOptions { run_commands: s.options.run_commands });
    for path in report.restored.iter().chain(&report.removed) {
        ctx.log(format!("undid the preflight fix of {path}"));
    }
    for command in &report.commands {
        ctx.log(format!("ran {command} (undoes a preflight fix)"));
    }
    problems.extend(report.problems.iter().cloned());
    for (path, backup) in &s.plan.fix_backups {
        if report.restored.contains(path) || report.removed.contains(path) {
            ctx.gate().remove(ctx.phase, backup)?;
        }
    }
    Ok(())
}

/// Backs up the user's kubeconfig next to it, then writes it without this cluster (or removes it).
fn kubeconfig(ctx: &PhaseCtx<'_>, edit: &KubeconfigEdit) -> Result<(), PhaseError> {
    let Some(original) = ctx.gate().read(&edit.path)? else { return Ok(()) };
    ctx.gate().write(ctx.phase, &edit.backup, &original, 0o600, crate::engine::FileClass::Plain)?;
    match &edit.content {
        Some(content) => {
            ctx.gate().write(ctx.phase, &edit.path, content, 0o600, crate::engine::FileClass::Plain)?;
        }
        None => {
            ctx.gate().remove(ctx.phase, &edit.path)?;
        }
    }
    ctx.log(format!("removed cluster {} from {} (the original is kept as {})", edit.clusters.join(", "), edit.path, edit.backup));
    Ok(())
}

/// The journal goes last, then the folders kubelift made, as they empty.
fn retire(ctx: &PhaseCtx<'_>, plan: &ResetPlan) -> Result<(), PhaseError> {
    ctx.gate().retire_journal()?;
    ctx.log(format!("removed the journal {}", crate::engine::journal::JOURNAL_PATH));
    for dir in plan.dirs_with_journal() {
        if ctx.gate().remove_empty_dir(ctx.phase, &dir)? == DirRemoval::NotEmpty {
            ctx.warn(format!("{dir} was made by kubelift but holds files kubelift did not write; left as it is"), Some(format!("look inside {dir} and remove it by hand if nothing there is yours")));
        }
    }
    Ok(())
}
