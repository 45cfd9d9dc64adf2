//! `kubelet-finalize/experimental-cert-rotation`: point kubelet.conf at the
//! kubelet's rotating client certificate once TLS bootstrap has made it.

use async_trait::async_trait;

use super::cluster_work_pending;
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError};

pub struct CertRotation;

pub const KUBELET_CLIENT_CURRENT: &str = "/var/lib/kubelet/pki/kubelet-client-current.pem";

#[async_trait]
impl Phase for CertRotation {
    fn id(&self) -> &'static str {
        "kubelet-finalize/experimental-cert-rotation"
    }
    fn title(&self) -> &'static str {
        "Enable kubelet client certificate rotation"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["kubeconfig/kubelet", "wait-control-plane"]
    }
    fn plan(&self, _ctx: &Context) -> Vec<Change> {
        vec![Change::file("/etc/kubernetes/kubelet.conf", 0o600), Change::Command { command: "systemctl restart kubelet".into() }]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        cluster_work_pending(ctx, self.plan(ctx.ctx))
    }
}
