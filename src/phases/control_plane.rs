//! `control-plane/*`: the static Pod manifests of the API server, the
//! controller-manager and the scheduler (rendered by `crate::manifests`).

use async_trait::async_trait;

use crate::engine::{Change, Context, FileClass, Phase, PhaseCtx, PhaseError};
use crate::manifests::{self, Component, Inputs, ManifestError};

pub use crate::manifests::{MANIFESTS_DIR, MANIFESTS_DIR_MODE, MANIFEST_MODE};

/// (phase name, component, title).
pub const COMPONENTS: &[(&str, Component, &str)] = &[
    ("apiserver", Component::ApiServer, "Generates the kube-apiserver static Pod manifest"),
    ("controller-manager", Component::ControllerManager, "Generates the kube-controller-manager static Pod manifest"),
    ("scheduler", Component::Scheduler, "Generates the kube-scheduler static Pod manifest"),
];

pub struct StaticPod {
    pub id: &'static str,
    pub component: Component,
    pub title: &'static str,
}

pub fn phases() -> Vec<Box<dyn Phase>> {
    COMPONENTS
        .iter()
        .map(|(name, component, title)| {
            let id: &'static str = Box::leak(format!("control-plane/{name}").into_boxed_str());
            Box::new(StaticPod { id, component: *component, title }) as Box<dyn Phase>
        })
        .collect()
}

impl From<ManifestError> for PhaseError {
    fn from(e: ManifestError) -> Self {
        let fix = e.fix.clone();
        PhaseError::failed(e.to_string(), fix)
    }
}

/// The changes of writing one manifest: the directory (0700), then the file (0600).
pub fn manifest_plan(component: Component) -> Vec<Change> {
    vec![Change::dir(MANIFESTS_DIR, MANIFESTS_DIR_MODE), Change::file(component.path(), MANIFEST_MODE)]
}

/// Renders a manifest for this run's settings and host, and writes it through the gate.
pub fn write_manifest(ctx: &PhaseCtx<'_>, component: Component) -> Result<(), PhaseError> {
    let settings = ctx.init()?;
    let manifest = manifests::render(component, &settings, &Inputs::from_process(ctx.gate()))?;
    for warning in manifest.warnings {
        ctx.warn(warning, None);
    }
    ctx.ensure_dir(MANIFESTS_DIR, MANIFESTS_DIR_MODE)?;
    ctx.write(&manifest.path, manifest.yaml.as_bytes(), MANIFEST_MODE, FileClass::Plain)?;
    Ok(())
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
        manifest_plan(self.component)
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        write_manifest(ctx, self.component)
    }
}
