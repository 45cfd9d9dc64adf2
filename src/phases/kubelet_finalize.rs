//! `kubelet-finalize/experimental-cert-rotation`: once the kubelet has made
//! its rotating client certificate, point kubelet.conf at it (kubeadm-facts §2)
//! so that the embedded one-year certificate is no longer what the node uses.

use async_trait::async_trait;

use crate::engine::{Change, Context, FileClass, Phase, PhaseCtx, PhaseError};
use crate::kubeconfig::{self, Credentials, Kubeconfig};

pub struct CertRotation;

pub const KUBELET_CLIENT_CURRENT: &str = "/var/lib/kubelet/pki/kubelet-client-current.pem";
const KUBELET_CONF: &str = "/etc/kubernetes/kubelet.conf";

fn rotated(ctx: &Context) -> bool {
    ctx.gate.exists(KUBELET_CLIENT_CURRENT)
}

#[async_trait]
impl Phase for CertRotation {
    fn id(&self) -> &'static str {
        "kubelet-finalize/experimental-cert-rotation"
    }
    fn title(&self) -> &'static str {
        "Enable kubelet client certificate rotation"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["kubeconfig/kubelet", "wait-control-plane"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        if rotated(ctx) {
            vec![Change::file(KUBELET_CONF, 0o600)]
        } else {
            vec![]
        }
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        if !rotated(ctx.ctx) {
            ctx.log(format!("skipping: {KUBELET_CLIENT_CURRENT} does not exist (no kubelet has rotated its client certificate on this host), so kubelet.conf keeps its embedded certificate"));
            return Ok(());
        }
        let s = ctx.init()?;
        let current = ctx.gate().read(KUBELET_CONF)?.ok_or_else(|| PhaseError::failed(format!("{KUBELET_CONF} is missing"), "run `kubelift phase kubeconfig/kubelet` first"))?;
        let ca = kubeconfig::current_ca(&current).ok_or_else(|| PhaseError::failed(format!("{KUBELET_CONF} has no cluster CA"), "run `kubelift phase kubeconfig/kubelet` again"))?;
        let server = kubeconfig::current_server(&current).unwrap_or_else(|| format!("https://{}", s.control_plane_endpoint()));
        let user = format!("system:node:{}", s.init.node_registration.name);
        let yaml = Kubeconfig { cluster_name: &s.cluster.cluster_name, server: &server, ca_pem: &ca, user: &user, context: None, credentials: Credentials::ClientCertificateFile { path: KUBELET_CLIENT_CURRENT } }.render();
        ctx.write(KUBELET_CONF, yaml.as_bytes(), 0o600, FileClass::Sensitive)?;
        ctx.log("kubelet.conf now uses the kubelet's rotating client certificate; restart the kubelet to pick it up");
        Ok(())
    }
}
