//! `addon/*`: CoreDNS and kube-proxy, the add-ons a conformant cluster needs.

use async_trait::async_trait;

use super::{cluster_work_pending, KUBE_SYSTEM, RBAC};
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError, Settings};

pub fn phases() -> Vec<Box<dyn Phase>> {
    vec![Box::new(CoreDns), Box::new(KubeProxy)]
}

pub struct CoreDns;
pub struct KubeProxy;

fn disabled(ctx: &Context, which: &str) -> bool {
    let Settings::Init(s) = &ctx.settings else { return false };
    match which {
        "coredns" => s.cluster.dns.disabled,
        _ => s.cluster.proxy.as_ref().is_some_and(|p| p.disabled),
    }
}

async fn run_addon(phase: &dyn Phase, ctx: &PhaseCtx<'_>, which: &str) -> Result<(), PhaseError> {
    if disabled(ctx.ctx, which) {
        ctx.log(format!("skipping: the {which} add-on is disabled in ClusterConfiguration"));
        return Ok(());
    }
    cluster_work_pending(ctx, phase.plan(ctx.ctx))
}

#[async_trait]
impl Phase for CoreDns {
    fn id(&self) -> &'static str {
        "addon/coredns"
    }
    fn title(&self) -> &'static str {
        "Install the CoreDNS addon to a Kubernetes cluster"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["wait-control-plane"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        if disabled(ctx, "coredns") {
            return vec![];
        }
        vec![
            Change::object("v1", "ConfigMap", KUBE_SYSTEM, "coredns"),
            Change::object(RBAC, "ClusterRole", None, "system:coredns"),
            Change::object(RBAC, "ClusterRoleBinding", None, "system:coredns"),
            Change::object("v1", "ServiceAccount", KUBE_SYSTEM, "coredns"),
            Change::object("apps/v1", "Deployment", KUBE_SYSTEM, "coredns"),
            Change::object("v1", "Service", KUBE_SYSTEM, "kube-dns"),
        ]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        run_addon(self, ctx, "coredns").await
    }
}

#[async_trait]
impl Phase for KubeProxy {
    fn id(&self) -> &'static str {
        "addon/kube-proxy"
    }
    fn title(&self) -> &'static str {
        "Install the kube-proxy addon to a Kubernetes cluster"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["wait-control-plane"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        if disabled(ctx, "kube-proxy") {
            return vec![];
        }
        vec![
            Change::object("v1", "ServiceAccount", KUBE_SYSTEM, "kube-proxy"),
            Change::object("v1", "ConfigMap", KUBE_SYSTEM, "kube-proxy"),
            Change::object("apps/v1", "DaemonSet", KUBE_SYSTEM, "kube-proxy"),
            Change::object(RBAC, "ClusterRoleBinding", None, "kubeadm:node-proxier"),
            Change::object(RBAC, "Role", KUBE_SYSTEM, "kube-proxy"),
            Change::object(RBAC, "RoleBinding", KUBE_SYSTEM, "kube-proxy"),
        ]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        run_addon(self, ctx, "kube-proxy").await
    }
}
