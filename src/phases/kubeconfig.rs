//! `kubeconfig/*`: the kubeconfig files of the admin, the kubelet and the
//! control-plane components, each with its client certificate embedded.

use async_trait::async_trait;

use super::files_pending;
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError, Settings};

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

impl Kubeconfig {
    fn applies(&self, ctx: &Context) -> bool {
        match &ctx.settings {
            Settings::Init(s) => self.name != "super-admin" || has_super_admin(&s.cluster.kubernetes_version),
            Settings::Join(_) => self.name != "super-admin",
        }
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
        vec![Change::dir(KUBERNETES_DIR, 0o755), Change::file(format!("{KUBERNETES_DIR}/{}", self.file), 0o600)]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        if !self.applies(ctx.ctx) {
            ctx.log("skipping: super-admin.conf exists from Kubernetes v1.29 on");
            return Ok(());
        }
        files_pending(ctx, self.plan(ctx.ctx))
    }
}
