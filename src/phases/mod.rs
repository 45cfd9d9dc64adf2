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
pub mod upload_certs;
pub mod upload_config;
pub mod wait_control_plane;
pub mod control_plane;
pub mod etcd;

use crate::engine::{Change, Phase, PhaseCtx, PhaseError};

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

/// A phase whose work talks to the API server, before the cluster client is
/// built: a dry run reports the objects it would apply (its plan); a real run
/// stops with "not available yet" rather than pretending.
pub(crate) fn cluster_work_pending(ctx: &PhaseCtx<'_>, plan: Vec<Change>) -> Result<(), PhaseError> {
    pending(ctx, plan, "kubelift's API-server phases are not built yet (control-plane bring-up issue)")
}

fn pending(ctx: &PhaseCtx<'_>, plan: Vec<Change>, why: &str) -> Result<(), PhaseError> {
    if ctx.gate().is_dry_run() {
        for change in &plan {
            ctx.log(format!("would {}", change.describe()));
        }
        if plan.is_empty() {
            ctx.log("would wait; changes nothing");
        }
        return Ok(());
    }
    Err(PhaseError::NotAvailable {
        what: format!("phase {}", ctx.phase),
        why: why.into(),
    })
}

/// The namespace kubeadm puts its objects in.
pub(crate) const KUBE_SYSTEM: Option<&str> = Some("kube-system");
pub(crate) const KUBE_PUBLIC: Option<&str> = Some("kube-public");
pub(crate) const RBAC: &str = "rbac.authorization.k8s.io/v1";
