//! `wait-control-plane`: wait until the static Pods serve (kubelet, API server,
//! controller-manager, scheduler), and say which one is down when they do not.

use async_trait::async_trait;

use super::cluster_work_pending;
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError};

pub struct WaitControlPlane;

#[async_trait]
impl Phase for WaitControlPlane {
    fn id(&self) -> &'static str {
        "wait-control-plane"
    }
    fn title(&self) -> &'static str {
        "Wait for the kubelet to start the control plane"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["control-plane", "etcd/local", "kubelet-start"]
    }
    fn plan(&self, _ctx: &Context) -> Vec<Change> {
        vec![]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        cluster_work_pending(ctx, vec![])
    }
}
