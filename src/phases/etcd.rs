//! `etcd/local`: the static Pod manifest of a stacked etcd member.

use async_trait::async_trait;

use super::control_plane::MANIFESTS_DIR;
use super::files_pending;
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError, Settings};

pub struct Local;

fn data_dir(ctx: &Context) -> Option<String> {
    match &ctx.settings {
        Settings::Init(s) => s.cluster.etcd.local.as_ref().map(|l| l.data_dir.clone()),
        Settings::Join(_) => None,
    }
}

#[async_trait]
impl Phase for Local {
    fn id(&self) -> &'static str {
        "etcd/local"
    }
    fn title(&self) -> &'static str {
        "Generate the static Pod manifest file for a local, single-node local etcd instance"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["certs/etcd-ca", "certs/etcd-server", "certs/etcd-peer", "certs/etcd-healthcheck-client"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        let Some(dir) = data_dir(ctx) else { return vec![] };
        vec![Change::dir(dir, 0o700), Change::dir(MANIFESTS_DIR, 0o700), Change::file(format!("{MANIFESTS_DIR}/etcd.yaml"), 0o600)]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        if data_dir(ctx.ctx).is_none() {
            ctx.log("skipping: etcd is external (etcd.external in ClusterConfiguration)");
            return Ok(());
        }
        files_pending(ctx, self.plan(ctx.ctx))
    }
}
