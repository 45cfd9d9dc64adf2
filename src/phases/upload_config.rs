//! `upload-config`: the ClusterConfiguration and the kubelet configuration as
//! ConfigMaps, with the RBAC that lets joining nodes read them; and the CRI
//! socket annotation on this node.

use async_trait::async_trait;

use super::{apply_phase_objects, planned_objects, wait_for_node};
use crate::cluster::ObjectRef;
use crate::config::InitSettings;
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError, Settings};
use crate::objects::{self, Behaviour};

pub fn phases() -> Vec<Box<dyn Phase>> {
    vec![Box::new(Kubeadm), Box::new(Kubelet)]
}

pub struct Kubeadm;
pub struct Kubelet;

/// The kubelet-config ConfigMap's name: versioned (`kubelet-config-1.24`)
/// until the UnversionedKubeletConfigMap gate went on; the table knows when.
pub fn kubelet_config_map_name(settings: &InitSettings) -> String {
    settings.version_info().kubelet_config_map.clone()
}

fn cri_socket_patch(s: &InitSettings) -> Option<serde_json::Value> {
    let b = Behaviour::for_settings(s).ok()?;
    objects::upload_config::cri_socket_patch(s, &b)
}

#[async_trait]
impl Phase for Kubeadm {
    fn id(&self) -> &'static str {
        "upload-config/kubeadm"
    }
    fn title(&self) -> &'static str {
        "Upload the kubeadm ClusterConfiguration to a ConfigMap"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["wait-control-plane"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        planned_objects(ctx, self.id())
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        apply_phase_objects(ctx).await
    }
}

#[async_trait]
impl Phase for Kubelet {
    fn id(&self) -> &'static str {
        "upload-config/kubelet"
    }
    fn title(&self) -> &'static str {
        "Upload the kubelet component config to a ConfigMap"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["wait-control-plane"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        let mut plan = planned_objects(ctx, self.id());
        if let Settings::Init(s) = &ctx.settings {
            if cri_socket_patch(s).is_some() {
                plan.push(Change::Patch { kind: "Node".into(), name: s.init.node_registration.name.clone(), what: format!("annotate {}={}", objects::upload_config::CRI_SOCKET_ANNOTATION, s.init.node_registration.cri_socket) });
            }
        }
        plan
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        apply_phase_objects(ctx).await?;
        let s = ctx.init()?;
        let Some(patch) = cri_socket_patch(&s) else { return Ok(()) };
        let name = &s.init.node_registration.name;
        if !ctx.gate().is_dry_run() {
            wait_for_node(ctx, name).await?;
        }
        ctx.patch(&ObjectRef::new("v1", "Node", None, name), &patch).await
    }
}
