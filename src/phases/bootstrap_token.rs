//! `bootstrap-token`: the join token Secrets, the RBAC that lets token holders
//! bootstrap, and the `kube-public/cluster-info` ConfigMap the bootstrap
//! signer signs with each token.

use async_trait::async_trait;

use super::{apply_phase_objects, planned_objects};
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError};

pub struct BootstrapToken;

#[async_trait]
impl Phase for BootstrapToken {
    fn id(&self) -> &'static str {
        "bootstrap-token"
    }
    fn title(&self) -> &'static str {
        "Generate bootstrap tokens used to join a node to a cluster"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["certs/ca", "kubeconfig/admin", "wait-control-plane"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        // The token id is public (it names the Secret); the secret half never appears.
        planned_objects(ctx, self.id())
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        apply_phase_objects(ctx).await?;
        for t in &ctx.init()?.init.bootstrap_tokens {
            if let Some((id, _)) = t.token.expose().split_once('.') {
                ctx.log(format!("bootstrap token {id} is ready (its secret is printed only in the join command)"));
            }
        }
        Ok(())
    }
}
