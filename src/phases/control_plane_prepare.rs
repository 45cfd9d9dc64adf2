//! `control-plane-prepare/*` (join --control-plane, kubeadm-facts §10.2):
//! the shared PKI from the kubeadm-certs Secret, then this node's own
//! certificates, kubeconfigs and static Pod manifests.
//!
//! The last three reuse init's artifact phases: they read `ctx.init()`, which
//! for join is the cluster's configuration with this node's registration and
//! localAPIEndpoint (discovery's `ClusterView`), so the files match what init
//! writes on the first control-plane node. For a worker every phase here is a
//! no-op, as in kubeadm.

use async_trait::async_trait;
use k8s_openapi::api::core::v1::Secret;

use super::certs::{self, cert_dir, Cert};
use super::control_plane::{manifest_plan, StaticPod, COMPONENTS};
use super::discovery::{join_settings, Discovered};
use super::kubeconfig::{self, Kubeconfig};
use crate::cluster::Cluster;
use crate::config::InitSettings;
use crate::engine::{Change, Context, FileClass, Phase, PhaseCtx, PhaseError, Settings};
use crate::join::tls_bootstrap::bootstrap_kubeconfig;
use crate::objects::upload_certs::{decrypt_secret, files, CertFile, CertificateKey, KUBEADM_CERTS};

/// True when this run joins a control-plane node (`--control-plane` or
/// JoinConfiguration `controlPlane`).
pub fn is_control_plane(ctx: &Context) -> bool {
    matches!(&ctx.settings, Settings::Join(j) if j.join.control_plane.is_some())
}

/// Logs why a control-plane step does nothing on this node.
fn skip_for_worker(ctx: &PhaseCtx<'_>) -> bool {
    if is_control_plane(ctx.ctx) {
        return false;
    }
    ctx.debug("skipping: this node joins as a worker");
    true
}

/// Runs init's phases under one join phase id (their files and journal
/// entries are recorded under the join phase).
async fn run_all(ctx: &PhaseCtx<'_>, phases: &[Box<dyn Phase>]) -> Result<(), PhaseError> {
    for phase in phases {
        phase.run(ctx).await?;
    }
    Ok(())
}

fn plan_all(ctx: &Context, phases: &[Box<dyn Phase>]) -> Vec<Change> {
    if !is_control_plane(ctx) {
        return vec![];
    }
    let mut plan: Vec<Change> = vec![];
    for change in phases.iter().flat_map(|p| p.plan(ctx)) {
        if !plan.contains(&change) {
            plan.push(change);
        }
    }
    plan
}

// ---------------------------------------------------------------------------
// download-certs

pub struct DownloadCerts;

/// The certificate key of this join, or None when none was given (the
/// shared files were then copied by hand, as kubeadm allows).
fn certificate_key(ctx: &Context) -> Result<Option<CertificateKey>, PhaseError> {
    let j = join_settings(ctx)?;
    let Some(cp) = &j.join.control_plane else { return Ok(None) };
    if cp.certificate_key.is_empty() {
        return Ok(None);
    }
    let key = CertificateKey::parse(&cp.certificate_key)
        .map_err(|_| PhaseError::failed("the certificate key is not 64 hexadecimal characters (an AES-256 key)", "pass the key `kubelift init --upload-certs` printed, with --certificate-key"))?;
    Ok(Some(key))
}

/// kube-system/kubeadm-certs, read with the bootstrap token's identity.
async fn read_kubeadm_certs(ctx: &PhaseCtx<'_>) -> Result<Secret, PhaseError> {
    let found = ctx.ctx.get_shared::<Discovered>().ok_or_else(|| PhaseError::failed("discovery has not run", "do not skip the discovery phase"))?;
    let j = join_settings(ctx.ctx)?;
    let yaml = bootstrap_kubeconfig(&found.info.server, &found.info.ca_pem, &j.join.discovery.tls_bootstrap_token);
    let bootstrap = Cluster::from_kubeconfig_yaml(&yaml, crate::engine::phase::API_PATIENCE).await?;
    let api: kube::Api<Secret> = kube::Api::namespaced(bootstrap.client.clone(), "kube-system");
    let secret = bootstrap.retry(&format!("get Secret kube-system/{KUBEADM_CERTS}"), || api.get_opt(KUBEADM_CERTS)).await.map_err(|e| match e.class {
        crate::cluster::ErrorClass::Forbidden => PhaseError::failed(
            format!("the bootstrap token may not read Secret kube-system/{KUBEADM_CERTS}: {e}"),
            "the Role kubeadm:kubeadm-certs lets bootstrap tokens read it; it is made by `kubelift init --upload-certs` (or `kubelift phase upload-certs --upload-certs`)",
        ),
        _ => e.into(),
    })?;
    secret.ok_or_else(|| {
        PhaseError::failed(
            format!("Secret \"{KUBEADM_CERTS}\" was not found in the \"kube-system\" Namespace. This Secret might have expired"),
            "on a control-plane node run `kubelift phase upload-certs --upload-certs` (it prints a new certificate key), then join with that key within two hours",
        )
    })
}

/// Private keys are kubeadm's 0600; certificates and sa.pub 0644 (§10.6).
fn download_mode(file: &CertFile) -> u32 {
    if file.is_private_key() {
        0o600
    } else {
        0o644
    }
}

#[async_trait]
impl Phase for DownloadCerts {
    fn id(&self) -> &'static str {
        "control-plane-prepare/download-certs"
    }
    fn title(&self) -> &'static str {
        "Download certificates shared among control-plane nodes from the kubeadm-certs Secret"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["discovery"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        if !matches!(certificate_key(ctx), Ok(Some(_))) {
            return vec![];
        }
        let dir = cert_dir(ctx);
        let mut plan = vec![Change::object("v1", "Secret", Some("kube-system"), KUBEADM_CERTS)];
        // The file list depends on the cluster's etcd (local or external), known after discovery.
        match ctx.cluster_settings() {
            Some(s) => plan.extend(files(&s).iter().map(|f| Change::file(f.path.display().to_string(), download_mode(f)))),
            None => plan.push(Change::file(format!("{dir}/{{ca,front-proxy-ca,etcd/ca}}.{{crt,key}}, sa.{{key,pub}}"), 0o600)),
        }
        plan
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        if skip_for_worker(ctx) {
            return Ok(());
        }
        let Some(key) = certificate_key(ctx.ctx)? else {
            ctx.log("no certificate key: the shared certificates must already be on this host, copied from a control-plane node");
            return Ok(());
        };
        let s = ctx.init()?;
        if ctx.gate().is_dry_run() {
            ctx.log(format!("would read Secret kube-system/{KUBEADM_CERTS}, decrypt it and write the shared certificates"));
            return Ok(());
        }
        let secret = read_kubeadm_certs(ctx).await?;
        // Everything is decrypted before anything is written: a wrong key writes nothing.
        let plain = decrypt_secret(&secret, &files(&s), &key).map_err(|e| {
            PhaseError::failed(
                format!("cannot decrypt Secret kube-system/{KUBEADM_CERTS}: {e}"),
                "use the certificate key printed by the last `kubelift init --upload-certs` or `kubelift phase upload-certs --upload-certs` (each upload makes a new key unless one is given)",
            )
        })?;
        write_shared(ctx, &s, &plain)
    }
}

fn write_shared(ctx: &PhaseCtx<'_>, s: &InitSettings, plain: &[(CertFile, Vec<u8>)]) -> Result<(), PhaseError> {
    ctx.ensure_dir(&s.cluster.certificates_dir, 0o755)?;
    for (file, content) in plain {
        let path = file.path.display().to_string();
        if let Some(parent) = file.path.parent() {
            ctx.ensure_dir(&parent.display().to_string(), 0o755)?;
        }
        ctx.write(&path, content, download_mode(file), FileClass::Sensitive)?;
    }
    ctx.log(format!("wrote {} shared certificate and key files from Secret kube-system/{KUBEADM_CERTS}", plain.len()));
    Ok(())
}

// ---------------------------------------------------------------------------
// certs

/// The shared files every control-plane node must have before its own
/// certificates can be signed: (file under the certificates dir, local etcd only).
const SHARED: &[(&str, bool)] =
    &[("ca.crt", false), ("ca.key", false), ("front-proxy-ca.crt", false), ("front-proxy-ca.key", false), ("sa.key", false), ("sa.pub", false), ("etcd/ca.crt", true), ("etcd/ca.key", true)];

pub struct PrepareCerts;

/// init's certs sub-phases minus the CAs and sa, which are shared.
fn own_cert_phases() -> Vec<Box<dyn Phase>> {
    certs::CERTS
        .iter()
        .filter(|(name, _, _)| !matches!(*name, "ca" | "front-proxy-ca" | "etcd-ca" | "sa"))
        .map(|(name, base, title)| Box::new(Cert { id: "control-plane-prepare/certs", name, base, title }) as Box<dyn Phase>)
        .collect()
}

/// A missing shared file is named with both ways to get it.
fn check_shared(ctx: &PhaseCtx<'_>, s: &InitSettings) -> Result<(), PhaseError> {
    let dir = &s.cluster.certificates_dir;
    let local_etcd = s.cluster.etcd.external.is_none();
    let missing: Vec<String> = SHARED.iter().filter(|(_, etcd)| local_etcd || !etcd).map(|(f, _)| format!("{dir}/{f}")).filter(|p| !ctx.gate().exists(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(PhaseError::failed(
        format!("the certificates shared by the control plane are missing: {}", missing.join(", ")),
        "join with --certificate-key (the key printed by `kubelift init --upload-certs`), or copy these files from an existing control-plane node",
    ))
}

#[async_trait]
impl Phase for PrepareCerts {
    fn id(&self) -> &'static str {
        "control-plane-prepare/certs"
    }
    fn title(&self) -> &'static str {
        "Generate the certificates for the new control plane components"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["discovery"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        plan_all(ctx, &own_cert_phases())
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        if skip_for_worker(ctx) {
            return Ok(());
        }
        check_shared(ctx, &*ctx.init()?)?;
        run_all(ctx, &own_cert_phases()).await
    }
}

// ---------------------------------------------------------------------------
// kubeconfig

pub struct PrepareKubeconfig;

/// admin.conf, controller-manager.conf and scheduler.conf: not kubelet.conf
/// (TLS bootstrap makes it) and not super-admin.conf (init only, KEP-4214).
fn kubeconfig_phases() -> Vec<Box<dyn Phase>> {
    kubeconfig::KUBECONFIGS
        .iter()
        .filter(|(name, _, _)| matches!(*name, "admin" | "controller-manager" | "scheduler"))
        .map(|(name, file, title)| Box::new(Kubeconfig { id: "control-plane-prepare/kubeconfig", name, file, title }) as Box<dyn Phase>)
        .collect()
}

#[async_trait]
impl Phase for PrepareKubeconfig {
    fn id(&self) -> &'static str {
        "control-plane-prepare/kubeconfig"
    }
    fn title(&self) -> &'static str {
        "Generate the kubeconfig for the new control plane components"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["discovery", "control-plane-prepare/download-certs"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        plan_all(ctx, &kubeconfig_phases())
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        if skip_for_worker(ctx) {
            return Ok(());
        }
        run_all(ctx, &kubeconfig_phases()).await
    }
}

// ---------------------------------------------------------------------------
// control-plane

pub struct PrepareControlPlane;

fn static_pod_phases() -> Vec<Box<dyn Phase>> {
    COMPONENTS.iter().map(|(_, component, title)| Box::new(StaticPod { id: "control-plane-prepare/control-plane", component: *component, title }) as Box<dyn Phase>).collect()
}

#[async_trait]
impl Phase for PrepareControlPlane {
    fn id(&self) -> &'static str {
        "control-plane-prepare/control-plane"
    }
    fn title(&self) -> &'static str {
        "Generate the manifests for the new control plane components"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["discovery"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        if !is_control_plane(ctx) {
            return vec![];
        }
        let mut plan: Vec<Change> = vec![];
        for change in COMPONENTS.iter().flat_map(|(_, c, _)| manifest_plan(*c)) {
            if !plan.contains(&change) {
                plan.push(change);
            }
        }
        plan
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        if skip_for_worker(ctx) {
            return Ok(());
        }
        run_all(ctx, &static_pod_phases()).await
    }
}

/// The control-plane-prepare phases in kubeadm's order.
pub fn phases() -> Vec<Box<dyn Phase>> {
    vec![Box::new(DownloadCerts), Box::new(PrepareCerts), Box::new(PrepareKubeconfig), Box::new(PrepareControlPlane)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{JoinOverrides, JoinSettings};

    #[test]
    fn only_control_plane_makes_a_control_plane_join() {
        let mut worker = JoinSettings::empty();
        worker.apply(&JoinOverrides { advertise_address: Some("10.0.0.9".into()), certificate_key: Some(crate::secret::SecretString::new("00".repeat(32))), ..Default::default() });
        assert!(worker.join.control_plane.is_none(), "kubeadm ignores the control-plane flags without --control-plane");
        let mut cp = JoinSettings::empty();
        cp.apply(&JoinOverrides { control_plane: true, advertise_address: Some("10.0.0.9".into()), ..Default::default() });
        assert_eq!(cp.join.control_plane.unwrap().local_api_endpoint.advertise_address, "10.0.0.9");
    }

    #[test]
    fn a_joining_control_plane_makes_its_own_leaves_and_three_kubeconfigs() {
        let names = |phases: Vec<Box<dyn Phase>>| phases.len();
        assert_eq!(names(own_cert_phases()), 7, "every leaf certificate, no CA and no sa key");
        let kubeconfigs: Vec<&str> = kubeconfig::KUBECONFIGS.iter().filter(|(n, _, _)| matches!(*n, "admin" | "controller-manager" | "scheduler")).map(|(_, f, _)| *f).collect();
        assert_eq!(kubeconfigs, ["admin.conf", "controller-manager.conf", "scheduler.conf"]);
        assert_eq!(kubeconfig_phases().len(), 3);
        assert!(own_cert_phases().iter().chain(kubeconfig_phases().iter()).all(|p| p.id().starts_with("control-plane-prepare/")));
    }

    #[test]
    fn downloaded_keys_are_private_and_the_rest_readable() {
        let file = |k: &str| CertFile { data_key: k.into(), path: format!("/etc/kubernetes/pki/{k}").into() };
        assert_eq!(download_mode(&file("ca.key")), 0o600);
        assert_eq!(download_mode(&file("etcd-ca.key")), 0o600);
        assert_eq!(download_mode(&file("sa.pub")), 0o644);
        assert_eq!(download_mode(&file("front-proxy-ca.crt")), 0o644);
    }
}
