//! `control-plane/*`: the static Pod manifests of the API server, the
//! controller-manager and the scheduler.

use async_trait::async_trait;

use super::files_pending;
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError};

pub const MANIFESTS_DIR: &str = "/etc/kubernetes/manifests";

/// (phase name, component, title).
pub const COMPONENTS: &[(&str, &str, &str)] = &[
    ("apiserver", "kube-apiserver", "Generates the kube-apiserver static Pod manifest"),
    ("controller-manager", "kube-controller-manager", "Generates the kube-controller-manager static Pod manifest"),
    ("scheduler", "kube-scheduler", "Generates the kube-scheduler static Pod manifest"),
];

pub struct StaticPod {
    pub id: &'static str,
    pub component: &'static str,
    pub title: &'static str,
}

pub fn phases() -> Vec<Box<dyn Phase>> {
    COMPONENTS
        .iter()
        .map(|(name, component, title)| {
            let id: &'static str = Box::leak(format!("control-plane/{name}").into_boxed_str());
            Box::new(StaticPod { id, component, title }) as Box<dyn Phase>
        })
        .collect()
}

#[async_trait]
impl Phase for StaticPod {
    fn id(&self) -> &'static str {
        self.id
    }
    fn title(&self) -> &'static str {
        self.title
    }
    fn needs(&self) -> &'static [&'static str] {
        &["certs", "kubeconfig"]
    }
    fn plan(&self, _ctx: &Context) -> Vec<Change> {
        vec![Change::dir(MANIFESTS_DIR, 0o700), Change::file(format!("{MANIFESTS_DIR}/{}.yaml", self.component), 0o600)]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        files_pending(ctx, self.plan(ctx.ctx))
    }
}
