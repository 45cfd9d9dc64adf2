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
        let unmanaged = stop_kubelet(ctx).await;
        write_kubelet_files(ctx, &settings, None)?;
        start_kubelet(ctx, unmanaged).await;
        Ok(())
    }
}

/// kubeadm stops the kubelet so that it does not start on half-written files.
/// Returns why the service is not managed here, if it is not.
pub async fn stop_kubelet(ctx: &PhaseCtx<'_>) -> Option<String> {
    let unmanaged = service_unmanaged(ctx.gate());
    if unmanaged.is_none() {
        if let Err(e) = systemctl(&STOP).await {
            ctx.warn(format!("unable to stop the kubelet service momentarily: {e}"), None);
        }
    }
    unmanaged
}

/// Writes the kubelet's files; `cluster_config` replaces the rendered
/// config.yaml with the cluster's own (join reads it from kubelet-config).
pub fn write_kubelet_files(ctx: &PhaseCtx<'_>, settings: &crate::config::InitSettings, cluster_config: Option<&str>) -> Result<(), PhaseError> {
    let gate = ctx.gate();
    let node = RealNode { root: gate.root().to_path_buf(), may_run_commands: !gate.is_dry_run() && gate.root() == Path::new("/") };
    let (files, warnings) = kubelet::files(settings, &node, gate).map_err(|e| {
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
        let contents = match cluster_config {
            Some(c) if file.path == KUBELET_CONFIG => c.to_string(),
            _ => file.contents,
        };
        ctx.write(&file.path, contents.as_bytes(), file.mode, FileClass::Plain)?;
    }
    Ok(())
}

/// (Re)starts the kubelet when this host's service is managed here; warns otherwise.
pub async fn start_kubelet(ctx: &PhaseCtx<'_>, unmanaged: Option<String>) {
    match unmanaged {
        None => {
            ctx.log("starting the kubelet");
            let started = match systemctl(&RELOAD).await {
                Ok(()) => systemctl(&RESTART).await,
                Err(e) => Err(e),
            };
            if let Err(e) = started {
                // As kubeadm: a kubelet that does not start is a warning, not a failed run.
                ctx.warn(format!("unable to start the kubelet service: {e}"), Some("please ensure the kubelet is reloaded and running: systemctl daemon-reload && systemctl restart kubelet".into()));
            }
        }
        Some(reason) => ctx.warn(
            format!("the kubelet was not (re)started: {reason}"),
            Some("start it where the files are used: systemctl daemon-reload && systemctl restart kubelet".into()),
        ),
    }
}

/// `kubelet-start` of join: the cluster CA, the kubelet's settings from the
/// cluster, the node's credentials through TLS bootstrap, then the kubelet.
pub struct JoinKubeletStart;

const PKI_CA: &str = "/etc/kubernetes/pki/ca.crt";
const KUBELET_CONF: &str = "/etc/kubernetes/kubelet.conf";
const BOOTSTRAP_KUBELET_CONF: &str = "/etc/kubernetes/bootstrap-kubelet.conf";
const KUBELET_PKI: &str = "/var/lib/kubelet/pki";
const KUBELET_CLIENT_CURRENT: &str = "/var/lib/kubelet/pki/kubelet-client-current.pem";

fn bootstraps_itself(ctx: &Context) -> bool {
    matches!(&ctx.settings, Settings::Join(j) if j.kubelet_bootstraps)
}

/// kubeadm refuses to join as a name that a Ready node already has.
async fn refuse_ready_twin(ctx: &PhaseCtx<'_>, bootstrap: &crate::cluster::Cluster, name: &str) -> Result<(), PhaseError> {
    let api: kube::Api<k8s_openapi::api::core::v1::Node> = kube::Api::all(bootstrap.client.clone());
    let Ok(Some(node)) = api.get_opt(name).await else { return Ok(()) };
    let ready = node.status.and_then(|s| s.conditions).unwrap_or_default().iter().any(|c| c.type_ == "Ready" && c.status == "True");
    if ready {
        return Err(PhaseError::failed(format!("a Node with name {name:?} and status \"Ready\" already exists in the cluster"), "delete the existing Node (`kubectl delete node NAME`) or give this node another name with --node-name"));
    }
    ctx.log(format!("a Node {name} exists but is not Ready; this node takes its place"));
    Ok(())
}

impl JoinKubeletStart {
    /// kubelift's TLS bootstrap: the node's key and signed certificate, and a kubelet.conf using them.
    async fn bootstrap(&self, ctx: &PhaseCtx<'_>, server: &str, ca: &[u8], node: &str) -> Result<(), PhaseError> {
        let j = super::discovery::join_settings(ctx.ctx)?;
        let req = crate::join::tls_bootstrap::Request { server, ca_pem: ca, token: &j.join.discovery.tls_bootstrap_token, node_name: node, timeout: j.tls_bootstrap_timeout() };
        ctx.log(format!("requesting a client certificate for system:node:{node}"));
        let creds = crate::join::tls_bootstrap::request_node_credentials(&req).await.map_err(|e| PhaseError::failed(e.to_string(), e.hint()))?;
        ctx.log(format!("the cluster signed {} ", creds.csr_name));
        let key = creds.key.private_key_pem().map_err(|e| PhaseError::failed(e.to_string(), "see the message"))?;
        let pem = format!("{}{key}", creds.cert_pem);
        let stamp = chrono::Utc::now().format("%Y-%m-%d-%H-%M-%S");
        ctx.ensure_dir(KUBELET_PKI, 0o755)?;
        ctx.write(&format!("{KUBELET_PKI}/kubelet-client-{stamp}.pem"), pem.as_bytes(), 0o600, FileClass::Sensitive)?;
        ctx.write(KUBELET_CLIENT_CURRENT, pem.as_bytes(), 0o600, FileClass::Sensitive)?;
        let conf = crate::kubeconfig::Kubeconfig { cluster_name: "default-cluster", server, ca_pem: ca, user: "default-auth", context: Some("default-context"), credentials: crate::kubeconfig::Credentials::ClientCertificateFile { path: KUBELET_CLIENT_CURRENT } }.render();
        ctx.write(KUBELET_CONF, conf.as_bytes(), 0o600, FileClass::Sensitive)?;
        Ok(())
    }

    /// kubeadm's way: the kubelet bootstraps itself from bootstrap-kubelet.conf.
    async fn let_kubelet_bootstrap(&self, ctx: &PhaseCtx<'_>, server: &str, ca: &[u8], unmanaged: Option<String>) -> Result<(), PhaseError> {
        let j = super::discovery::join_settings(ctx.ctx)?;
        let conf = crate::join::tls_bootstrap::bootstrap_kubeconfig(server, ca, &j.join.discovery.tls_bootstrap_token);
        ctx.write(BOOTSTRAP_KUBELET_CONF, conf.as_bytes(), 0o600, FileClass::Sensitive)?;
        start_kubelet(ctx, unmanaged).await;
        let timeout = j.tls_bootstrap_timeout();
        ctx.log(format!("waiting up to {} for the kubelet to perform the TLS bootstrap", crate::config::duration::format(timeout)));
        let started = std::time::Instant::now();
        while !ctx.gate().exists(KUBELET_CONF) {
            if started.elapsed() > timeout {
                return Err(PhaseError::failed(format!("the kubelet did not write {KUBELET_CONF} within {}", crate::config::duration::format(timeout)), "check the kubelet (`journalctl -u kubelet`) and pending CSRs (`kubelift csr list`); or join with --tls-bootstrap=kubelift"));
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        ctx.gate().remove(ctx.phase, BOOTSTRAP_KUBELET_CONF)?;
        Ok(())
    }
}

#[async_trait]
impl Phase for JoinKubeletStart {
    fn id(&self) -> &'static str {
        "kubelet-start"
    }
    fn title(&self) -> &'static str {
        "Write kubelet settings, certificates and (re)start the kubelet"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["discovery"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        let mut plan = vec![];
        if !ctx.gate.exists(PKI_CA) {
            plan.push(Change::file(PKI_CA, 0o644));
        }
        plan.push(Change::dir(KUBELET_DIR, KUBELET_DIR_MODE));
        plan.push(Change::file(KUBELET_FLAGS_ENV, 0o644));
        plan.push(Change::file(KUBELET_CONFIG, 0o644));
        if bootstraps_itself(ctx) {
            plan.push(Change::file(BOOTSTRAP_KUBELET_CONF, 0o600));
        } else {
            plan.push(Change::object("certificates.k8s.io/v1", "CertificateSigningRequest", None, "node-csr-<digest of the new key>"));
            plan.push(Change::file(KUBELET_CLIENT_CURRENT, 0o600));
            plan.push(Change::file(KUBELET_CONF, 0o600));
        }
        if service_unmanaged(&ctx.gate).is_none() {
            plan.push(systemctl_change(&RESTART));
        }
        plan
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        let view = ctx.init()?;
        let found = ctx.ctx.get_shared::<super::discovery::Discovered>().ok_or_else(|| PhaseError::failed("discovery has not run", "do not skip the discovery phase"))?;
        let (server, ca) = (found.info.server.clone(), found.info.ca_pem.clone());
        let node = view.init.node_registration.name.clone();
        let j = super::discovery::join_settings(ctx.ctx)?;
        let bootstrap = crate::cluster::Cluster::from_kubeconfig_yaml(&crate::join::tls_bootstrap::bootstrap_kubeconfig(&server, &ca, &j.join.discovery.tls_bootstrap_token), crate::engine::phase::API_PATIENCE).await?;
        refuse_ready_twin(ctx, &bootstrap, &node).await?;
        let unmanaged = stop_kubelet(ctx).await;
        if !ctx.gate().exists(PKI_CA) {
            ctx.ensure_dir("/etc/kubernetes/pki", 0o755)?;
            ctx.write(PKI_CA, &ca, 0o644, FileClass::Sensitive)?;
        }
        write_kubelet_files(ctx, &view, found.kubelet_config.as_deref())?;
        if ctx.gate().is_dry_run() {
            ctx.log(format!("would post a CertificateSigningRequest for system:node:{node} and wait for the cluster to sign it"));
            return Ok(());
        }
        if bootstraps_itself(ctx.ctx) {
            return self.let_kubelet_bootstrap(ctx, &server, &ca, unmanaged).await;
        }
        self.bootstrap(ctx, &server, &ca, &node).await?;
        start_kubelet(ctx, unmanaged).await;
        Ok(())
    }
}
