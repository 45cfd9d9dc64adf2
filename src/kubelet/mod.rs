//! The kubelet's files kubeadm writes at `kubelet-start` (kubeadm-facts §4):
//! /var/lib/kubelet/config.yaml, kubeadm-flags.env, from v1.34 instance-config.yaml,
//! and the systemd drop-in when no package installed one.

pub mod config;
pub mod dropin;
pub mod flags;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::config::InitSettings;
use crate::manifests::HostFiles;

pub const KUBELET_DIR: &str = "/var/lib/kubelet";
pub const KUBELET_DIR_MODE: u32 = 0o700;
pub const KUBELET_CONFIG: &str = "/var/lib/kubelet/config.yaml";
pub const KUBELET_FLAGS_ENV: &str = "/var/lib/kubelet/kubeadm-flags.env";
pub const KUBELET_INSTANCE_CONFIG: &str = "/var/lib/kubelet/instance-config.yaml";
pub const KUBELET_FILE_MODE: u32 = 0o644;

/// What the kubelet files depend on beyond the configuration. Tests answer
/// with fixed values; a run asks the host.
pub trait NodeFacts {
    /// The OS hostname, lower-cased (kubeadm compares the node name with it).
    fn hostname(&self) -> String;
    /// Whether systemd-resolved is active: then the kubelet must read the real
    /// upstream resolv.conf, not the 127.0.0.53 stub.
    fn systemd_resolved_active(&self) -> bool;
}

/// Fixed answers, for tests and previews.
#[derive(Debug, Clone)]
pub struct FixedNode {
    pub hostname: String,
    pub systemd_resolved_active: bool,
}

impl NodeFacts for FixedNode {
    fn hostname(&self) -> String {
        self.hostname.clone()
    }
    fn systemd_resolved_active(&self) -> bool {
        self.systemd_resolved_active
    }
}

/// This machine. Runs `systemctl` only when it may: on the real root (`/`),
/// outside a dry run, on a host booted with systemd; otherwise it reads the
/// file systemd-resolved keeps under the root instead.
pub struct RealNode {
    pub root: PathBuf,
    pub may_run_commands: bool,
}

impl NodeFacts for RealNode {
    fn hostname(&self) -> String {
        nix::unistd::gethostname().ok().and_then(|h| h.into_string().ok()).unwrap_or_default().trim().to_lowercase()
    }

    fn systemd_resolved_active(&self) -> bool {
        if self.may_run_commands && systemd_booted(&self.root) {
            return Command::new("systemctl")
                .args(["is-active", "systemd-resolved"])
                .output()
                .map(|o| matches!(String::from_utf8_lossy(&o.stdout).trim(), "active" | "activating"))
                .unwrap_or(false);
        }
        self.root.join(config::SYSTEMD_RESOLVED_CONF.trim_start_matches('/')).exists()
    }
}

/// sd_booted(): systemd is PID 1 when /run/systemd/system exists.
pub fn systemd_booted(root: &Path) -> bool {
    root.join("run/systemd/system").is_dir()
}

/// Whether kubeadm's NodeLocalCRISocket gate is on: the user's feature gate,
/// else the version's default.
pub fn node_local_cri_socket(settings: &InitSettings) -> bool {
    settings.cluster.feature_gates.get("NodeLocalCRISocket").copied().unwrap_or(settings.version_info().node_local_cri_socket)
}

/// One file of the kubelet's, ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeletFile {
    pub path: String,
    pub contents: String,
    pub mode: u32,
}

/// The files `kubelet-start` writes, in kubeadm's order, with warnings kubeadm
/// would print about the user's KubeletConfiguration.
pub fn files(settings: &InitSettings, node: &dyn NodeFacts, host: &dyn HostFiles) -> Result<(Vec<KubeletFile>, Vec<String>), config::KubeletConfigError> {
    let mut warnings = vec![];
    let mut out = vec![KubeletFile { path: KUBELET_FLAGS_ENV.into(), contents: flags::render(settings, node), mode: KUBELET_FILE_MODE }];
    if node_local_cri_socket(settings) {
        out.push(KubeletFile { path: KUBELET_INSTANCE_CONFIG.into(), contents: config::instance_config(settings), mode: KUBELET_FILE_MODE });
    }
    out.push(KubeletFile { path: KUBELET_CONFIG.into(), contents: config::render(settings, node, &mut warnings)?, mode: KUBELET_FILE_MODE });
    if let Some(d) = dropin::needed(host) {
        out.push(KubeletFile { path: d.path.into(), contents: dropin::render(host), mode: dropin::DROPIN_MODE });
    }
    Ok((out, warnings))
}

/// The paths `files` writes, computed without rendering (for a phase's plan).
pub fn planned_paths(settings: &InitSettings, host: &dyn HostFiles) -> Vec<(&'static str, u32)> {
    let mut out = vec![(KUBELET_FLAGS_ENV, KUBELET_FILE_MODE)];
    if node_local_cri_socket(settings) {
        out.push((KUBELET_INSTANCE_CONFIG, KUBELET_FILE_MODE));
    }
    out.push((KUBELET_CONFIG, KUBELET_FILE_MODE));
    if let Some(d) = dropin::needed(host) {
        out.push((d.path, dropin::DROPIN_MODE));
    }
    out
}

#[cfg(test)]
mod tests;
