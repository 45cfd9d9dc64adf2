//! `kubelet-start`: the kubelet's settings (rendered by `crate::kubelet`), then
//! a (re)start of the kubelet through systemd when this host can do that.

use async_trait::async_trait;
use std::path::Path;

use crate::engine::{Change, Context, FileClass, Phase, PhaseCtx, PhaseError, Settings, WriteGate};
use crate::kubelet::{self, dropin, RealNode, KUBELET_DIR, KUBELET_DIR_MODE};

pub use crate::kubelet::{KUBELET_CONFIG, KUBELET_FLAGS_ENV};

pub struct KubeletStart;

/// Where a kubelet.service unit may be installed.
const KUBELET_UNITS: &[&str] = &[
    "/etc/systemd/system/kubelet.service",
    "/usr/lib/systemd/system/kubelet.service",
    "/lib/systemd/system/kubelet.service",
    "/run/systemd/system/kubelet.service",
];

const STOP: [&str; 2] = ["stop", "kubelet"];
const RELOAD: [&str; 1] = ["daemon-reload"];
const RESTART: [&str; 2] = ["restart", "kubelet"];

/// Why kubelift leaves the kubelet service alone, or None when it manages it.
/// Never in a dry run or under --root: systemctl would act on this machine.
pub fn service_unmanaged(gate: &WriteGate) -> Option<String> {
    if gate.is_dry_run() {
        return Some("this is a dry run".into());
    }
    if gate.root() != Path::new("/") {
        return Some(format!("the files were written under --root {}, not for this machine's kubelet", gate.root().display()));
    }
    if !kubelet::systemd_booted(gate.root()) {
        return Some("this host is not running systemd".into());
    }
    if !KUBELET_UNITS.iter().any(|u| gate.exists(u)) {
        return Some("no kubelet.service unit is installed".into());
    }
    None
}

fn systemctl_change(args: &[&str]) -> Change {
    Change::Command { command: format!("systemctl {}", args.join(" ")) }
}

async fn systemctl(args: &[&str]) -> Result<(), String> {
    let out = tokio::process::Command::new("systemctl").args(args).output().await.map_err(|e| format!("cannot run systemctl: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    Err(format!("systemctl {} failed ({}){}", args.join(" "), out.status, if stderr.is_empty() { String::new() } else { format!(": {stderr}") }))
}

#[async_trait]
impl Phase for KubeletStart {
    fn id(&self) -> &'static str {
        "kubelet-start"
    }
    fn title(&self) -> &'static str {
        "Write kubelet settings and (re)start the kubelet"
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        let Settings::Init(s) = &ctx.settings else { return vec![] };
        let managed = service_unmanaged(&ctx.gate).is_none();
        let mut plan = vec![];
        if managed {
            plan.push(systemctl_change(&STOP));
        }
        plan.push(Change::dir(KUBELET_DIR, KUBELET_DIR_MODE));
        for (path, mode) in kubelet::planned_paths(s, ctx.gate.as_ref()) {
            if path.starts_with(dropin::DROPIN_DIR) {
                plan.push(Change::dir(dropin::DROPIN_DIR, dropin::DROPIN_DIR_MODE));
            }
            plan.push(Change::file(path, mode));
        }
        if managed {
            plan.push(systemctl_change(&RELOAD));
            plan.push(systemctl_change(&RESTART));
        }
        plan
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        let settings = ctx.init()?;
        let gate = ctx.gate();
        let unmanaged = service_unmanaged(gate);
        // kubeadm stops the kubelet so that it does not start on half-written files.
        if unmanaged.is_none() {
            if let Err(e) = systemctl(&STOP).await {
                ctx.warn(format!("unable to stop the kubelet service momentarily: {e}"), None);
            }
        }
        let node = RealNode { root: gate.root().to_path_buf(), may_run_commands: !gate.is_dry_run() && gate.root() == Path::new("/") };
        let (files, warnings) = kubelet::files(&settings, &node, gate).map_err(|e| {
            let fix = e.fix.clone();
            PhaseError::failed(e.to_string(), fix)
        })?;
        for w in warnings {
            ctx.warn(w, None);
        }
        ctx.ensure_dir(KUBELET_DIR, KUBELET_DIR_MODE)?;
        for file in files {
            if file.path.starts_with(dropin::DROPIN_DIR) {
                ctx.ensure_dir(dropin::DROPIN_DIR, dropin::DROPIN_DIR_MODE)?;
            }
            ctx.write(&file.path, file.contents.as_bytes(), file.mode, FileClass::Plain)?;
        }
        match unmanaged {
            None => {
                ctx.log("starting the kubelet");
                let started = match systemctl(&RELOAD).await {
                    Ok(()) => systemctl(&RESTART).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = started {
                    // As kubeadm: a kubelet that does not start is a warning, not a failed init.
                    ctx.warn(format!("unable to start the kubelet service: {e}"), Some("please ensure the kubelet is reloaded and running: systemctl daemon-reload && systemctl restart kubelet".into()));
                }
            }
            Some(reason) => ctx.warn(
                format!("the kubelet was not (re)started: {reason}"),
                Some("start it where the files are used: systemctl daemon-reload && systemctl restart kubelet".into()),
            ),
        }
        Ok(())
    }
}
