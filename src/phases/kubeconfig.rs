//! `kubeconfig/*`: the kubeconfig files of the admin, the kubelet and the
//! control-plane components, each with a client certificate signed by the
//! cluster CA embedded (kubeadm-facts §2).
//!
//! An existing file is kept when its cluster CA is this cluster's; one with
//! another CA is an error (kubeadm: "exists already but has got the wrong CA cert").

use async_trait::async_trait;
use std::time::SystemTime;

use super::certs::{cert_dir, key_pool, load_pair, pki_inputs, run_clock};
use crate::config::InitSettings;
use crate::engine::{Change, Context, FileClass, Phase, PhaseCtx, PhaseError, Settings};
use crate::kubeconfig::{self, Credentials, Kubeconfig as File};
use crate::pki::{self, CertSpec, ExtKeyUsage};

pub const KUBERNETES_DIR: &str = "/etc/kubernetes";

/// (phase name, file, title).
pub const KUBECONFIGS: &[(&str, &str, &str)] = &[
    ("admin", "admin.conf", "Generate a kubeconfig file for the admin to use and for kubeadm itself"),
    ("super-admin", "super-admin.conf", "Generate a kubeconfig file for the super-admin"),
    ("kubelet", "kubelet.conf", "Generate a kubeconfig file for the kubelet to use *only* for cluster bootstrapping purposes"),
    ("controller-manager", "controller-manager.conf", "Generate a kubeconfig file for the controller manager to use"),
    ("scheduler", "scheduler.conf", "Generate a kubeconfig file for the scheduler to use"),
];

pub struct Kubeconfig {
    pub id: &'static str,
    pub name: &'static str,
    pub file: &'static str,
    pub title: &'static str,
}

pub fn phases() -> Vec<Box<dyn Phase>> {
    KUBECONFIGS
        .iter()
        .map(|(name, file, title)| {
            let id: &'static str = Box::leak(format!("kubeconfig/{name}").into_boxed_str());
            Box::new(Kubeconfig { id, name, file, title }) as Box<dyn Phase>
        })
        .collect()
}

/// super-admin.conf exists from v1.29 (KEP-4214); before, admin.conf is in system:masters.
pub fn has_super_admin(kubernetes_version: &str) -> bool {
    crate::versions::lookup(kubernetes_version).is_some_and(|v| v.super_admin_conf)
}

/// Who a kubeconfig authenticates as: (CN, organizations).
pub fn identity(name: &str, s: &InitSettings) -> (String, Vec<String>) {
    let masters = vec!["system:masters".to_string()];
    match name {
        "admin" if has_super_admin(&s.cluster.kubernetes_version) => ("kubernetes-admin".into(), vec!["kubeadm:cluster-admins".into()]),
        "admin" => ("kubernetes-admin".into(), masters),
        "super-admin" => ("kubernetes-super-admin".into(), masters),
        "kubelet" => (format!("system:node:{}", s.init.node_registration.name), vec!["system:nodes".into()]),
        "controller-manager" => ("system:kube-controller-manager".into(), vec![]),
        _ => ("system:kube-scheduler".into(), vec![]),
    }
}

/// The API server URL a kubeconfig points at: the control-plane endpoint for
/// users and the kubelet, this node's own API server for the components.
pub fn server_url(name: &str, s: &InitSettings) -> String {
    match name {
        "controller-manager" | "scheduler" => format!("https://{}", crate::config::join_host_port(&s.init.local_api_endpoint.advertise_address, s.bind_port())),
        _ => format!("https://{}", s.control_plane_endpoint()),
    }
}

/// A client certificate for a kubeconfig user, signed by the cluster CA.
pub fn client_spec(s: &InitSettings, common_name: String, organizations: Vec<String>) -> Result<CertSpec, PhaseError> {
    let inputs = pki_inputs(s)?;
    Ok(CertSpec {
        name: "kubeconfig",
        long_name: "kubeconfig client certificate",
        base_name: "kubeconfig",
        ca: Some("ca"),
        common_name,
        organizations,
        dns_names: vec![],
        ips: vec![],
        usages: vec![ExtKeyUsage::ClientAuth],
        algorithm: inputs.algorithm,
        validity: inputs.cert_validity,
        warnings: vec![],
    })
}

impl Kubeconfig {
    fn applies(&self, ctx: &Context) -> bool {
        match &ctx.settings {
            Settings::Init(s) => self.name != "super-admin" || has_super_admin(&s.cluster.kubernetes_version),
            Settings::Join(_) => self.name != "super-admin",
        }
    }

    fn path(&self) -> String {
        format!("{KUBERNETES_DIR}/{}", self.file)
    }

    /// Keeps an existing file whose CA is the cluster's.
    fn keep_existing(&self, ctx: &PhaseCtx<'_>, existing: &[u8], ca_pem: &[u8]) -> Result<(), PhaseError> {
        let same_ca = kubeconfig::current_ca(existing).is_some_and(|ca| ca.trim_ascii() == ca_pem.trim_ascii());
        if !same_ca {
            return Err(PhaseError::failed(
                format!("a kubeconfig file {:?} exists already but has got the wrong CA cert", self.path()),
                format!("it belongs to another cluster: move it aside and run `kubelift phase {}` again", self.id),
            ));
        }
        ctx.log(format!("using the existing kubeconfig file {}", self.path()));
        Ok(())
    }

    fn create(&self, ctx: &PhaseCtx<'_>, s: &InitSettings, dir: &str, now: SystemTime) -> Result<(), PhaseError> {
        let (ca_cert, ca_key) = load_pair(ctx, dir, "ca")?;
        let (ca_cert, ca_key) = match (ca_cert, ca_key) {
            (Some(c), Some(k)) => (c, k),
            (Some(_), None) => return Err(PhaseError::failed(format!("{} is missing and there is no ca.key to sign its client certificate (external CA mode)", self.path()), format!("provide {} yourself", self.path()))),
            _ => return Err(PhaseError::failed(format!("the cluster CA {dir}/ca.crt is missing"), "run `kubelift phase certs/ca` first")),
        };
        let (cn, orgs) = identity(self.name, s);
        let spec = client_spec(s, cn.clone(), orgs)?;
        let key = key_pool(ctx.ctx, spec.algorithm).take().map_err(|e| PhaseError::failed(e.to_string(), "see the message"))?;
        let cert = pki::new_signed(&spec, &key, &ca_cert, &ca_key, now).map_err(|e| PhaseError::failed(format!("sign the client certificate of {}: {e}", self.file), "check ca.crt and ca.key"))?;
        let key_pem = key.private_key_pem().map_err(|e| PhaseError::failed(e.to_string(), "see the message"))?;
        let server = server_url(self.name, s);
        let yaml = File {
            cluster_name: &s.cluster.cluster_name,
            server: &server,
            ca_pem: ca_cert.to_pem().as_bytes(),
            user: &cn,
            context: None,
            credentials: Credentials::ClientCertificate { cert_pem: &cert.to_pem(), key_pem: &key_pem },
        }
        .render();
        ctx.write(&self.path(), yaml.as_bytes(), 0o600, FileClass::Sensitive)?;
        Ok(())
    }
}

#[async_trait]
impl Phase for Kubeconfig {
    fn id(&self) -> &'static str {
        self.id
    }
    fn title(&self) -> &'static str {
        self.title
    }
    fn needs(&self) -> &'static [&'static str] {
        &["certs/ca"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        if !self.applies(ctx) {
            return vec![];
        }
        let mut plan = vec![];
        if !ctx.gate.exists(KUBERNETES_DIR) {
            plan.push(Change::dir(KUBERNETES_DIR, 0o755));
        }
        if !ctx.gate.exists(&self.path()) {
            plan.push(Change::file(self.path(), 0o600));
        }
        plan
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        if !self.applies(ctx.ctx) {
            ctx.log("skipping: super-admin.conf exists from Kubernetes v1.29 on");
            return Ok(());
        }
        let s = ctx.init()?;
        let dir = cert_dir(ctx.ctx);
        ctx.ensure_dir(KUBERNETES_DIR, 0o755)?;
        if let Some(existing) = ctx.gate().read(&self.path())? {
            let ca_pem = ctx.gate().read(&format!("{dir}/ca.crt"))?.ok_or_else(|| PhaseError::failed(format!("the cluster CA {dir}/ca.crt is missing"), "run `kubelift phase certs/ca` first"))?;
            return self.keep_existing(ctx, &existing, &ca_pem);
        }
        self.create(ctx, &s, &dir, run_clock(ctx.ctx))
    }
}
