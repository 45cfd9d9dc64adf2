//! `mark-control-plane`: the control-plane label and taint on this node.

use async_trait::async_trait;

use super::cluster_work_pending;
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError, Settings};

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
        let info = s.version_info();
        let taints = match &s.init.node_registration.taints {
            Some(t) if t.is_empty() => "no taints".to_string(),
            Some(t) => t.iter().map(|t| format!("{}:{}", t.key, t.effect)).collect::<Vec<_>>().join(", "),
            None => info.control_plane_taints.iter().map(|k| format!("{k}:NoSchedule")).collect::<Vec<_>>().join(", "),
        };
        vec![Change::Patch {
            kind: "Node".into(),
            name: s.init.node_registration.name.clone(),
            what: format!("label {}; taint {taints}", info.control_plane_labels.join(", ")),
        }]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        cluster_work_pending(ctx, self.plan(ctx.ctx))
    }
}
