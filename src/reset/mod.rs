//! `kubelift reset`: what to undo on this node, decided in full before
//! anything changes, so that the plan shown is exactly what happens.
//!
//! Two sources, documented in docs/reset.md:
//! * **The journal** (`/var/lib/kubelift/journal.json`): every file and
//!   folder kubelift made. A file is removed only while its content still has
//!   the journaled SHA-256; a file kubelift replaced is put back from its
//!   backup; a file changed since is left and reported.
//! * **No journal**: kubeadm's standard paths (kubeadm-facts §10.3), as
//!   `kubeadm reset` removes them, after confirmation.
//!
//! In both cases the runtime state of the components (etcd's data, the
//! kubelet's folder, CNI state) is emptied as kubeadm does, the node's Pods
//! are removed through CRI, CNI configuration and kube-proxy's rules are
//! removed, and `~/.kube/config` loses its entries for this cluster.

pub mod etcd;
pub mod kubeconfig;
pub mod rules;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::event::{Change, Removal};
use crate::engine::gate::{sha256_hex, WriteGate};
use crate::engine::journal::{Action, Entry, Journal, Target, JOURNAL_PATH};
use crate::preflight::fix::{FIX_PHASE, UNDO_PHASE};
use crate::preflight::Host;
use etcd::LocalEtcd;
use kubeconfig::ClusterCa;

pub const ETCD_MANIFEST: &str = "/etc/kubernetes/manifests/etcd.yaml";
pub const MANIFESTS_DIR: &str = "/etc/kubernetes/manifests";
pub const CNI_CONF_DIR: &str = "/etc/cni/net.d";
pub const KUBEADM_FLAGS: &str = "/var/lib/kubelet/kubeadm-flags.env";
/// The folder of the journal: kubelift's own, removed when empty.
pub const JOURNAL_DIR: &str = "/var/lib/kubelift";
/// kubeadm's kubeconfig files (§10.3 step 5, plus super-admin.conf of v1.29+).
pub const KUBECONFIG_FILES: [&str; 6] = [
    "/etc/kubernetes/admin.conf",
    "/etc/kubernetes/super-admin.conf",
    "/etc/kubernetes/kubelet.conf",
    "/etc/kubernetes/bootstrap-kubelet.conf",
    "/etc/kubernetes/controller-manager.conf",
    "/etc/kubernetes/scheduler.conf",
];
/// Folders whose contents only Kubernetes components write; kubeadm empties them.
pub const STATE_DIRS: [&str; 4] = ["/var/lib/kubelet", "/var/lib/dockershim", "/var/run/kubernetes", "/var/lib/cni"];
const TIMEOUT: Duration = Duration::from_secs(60);

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct ResetOptions {
    /// `--force`: no question, and the cluster's last etcd member's data may go.
    pub force: bool,
    /// The plan is agreed to (`--force`, or the TUI's typed confirmation):
    /// preflight does not ask again. Other questions are still asked.
    pub confirmed: bool,
    pub cert_dir: String,
    pub cri_socket: Option<String>,
    pub keep_kubeconfig: bool,
    /// Host commands act on the machine, not on --root: they run only with
    /// `--root /` outside a dry run.
    pub run_commands: bool,
    /// Read-only commands (list Pods, list rules) to plan with: `--root /`.
    pub inspect_machine: bool,
    /// Home folders (host paths) whose `.kube/config` is looked at.
    pub homes: Vec<String>,
}

/// A file step of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStep {
    Remove(String),
    Restore { path: String, backup: String, mode: u32 },
}

/// Pods to remove through CRI, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CriPlan {
    Skip(String),
    Pods { socket: String, pods: Vec<String> },
}

impl Default for CriPlan {
    fn default() -> Self {
        CriPlan::Skip(String::new())
    }
}

/// A kubeconfig that loses this cluster's entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeconfigEdit {
    pub path: String,
    /// `None`: nothing else was in it, so it is removed.
    pub content: Option<Vec<u8>>,
    /// Where the original is copied first.
    pub backup: String,
    pub clusters: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ResetPlan {
    pub from_journal: bool,
    pub stop_kubelet: bool,
    pub unmounts: Vec<String>,
    pub cri: CriPlan,
    pub etcd: Option<LocalEtcd>,
    pub files: Vec<FileStep>,
    /// Folders whose contents are removed (the folder stays).
    pub contents: Vec<String>,
    /// Preflight fixes the journal records, as their undo will change them.
    pub fixes: Vec<Change>,
    pub cni: Vec<String>,
    pub rules: Vec<Vec<String>>,
    pub kubeconfigs: Vec<KubeconfigEdit>,
    /// Copies of replaced files, removed once the original is back in place.
    pub backups: Vec<String>,
    /// Preflight fixes' copies (file, backup): removed once the undo has put the file back.
    pub fix_backups: Vec<(String, String)>,
    /// Folders kubelift made, removed when empty, deepest first.
    pub dirs: Vec<String>,
    /// What is left in place, and why: shown as warnings before anything runs.
    pub notes: Vec<String>,
}

/// Everything the reset phases share.
pub struct ResetSettings {
    pub options: ResetOptions,
    pub plan: ResetPlan,
    pub host: Arc<dyn Host>,
}

impl std::fmt::Debug for ResetSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetSettings").field("options", &self.options).field("plan", &self.plan).finish_non_exhaustive()
    }
}

fn under(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir.trim_end_matches('/')).is_some_and(|rest| rest.starts_with('/'))
}

fn depth(path: &str) -> usize {
    path.matches('/').count()
}

/// Computes the whole plan from the journal (or kubeadm's paths) and the machine.
pub fn plan(gate: &WriteGate, host: &dyn Host, options: &ResetOptions) -> ResetPlan {
    let journal = gate.journal();
    let mut plan = ResetPlan { from_journal: !journal.changes.is_empty(), ..Default::default() };
    plan.etcd = gate.read(ETCD_MANIFEST).ok().flatten().and_then(|m| etcd::from_manifest(&m));
    plan_machine(&mut plan, gate, host, options);
    plan.contents = state_dirs(&plan).into_iter().filter(|d| has_entries(gate, d)).collect();
    if plan.from_journal {
        plan_from_journal(&mut plan, gate, &journal, options);
        plan.fixes = fix_changes(&journal);
    } else {
        plan_standard_paths(&mut plan, gate, options);
    }
    plan_cni(&mut plan, gate);
    if !options.keep_kubeconfig {
        plan_kubeconfigs(&mut plan, gate, options);
    }
    plan
}

/// Folders emptied in both modes: etcd's data folder and kubeadm's state folders.
fn state_dirs(plan: &ResetPlan) -> Vec<String> {
    let mut dirs: Vec<String> = plan.etcd.iter().map(|e| e.data_dir.clone()).collect();
    dirs.extend(STATE_DIRS.iter().map(|d| d.to_string()));
    dirs
}

fn has_entries(gate: &WriteGate, host_dir: &str) -> bool {
    gate.source(host_dir).ok().and_then(|p| std::fs::read_dir(p).ok()).is_some_and(|mut d| d.next().is_some())
}

/// Commands on the machine itself: the kubelet, mounts, Pods, packet filters.
fn plan_machine(plan: &mut ResetPlan, gate: &WriteGate, host: &dyn Host, options: &ResetOptions) {
    if !options.inspect_machine {
        plan.cri = CriPlan::Skip(format!("--root is {}, not /: the kubelet, the container runtime, mounts and kube-proxy's rules belong to the machine, not to that folder, and are left alone", gate.root().display()));
        return;
    }
    plan.stop_kubelet = host.find_program("systemctl").is_some();
    let mounts = host.read_kernel("/proc/mounts").unwrap_or_default();
    let mut unmounts: Vec<String> = mounts.lines().filter_map(|l| l.split_whitespace().nth(1)).filter(|m| under(m, "/var/lib/kubelet")).map(String::from).collect();
    unmounts.sort_by_key(|m| std::cmp::Reverse(depth(m)));
    plan.unmounts = unmounts;
    plan.cri = plan_cri(gate, host, options);
    plan.rules = rules::plan(host);
}

/// The runtime's socket: --cri-socket, else the kubelet's flags kubelift wrote, else the only one found.
fn cri_socket(gate: &WriteGate, options: &ResetOptions) -> Result<String, String> {
    if let Some(s) = &options.cri_socket {
        return Ok(s.clone());
    }
    let flags = gate.read(KUBEADM_FLAGS).ok().flatten().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    if let Some(endpoint) = flags.split(|c: char| c.is_whitespace() || c == '"').find_map(|w| w.strip_prefix("--container-runtime-endpoint=")) {
        return Ok(endpoint.to_string());
    }
    let found = crate::config::HostDefaults::detect(gate.root()).cri_sockets;
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err("no container runtime socket was found".into()),
        many => Err(format!("several container runtimes were found ({}); pass --cri-socket to choose", many.join(", "))),
    }
}

fn plan_cri(gate: &WriteGate, host: &dyn Host, options: &ResetOptions) -> CriPlan {
    let socket = match cri_socket(gate, options) {
        Ok(s) => s,
        Err(why) => return CriPlan::Skip(format!("{why}: no Pods to remove through CRI")),
    };
    if host.find_program("crictl").is_none() {
        return CriPlan::Skip(format!("crictl is not installed: the Pods of {socket} are not removed (install cri-tools, or remove them with the runtime's own tool)"));
    }
    let endpoint = if socket.contains("://") { socket.clone() } else { format!("unix://{socket}") };
    match host.run(&["crictl", "--runtime-endpoint", &endpoint, "pods", "--quiet"], TIMEOUT) {
        Ok(out) if out.success() => CriPlan::Pods { socket: endpoint, pods: out.stdout.split_whitespace().map(String::from).collect() },
        Ok(out) => CriPlan::Skip(format!("crictl could not list the Pods of {endpoint} ({}): none are removed", out.stderr.trim())),
        Err(e) => CriPlan::Skip(format!("crictl could not list the Pods of {endpoint} ({e}): none are removed")),
    }
}

/// The first and last journal entry of each file kubelift wrote (outside preflight fixes).
fn file_histories(journal: &Journal) -> BTreeMap<String, Vec<&Entry>> {
    let mut files: BTreeMap<String, Vec<&Entry>> = BTreeMap::new();
    for e in &journal.changes {
        if e.phase == FIX_PHASE || e.phase == UNDO_PHASE {
            continue; // preflight's own undo restores these
        }
        if let Target::File { path } = &e.target {
            files.entry(path.clone()).or_default().push(e);
        }
    }
    files
}

fn plan_from_journal(plan: &mut ResetPlan, gate: &WriteGate, journal: &Journal, options: &ResetOptions) {
    for (path, history) in file_histories(journal) {
        if plan.contents.iter().any(|d| under(&path, d)) {
            continue; // emptied with its folder, as kubeadm does
        }
        plan_file(plan, gate, &path, &history, &options.cert_dir);
    }
    for e in journal.changes.iter().filter(|e| e.phase == FIX_PHASE && !e.undone) {
        if let (Target::File { path }, Some(backup)) = (&e.target, &e.backup) {
            plan.fix_backups.push((path.clone(), backup.clone()));
        }
    }
    let mut dirs: Vec<String> = vec![];
    for e in &journal.changes {
        if let Target::Directory { path } = &e.target {
            match e.action {
                Action::Created if !dirs.contains(path) => dirs.push(path.clone()),
                Action::Removed => dirs.retain(|d| d != path),
                _ => {}
            }
        }
    }
    dirs.sort_by_key(|d| std::cmp::Reverse(depth(d)));
    plan.dirs = dirs;
}

fn plan_file(plan: &mut ResetPlan, gate: &WriteGate, path: &str, history: &[&Entry], cert_dir: &str) {
    let (first, last) = (history[0], history[history.len() - 1]);
    if last.action == Action::Removed {
        return;
    }
    let backups: Vec<String> = history.iter().filter_map(|e| e.backup.clone()).collect();
    let current = gate.read(path).ok().flatten();
    let Some(current) = current else {
        plan.notes.push(format!("{path}: already gone (kubelift wrote it; something removed it since)"));
        return;
    };
    if Some(sha256_hex(&current)) != last.sha256 {
        plan.notes.push(format!("{path}: changed since kubelift wrote it, so it is left as it is (remove it by hand if it is not yours){}", first.backup.as_deref().map(|b| format!("; the original before kubelift is {b}")).unwrap_or_default()));
        return;
    }
    match (first.action, first.backup.as_deref()) {
        (Action::Replaced, Some(backup)) if gate.exists(backup) => {
            let mode = first.mode.as_deref().and_then(|m| u32::from_str_radix(m, 8).ok()).unwrap_or(0o600);
            plan.files.push(FileStep::Restore { path: path.into(), backup: backup.into(), mode });
        }
        (Action::Replaced, _) if is_standard_path(path, cert_dir) => {
            plan.notes.push(format!("{path}: it existed before kubelift, which kept no copy (only keys, certificates and kubeconfigs are backed up); it is removed, as kubeadm reset removes it"));
            plan.files.push(FileStep::Remove(path.into()));
        }
        (Action::Replaced, _) => {
            plan.notes.push(format!("{path}: it existed before kubelift, which kept no copy of the original; left as it is"));
            return;
        }
        _ => plan.files.push(FileStep::Remove(path.into())),
    }
    plan.backups.extend(backups);
}

/// kubeadm reset's files: manifests, certificates, kubeconfigs.
fn is_standard_path(path: &str, cert_dir: &str) -> bool {
    under(path, MANIFESTS_DIR) || under(path, cert_dir) || KUBECONFIG_FILES.contains(&path)
}

fn plan_standard_paths(plan: &mut ResetPlan, gate: &WriteGate, options: &ResetOptions) {
    let mut contents = vec![MANIFESTS_DIR.to_string(), options.cert_dir.clone()];
    contents.retain(|d| has_entries(gate, d));
    if options.cert_dir != crate::config::defaults::DEFAULT_CERT_DIR {
        plan.notes.push(format!("the certificates folder {} is not kubeadm's default: check that it holds nothing but this cluster's certificates", options.cert_dir));
    }
    plan.contents.splice(0..0, contents);
    plan.files = KUBECONFIG_FILES.iter().filter(|f| gate.exists(f)).map(|f| FileStep::Remove(f.to_string())).collect();
    plan.notes.push("no journal of kubelift was found: kubeadm's standard paths are removed, as `kubeadm reset` removes them".into());
}

/// What undoing the preflight fixes will change (the undo itself is preflight's).
fn fix_changes(journal: &Journal) -> Vec<Change> {
    let mut changes = vec![];
    for e in journal.changes.iter().filter(|e| e.phase == FIX_PHASE && !e.undone) {
        let change = match &e.target {
            Target::File { path } => match &e.backup {
                Some(b) => Change::Restore { path: path.clone(), from: b.clone() },
                None => Change::remove(path.clone(), Removal::File),
            },
            Target::Command { undo: Some(undo), .. } => Change::Command { command: undo.join(" ") },
            _ => continue,
        };
        if !changes.contains(&change) {
            changes.push(change);
        }
    }
    changes
}

/// CNI configuration; podman's own networks are kept (removing them broke
/// podman when kubeadm did it: kubeadm#1822).
fn plan_cni(plan: &mut ResetPlan, gate: &WriteGate) {
    let Ok(dir) = gate.source(CNI_CONF_DIR) else { return };
    let mut names: Vec<String> = std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    for name in names {
        if name.contains("podman") {
            plan.notes.push(format!("{CNI_CONF_DIR}/{name}: podman's network, kept"));
        } else {
            plan.cni.push(format!("{CNI_CONF_DIR}/{name}"));
        }
    }
}

/// This cluster's CA: ca.crt in the cert folder and admin.conf's CA, read before anything is removed.
fn cluster_ca(gate: &WriteGate, options: &ResetOptions) -> ClusterCa {
    let ca_path = format!("{}/ca.crt", options.cert_dir.trim_end_matches('/'));
    let mut ca = ClusterCa { certs: vec![], paths: vec![ca_path.clone()] };
    if let Ok(Some(pem)) = gate.read(&ca_path) {
        ca.add_pem(&pem);
    }
    if let Some(pem) = gate.read(KUBECONFIG_FILES[0]).ok().flatten().and_then(|k| crate::kubeconfig::current_ca(&k)) {
        ca.add_pem(&pem);
    }
    ca
}

fn plan_kubeconfigs(plan: &mut ResetPlan, gate: &WriteGate, options: &ResetOptions) {
    let ca = cluster_ca(gate, options);
    if ca.certs.is_empty() {
        plan.notes.push("this cluster's CA was not found, so no ~/.kube/config entry can be recognised as this cluster's; they are left as they are".into());
        return;
    }
    let stamp = chrono::Utc::now().format("%Y-%m-%d-%H-%M-%S");
    for home in &options.homes {
        let path = format!("{}/.kube/config", home.trim_end_matches('/'));
        let Ok(Some(bytes)) = gate.read(&path) else { continue };
        match kubeconfig::prune(&bytes, &ca) {
            Ok(Some(p)) => plan.kubeconfigs.push(KubeconfigEdit { backup: format!("{path}.kubelift-reset-{stamp}"), path, content: p.content, clusters: p.clusters }),
            Ok(None) => {}
            Err(e) => plan.notes.push(format!("{path}: {e}; left as it is")),
        }
    }
}

impl ResetPlan {
    /// The remove-etcd-member phase's changes.
    pub fn etcd_changes(&self) -> Vec<Change> {
        match &self.etcd {
            Some(e) => vec![Change::Command { command: format!("POST {}/v3/cluster/member/remove (this node's member {}, unless it is the only one)", etcd::LOCAL_ENDPOINT, e.name) }],
            None => vec![],
        }
    }

    /// The cleanup-node phase's changes, in the order they happen.
    pub fn cleanup_changes(&self) -> Vec<Change> {
        let cmd = |c: String| Change::Command { command: c };
        let mut out = vec![];
        if self.stop_kubelet {
            out.push(cmd("systemctl stop kubelet".into()));
        }
        out.extend(self.unmounts.iter().map(|m| cmd(format!("umount {m}"))));
        if let CriPlan::Pods { socket, pods } = &self.cri {
            out.extend(pods.iter().flat_map(|p| [cmd(format!("crictl --runtime-endpoint {socket} stopp {p}")), cmd(format!("crictl --runtime-endpoint {socket} rmp {p}"))]));
        }
        for step in &self.files {
            out.push(match step {
                FileStep::Remove(p) => Change::remove(p.clone(), Removal::File),
                FileStep::Restore { path, backup, .. } => Change::Restore { path: path.clone(), from: backup.clone() },
            });
        }
        out.extend(self.contents.iter().map(|d| Change::remove(d.clone(), Removal::Contents)));
        out.extend(self.fixes.iter().cloned());
        out.extend(self.cni.iter().map(|p| Change::remove(p.clone(), Removal::File)));
        out.extend(self.rules.iter().map(|r| cmd(r.join(" "))));
        for k in &self.kubeconfigs {
            out.push(Change::file(k.backup.clone(), 0o600));
            out.push(match &k.content {
                Some(_) => Change::file(k.path.clone(), 0o600),
                None => Change::remove(k.path.clone(), Removal::File),
            });
        }
        out.extend(self.backups.iter().chain(self.fix_backups.iter().map(|(_, b)| b)).map(|b| Change::remove(b.clone(), Removal::File)));
        out.push(Change::remove(JOURNAL_PATH, Removal::File));
        out.extend(self.dirs_with_journal().into_iter().map(|d| Change::remove(d, Removal::EmptyDirectory)));
        out
    }

    /// The folders to remove when empty, with kubelift's own journal folder.
    pub fn dirs_with_journal(&self) -> Vec<String> {
        let mut dirs = self.dirs.clone();
        if !dirs.iter().any(|d| d == JOURNAL_DIR) {
            dirs.push(JOURNAL_DIR.into());
        }
        dirs.sort_by_key(|d| std::cmp::Reverse(depth(d)));
        dirs
    }
}
