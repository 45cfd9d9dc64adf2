//! `mark-control-plane`: the control-plane label and taint on this node.

use async_trait::async_trait;

use super::cluster_work_pending;
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError, Settings};

pub struct MarkControlPlane;

pub const CONTROL_PLANE_LABEL: &str = "node-role.kubernetes.io/control-plane";
pub const EXCLUDE_LB_LABEL: &str = "node.kubernetes.io/exclude-from-external-load-balancers";

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
        let taints = match &s.init.node_registration.taints {
            Some(t) if t.is_empty() => "no taints".to_string(),
            Some(t) => t.iter().map(|t| format!("{}:{}", t.key, t.effect)).collect::<Vec<_>>().join(", "),
            None => format!("{CONTROL_PLANE_LABEL}:NoSchedule"),
        };
        vec![Change::Patch {
            kind: "Node".into(),
            name: s.init.node_registration.name.clone(),
            what: format!("label {CONTROL_PLANE_LABEL}, {EXCLUDE_LB_LABEL}; taint {taints}"),
        }]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        cluster_work_pending(ctx, self.plan(ctx.ctx))
    }
}
