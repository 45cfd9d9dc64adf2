//! `bootstrap-token`: the join token Secrets, the RBAC that lets token holders
//! bootstrap, and the signed `kube-public/cluster-info` ConfigMap.

use async_trait::async_trait;

use super::{cluster_work_pending, KUBE_PUBLIC, KUBE_SYSTEM, RBAC};
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError, Settings};

pub struct BootstrapToken;

/// kubeadm's ClusterRoleBindings for bootstrapping nodes (kubeadm-facts §6.1–6.4).
const CLUSTER_ROLE_BINDINGS: &[&str] = &[
    "kubeadm:get-nodes",
    "kubeadm:kubelet-bootstrap",
    "kubeadm:node-autoapprove-bootstrap",
    "kubeadm:node-autoapprove-certificate-rotation",
];

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
        let Settings::Init(s) = &ctx.settings else { return vec![] };
        // The token id is public (it names the Secret); the secret half never appears.
        let mut plan: Vec<Change> = s
            .init
            .bootstrap_tokens
            .iter()
            .filter_map(|t| t.token.expose().split_once('.').map(|(id, _)| id.to_string()))
            .map(|id| Change::object("v1", "Secret", KUBE_SYSTEM, &format!("bootstrap-token-{id}")))
            .collect();
        plan.push(Change::object(RBAC, "ClusterRole", None, "kubeadm:get-nodes"));
        plan.extend(CLUSTER_ROLE_BINDINGS.iter().map(|n| Change::object(RBAC, "ClusterRoleBinding", None, n)));
        plan.push(Change::object("v1", "ConfigMap", KUBE_PUBLIC, "cluster-info"));
        plan.push(Change::object(RBAC, "Role", KUBE_PUBLIC, "kubeadm:bootstrap-signer-clusterinfo"));
        plan.push(Change::object(RBAC, "RoleBinding", KUBE_PUBLIC, "kubeadm:bootstrap-signer-clusterinfo"));
        plan
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        cluster_work_pending(ctx, self.plan(ctx.ctx))
    }
}
