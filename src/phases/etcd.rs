//! `etcd/local`: the static Pod manifest of a stacked etcd member, after its
//! data directory (0700, created first as kubeadm does).

use async_trait::async_trait;

use super::control_plane::{manifest_plan, write_manifest};
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError, Settings};
use crate::manifests::{etcd_data_dir, Component};

pub struct Local;

/// etcd's data directory mode: only root may read the cluster's data.
pub const DATA_DIR_MODE: u32 = 0o700;

fn data_dir(ctx: &Context) -> Option<String> {
    match &ctx.settings {
        Settings::Init(s) => etcd_data_dir(s).map(str::to_string),
        Settings::Join(_) | Settings::Reset(_) => None,
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
        let mut plan = vec![Change::dir(dir, DATA_DIR_MODE)];
        plan.extend(manifest_plan(Component::Etcd));
        plan
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        let Some(dir) = data_dir(ctx.ctx) else {
            ctx.log("skipping: etcd is external (etcd.external in ClusterConfiguration)");
            return Ok(());
        };
        ctx.ensure_dir(&dir, DATA_DIR_MODE)?;
        write_manifest(ctx, Component::Etcd)
    }
}
