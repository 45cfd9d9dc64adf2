//! The phases of kubeadm's workflows, one file per kubeadm phase, named as
//! kubeadm names them. `init()` and `join()` list them in kubeadm's order.

pub mod addon;
pub mod bootstrap_token;
pub mod certs;
pub mod kubeconfig;
pub mod kubelet_finalize;
pub mod kubelet_start;
pub mod mark_control_plane;
pub mod preflight;
pub mod reset;
pub mod upload_certs;
pub mod upload_config;
pub mod wait_control_plane;
pub mod control_plane;
pub mod control_plane_join;
pub mod control_plane_prepare;
pub mod discovery;
pub mod etcd;

use crate::config::InitSettings;
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError, Settings};
use crate::objects::{self, AnyObject, InitInputs, ObjectError, PhaseObjects};

/// kubeadm's `join` phases, in kubeadm's order, with discovery made a phase
/// of its own (kubeadm runs it lazily inside preflight) and, as kubeadm does
/// from v1.30, a wait for this node's API server before it is marked. The
/// control-plane phases do nothing for a worker.
pub fn join() -> Vec<Box<dyn Phase>> {
    let mut phases: Vec<Box<dyn Phase>> = vec![Box::new(preflight::Preflight), Box::new(discovery::Discovery)];
    phases.extend(control_plane_prepare::phases());
    phases.push(Box::new(control_plane_join::CheckEtcd));
    phases.push(Box::new(kubelet_start::JoinKubeletStart));
    phases.extend(control_plane_join::phases());
    phases
}

/// kubeadm's `init` phases, in the order kubeadm runs them (v1.24).
pub fn init() -> Vec<Box<dyn Phase>> {
    let mut phases: Vec<Box<dyn Phase>> = vec![Box::new(preflight::Preflight)];
    phases.extend(certs::phases());
    phases.extend(kubeconfig::phases());
    phases.push(Box::new(kubelet_start::KubeletStart));
    phases.extend(control_plane::phases());
    phases.push(Box::new(etcd::Local));
    phases.push(Box::new(wait_control_plane::WaitControlPlane));
    phases.extend(upload_config::phases());
    phases.push(Box::new(upload_certs::UploadCerts));
    phases.push(Box::new(mark_control_plane::MarkControlPlane));
    phases.push(Box::new(bootstrap_token::BootstrapToken));
    phases.push(Box::new(kubelet_finalize::CertRotation));
    phases.extend(addon::phases());
    phases
}

/// The objects a phase applies, rendered once per run with the run's inputs.
struct RenderedObjects(Vec<PhaseObjects>);

fn render_error(e: ObjectError) -> PhaseError {
    PhaseError::failed(e.to_string(), "check the configuration with `kubelift config validate`")
}

/// The inputs of object rendering: the run's clock, the CA and the kubelet's settings.
fn object_inputs<'a>(ctx: &PhaseCtx<'_>, ca: &'a [u8], kubelet: &'a str) -> InitInputs<'a> {
    let now = chrono::DateTime::<chrono::Utc>::from(certs::run_clock(ctx.ctx));
    InitInputs { now, ca_cert_pem: ca, kubelet_config_yaml: kubelet }
}

/// The cluster-wide KubeletConfiguration (without this node's resolvConf).
pub(crate) fn cluster_kubelet_config(s: &InitSettings) -> Result<String, PhaseError> {
    let node = crate::kubelet::FixedNode { hostname: s.init.node_registration.name.clone(), systemd_resolved_active: false };
    crate::kubelet::config::render(s, &node, &mut vec![]).map_err(|e| PhaseError::failed(e.to_string(), "check the KubeletConfiguration document of the config file"))
}

/// Every object of a phase, as JSON for server-side apply.
pub(crate) fn phase_objects(ctx: &PhaseCtx<'_>) -> Result<Vec<AnyObject>, PhaseError> {
    let rendered = match ctx.ctx.get_shared::<RenderedObjects>() {
        Some(r) => r,
        None => {
            let s = ctx.init()?;
            let ca_path = format!("{}/ca.crt", s.cluster.certificates_dir);
            let ca = ctx.gate().read(&ca_path)?.ok_or_else(|| PhaseError::failed(format!("{ca_path} is missing"), "run `kubelift phase certs/ca` first"))?;
            let kubelet = cluster_kubelet_config(&s)?;
            let inputs = object_inputs(ctx, &ca, &kubelet);
            ctx.ctx.set_shared(RenderedObjects(objects::init_objects_by_phase(&s, &inputs).map_err(render_error)?));
            ctx.ctx.get_shared::<RenderedObjects>().expect("just stored")
        }
    };
    Ok(rendered.0.iter().filter(|p| p.phase == ctx.phase).flat_map(|p| p.objects.clone()).collect())
}

/// The plan of an object phase: the objects it will apply, rendered with
/// stand-in inputs (names and kinds do not depend on them).
pub(crate) fn planned_objects(ctx: &Context, phase: &str) -> Vec<Change> {
    let Settings::Init(s) = &ctx.settings else { return vec![] };
    let inputs = InitInputs { now: chrono::Utc::now(), ca_cert_pem: b"", kubelet_config_yaml: "" };
    let Ok(phases) = objects::init_objects_by_phase(s, &inputs) else { return vec![] };
    phases
        .iter()
        .filter(|p| p.phase == phase)
        .flat_map(|p| &p.objects)
        .map(|o| Change::object(o.api_version(), o.kind(), o.namespace(), o.name()))
        .collect()
}

/// Applies the phase's objects (or, in a dry run, writes them out and says so).
pub(crate) async fn apply_phase_objects(ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
    let objects: Vec<serde_json::Value> = phase_objects(ctx)?.iter().map(AnyObject::to_json).collect();
    ctx.apply(&objects).await
}

/// kubeadm waits this long for its Node to appear before patching it.
pub(crate) const NODE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(120);

/// This node's Node object, once the kubelet has registered it.
pub(crate) async fn wait_for_node(ctx: &PhaseCtx<'_>, name: &str) -> Result<k8s_openapi::api::core::v1::Node, PhaseError> {
    let cluster = ctx.cluster().await?;
    let api: kube::Api<k8s_openapi::api::core::v1::Node> = kube::Api::all(cluster.client.clone());
    let started = std::time::Instant::now();
    loop {
        if let Some(node) = cluster.retry(&format!("get Node {name}"), || api.get_opt(name)).await? {
            return Ok(node);
        }
        if started.elapsed() > NODE_PATIENCE {
            return Err(PhaseError::failed(
                format!("the Node {name} did not register within {} s", NODE_PATIENCE.as_secs()),
                "the kubelet registers the Node: check `systemctl status kubelet` and that nodeRegistration.name matches this machine",
            ));
        }
        ctx.progress(0, 1, format!("waiting for the kubelet to register Node {name}"));
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}
