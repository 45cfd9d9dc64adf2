//! `mark-control-plane`: the control-plane labels and taints on this node.

use async_trait::async_trait;

use super::wait_for_node;
use crate::cluster::ObjectRef;
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError, Settings};
use crate::objects::{mark_control_plane, Behaviour};

pub struct MarkControlPlane;

#[async_trait]
impl Phase for MarkControlPlane {
    fn id(&self) -> &'static str {
        "mark-control-plane"
    }
    fn title(&self) -> &'static str {
        "Mark a node as a control-plane"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["wait-control-plane"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        let Settings::Init(s) = &ctx.settings else { return vec![] };
        let Ok(b) = Behaviour::for_settings(s) else { return vec![] };
        let labels: Vec<String> = mark_control_plane::labels(&b).into_keys().collect();
        let taints = match mark_control_plane::taints(s, &b) {
            Ok(t) if t.is_empty() => "no taints".to_string(),
            Ok(t) => t.iter().map(|t| format!("{}:{}", t.key, t.effect)).collect::<Vec<_>>().join(", "),
            Err(_) => return vec![],
        };
        vec![Change::Patch { kind: "Node".into(), name: s.init.node_registration.name.clone(), what: format!("label {}; taint {taints}", labels.join(", ")) }]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        let s = ctx.init()?;
        let b = Behaviour::for_settings(&s).map_err(|e| PhaseError::failed(e.to_string(), "use a supported kubernetesVersion"))?;
        let name = &s.init.node_registration.name;
        let target = ObjectRef::new("v1", "Node", None, name);
        if ctx.gate().is_dry_run() {
            ctx.log(format!("would mark Node {name} as a control-plane node: {}", self.plan(ctx.ctx).first().map(Change::describe).unwrap_or_default()));
            return Ok(());
        }
        let node = wait_for_node(ctx, name).await?;
        let patch = mark_control_plane::patch(&node, &s, &b).map_err(|e| PhaseError::failed(e.to_string(), "check nodeRegistration.taints"))?;
        ctx.patch(&target, &patch).await
    }
}
