//! `addon/*`: CoreDNS and kube-proxy, the add-ons a conformant cluster needs.

use async_trait::async_trait;

use super::{apply_phase_objects, planned_objects};
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError, Settings};

pub fn phases() -> Vec<Box<dyn Phase>> {
    vec![Box::new(CoreDns), Box::new(KubeProxy), Box::new(PodNetwork)]
}

/// kubelift's own add-on phase: the pod network the user chose, from the
/// manifest its project publishes (kubelift bundles none: assets/network/choices.yaml).
pub struct PodNetwork;

fn pod_network_objects(ctx: &Context) -> Result<Option<Vec<crate::objects::AnyObject>>, PhaseError> {
    let Settings::Init(s) = &ctx.settings else { return Ok(None) };
    let Some(path) = &s.pod_network_manifest else { return Ok(None) };
    let text = std::fs::read_to_string(path).map_err(|e| PhaseError::failed(format!("cannot read the pod network manifest {}: {e}", path.display()), "give the path of the downloaded manifest to --pod-network-manifest"))?;
    let objects = crate::objects::pod_network::objects_from_manifest(&text).map_err(|e| PhaseError::failed(format!("{}: {e}", path.display()), "the file must be the add-on's multi-document YAML manifest"))?;
    Ok(Some(objects))
}

#[async_trait]
impl Phase for PodNetwork {
    fn id(&self) -> &'static str {
        "addon/pod-network"
    }
    fn title(&self) -> &'static str {
        "Install the pod network add-on from the given manifest"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["wait-control-plane"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        match pod_network_objects(ctx) {
            Ok(Some(objects)) => objects.iter().map(|o| Change::object(o.api_version(), o.kind(), o.namespace(), o.name())).collect(),
            _ => vec![],
        }
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        let Some(objects) = pod_network_objects(ctx.ctx)? else {
            ctx.log("skipping: no --pod-network-manifest; install a pod network add-on before scheduling workloads (docs/init.md)");
            return Ok(());
        };
        let json: Vec<serde_json::Value> = objects.iter().map(crate::objects::AnyObject::to_json).collect();
        ctx.apply(&json).await
    }
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
