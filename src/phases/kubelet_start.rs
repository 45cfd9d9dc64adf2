//! `kubelet-start`: the kubelet's settings, then a (re)start of the kubelet.

use async_trait::async_trait;

use super::files_pending;
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError};

pub struct KubeletStart;

pub const KUBELET_DIR: &str = "/var/lib/kubelet";
pub const KUBELET_CONFIG: &str = "/var/lib/kubelet/config.yaml";
pub const KUBELET_FLAGS_ENV: &str = "/var/lib/kubelet/kubeadm-flags.env";

#[async_trait]
impl Phase for KubeletStart {
    fn id(&self) -> &'static str {
        "kubelet-start"
    }
    fn title(&self) -> &'static str {
        "Write kubelet settings and (re)start the kubelet"
    }
    fn plan(&self, _ctx: &Context) -> Vec<Change> {
        vec![
            Change::dir(KUBELET_DIR, 0o700),
            Change::file(KUBELET_FLAGS_ENV, 0o644),
            Change::file(KUBELET_CONFIG, 0o644),
            Change::Command { command: "systemctl restart kubelet".into() },
        ]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        files_pending(ctx, self.plan(ctx.ctx))
    }
}
