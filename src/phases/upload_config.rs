//! `upload-config`: the ClusterConfiguration and the kubelet configuration as
//! ConfigMaps, with the RBAC that lets joining nodes read them.

use async_trait::async_trait;

use super::{cluster_work_pending, KUBE_SYSTEM, RBAC};
use crate::config::InitSettings;
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError, Settings};

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

fn reader_rbac(name: &str) -> [Change; 2] {
    [Change::object(RBAC, "Role", KUBE_SYSTEM, name), Change::object(RBAC, "RoleBinding", KUBE_SYSTEM, name)]
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
    fn plan(&self, _ctx: &Context) -> Vec<Change> {
        let mut plan = vec![Change::object("v1", "ConfigMap", KUBE_SYSTEM, "kubeadm-config")];
        plan.extend(reader_rbac("kubeadm:nodes-kubeadm-config"));
        plan
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        cluster_work_pending(ctx, self.plan(ctx.ctx))
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
        let Settings::Init(s) = &ctx.settings else { return vec![] };
        let name = kubelet_config_map_name(s);
        let mut plan = vec![Change::object("v1", "ConfigMap", KUBE_SYSTEM, &name)];
        plan.extend(reader_rbac(&format!("kubeadm:{name}")));
        plan.push(Change::Patch {
            kind: "Node".into(),
            name: s.init.node_registration.name.clone(),
            what: format!("annotate kubeadm.alpha.kubernetes.io/cri-socket={}", s.init.node_registration.cri_socket),
        });
        plan
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        cluster_work_pending(ctx, self.plan(ctx.ctx))
    }
}
