//! `upload-certs`: the shared control-plane certificates, encrypted with the
//! certificate key, in the `kube-system/kubeadm-certs` Secret (only with --upload-certs).

use async_trait::async_trait;

use super::{cluster_work_pending, KUBE_SYSTEM, RBAC};
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError, Settings};

pub struct UploadCerts;

fn wanted(ctx: &Context) -> bool {
    matches!(&ctx.settings, Settings::Init(s) if s.upload_certs)
}

#[async_trait]
impl Phase for UploadCerts {
    fn id(&self) -> &'static str {
        "upload-certs"
    }
    fn title(&self) -> &'static str {
        "Upload certificates to kubeadm-certs"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["certs", "wait-control-plane"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        if !wanted(ctx) {
            return vec![];
        }
        vec![
            Change::object("v1", "Secret", KUBE_SYSTEM, "kubeadm-certs"),
            Change::object(RBAC, "Role", KUBE_SYSTEM, "kubeadm:kubeadm-certs"),
            Change::object(RBAC, "RoleBinding", KUBE_SYSTEM, "kubeadm:kubeadm-certs"),
        ]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        if !wanted(ctx.ctx) {
            ctx.log("skipping: --upload-certs is not set, so joining control-plane nodes bring their own copy of the shared certificates");
            return Ok(());
        }
        cluster_work_pending(ctx, self.plan(ctx.ctx))
    }
}
