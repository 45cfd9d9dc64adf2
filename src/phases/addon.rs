//! `addon/*`: CoreDNS and kube-proxy, the add-ons a conformant cluster needs.

use async_trait::async_trait;

use super::{apply_phase_objects, planned_objects};
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

async fn run_addon(ctx: &PhaseCtx<'_>, which: &str) -> Result<(), PhaseError> {
    if disabled(ctx.ctx, which) {
        ctx.log(format!("skipping: the {which} add-on is disabled in ClusterConfiguration"));
        return Ok(());
    }
    apply_phase_objects(ctx).await
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
        planned_objects(ctx, self.id())
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        run_addon(ctx, "coredns").await
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
        planned_objects(ctx, self.id())
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        run_addon(ctx, "kube-proxy").await
    }
}
