//! `discovery` (join): find the cluster through its bootstrap token and pinned
//! CA, then read its configuration (kubeadm-config, kubelet-config) with the
//! token's identity. It writes nothing: a failed discovery leaves the host as
//! it was. Its results live in memory, so it runs again on resume.

use async_trait::async_trait;
use k8s_openapi::api::core::v1::ConfigMap;
use std::sync::Arc;
use std::time::Duration;

use crate::cluster::Cluster;
use crate::config::{HostDefaults, InitSettings, JoinSettings};
use crate::discovery::{self, ClusterInfo, Pins};
use crate::engine::phase::ClusterView;
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError, Settings};
use crate::join::tls_bootstrap::bootstrap_kubeconfig;
use crate::objects::upload_config::{CLUSTER_CONFIGURATION_KEY, KUBEADM_CONFIG_MAP, KUBELET_CONFIG_KEY};

pub struct Discovery;

/// What discovery learnt, for the phases after it.
pub struct Discovered {
    pub info: ClusterInfo,
    /// The cluster's KubeletConfiguration (from its kubelet-config ConfigMap).
    pub kubelet_config: Option<String>,
}

pub fn join_settings(ctx: &Context) -> Result<&JoinSettings, PhaseError> {
    match &ctx.settings {
        Settings::Join(j) => Ok(j),
        Settings::Init(_) => Err(PhaseError::failed("this phase belongs to join", "run it with `kubelift join`")),
    }
}

fn request(j: &JoinSettings) -> Result<discovery::Request, PhaseError> {
    let bt = j.join.discovery.bootstrap_token.as_ref().ok_or_else(|| PhaseError::failed("no discovery method", "pass --token with --discovery-token-ca-cert-hash, or --discovery-file"))?;
    let pins = Pins::parse(&bt.ca_cert_hashes).map_err(|e| PhaseError::failed(e.to_string(), "copy the hash printed by `kubelift token create --print-join-command`"))?;
    let timeout = j.discovery_timeout();
    Ok(discovery::Request {
        endpoint: bt.api_server_endpoint.clone(),
        token: bt.token.clone(),
        pins,
        unsafe_skip_ca_verification: bt.unsafe_skip_ca_verification,
        timeout,
        // kubeadm polls every 5 s; a short timeout polls more often.
        interval: (timeout / 4).clamp(Duration::from_millis(200), Duration::from_secs(5)),
    })
}

/// A kubeconfig file given with --discovery-file: trusted as it is.
fn from_file(ctx: &PhaseCtx<'_>, path: &str) -> Result<ClusterInfo, PhaseError> {
    if path.starts_with("https://") {
        return Err(PhaseError::NotAvailable { what: "discovery from an https:// URL".into(), why: "download the file and pass its path to --discovery-file".into() });
    }
    let path = path.trim_start_matches("file://");
    let text = std::fs::read_to_string(path).map_err(|e| PhaseError::failed(format!("cannot read the discovery file {path}: {e}"), "check the path given to --discovery-file"))?;
    let (server, ca_pem) = discovery::parse_kubeconfig(&text).map_err(|e| PhaseError::failed(format!("{path}: {e}"), "the discovery file must be a kubeconfig with one cluster"))?;
    let ca_hashes = pem::parse_many(&ca_pem).unwrap_or_default().iter().filter_map(|p| discovery::pin::hash_string(p.contents())).collect();
    ctx.log(format!("using the cluster in {path} (trusted as given)"));
    Ok(ClusterInfo { server, ca_pem, ca_hashes, verified: true })
}

/// The cluster's ConfigMaps, read with the bootstrap token's identity.
async fn read_config_map(cluster: &Cluster, name: &str) -> Result<Option<ConfigMap>, PhaseError> {
    let api: kube::Api<ConfigMap> = kube::Api::namespaced(cluster.client.clone(), "kube-system");
    Ok(cluster.retry(&format!("get ConfigMap kube-system/{name}"), || api.get_opt(name)).await?)
}

/// This node's view of the cluster: its ClusterConfiguration with this node's registration.
fn cluster_view(j: &JoinSettings, cluster_configuration: &str, root: &std::path::Path) -> Result<InitSettings, PhaseError> {
    let mut s = InitSettings::parse(cluster_configuration, "kube-system/kubeadm-config").map_err(|e| PhaseError::failed(e.to_string(), "the cluster's kubeadm-config is not a ClusterConfiguration kubelift reads"))?;
    s.init.node_registration = j.join.node_registration.clone();
    if let Some(cp) = &j.join.control_plane {
        s.init.local_api_endpoint = cp.local_api_endpoint.clone();
        s.init.certificate_key = cp.certificate_key.clone();
    }
    s.resolve(&HostDefaults::detect(root)).map_err(|e| PhaseError::failed(e.to_string(), "fix the join settings named above"))
}

#[async_trait]
impl Phase for Discovery {
    fn id(&self) -> &'static str {
        "discovery"
    }
    fn title(&self) -> &'static str {
        "Discover the cluster and check that it is the one the token and CA hash name"
    }
    fn always_runs(&self) -> bool {
        true
    }
    fn plan(&self, _ctx: &Context) -> Vec<Change> {
        vec![]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        let j = join_settings(ctx.ctx)?;
        let info = match &j.join.discovery.file {
            Some(f) => from_file(ctx, &f.kube_config_path)?,
            None => {
                let req = request(j)?;
                ctx.log(format!("fetching cluster-info from {} (up to {})", req.endpoint, crate::config::duration::format(req.timeout)));
                discovery::discover(&req).await.map_err(|e| PhaseError::failed(e.to_string(), e.hint()))?
            }
        };
        if info.verified {
            ctx.log(format!("the cluster at {} proved its identity: CA {}", info.server, info.ca_hashes.join(", ")));
        } else {
            ctx.warn(format!("the cluster CA at {} was NOT verified (--discovery-token-unsafe-skip-ca-verification): anyone on the network path could have answered", info.server), Some("pin it next time with --discovery-token-ca-cert-hash".into()));
        }
        let bootstrap = Cluster::from_kubeconfig_yaml(&bootstrap_kubeconfig(&info.server, &info.ca_pem, &j.join.discovery.tls_bootstrap_token), crate::engine::phase::API_PATIENCE).await?;
        let kubeadm_config = read_config_map(&bootstrap, KUBEADM_CONFIG_MAP).await.map_err(|e| match e {
            PhaseError::Failed { message, .. } if message.contains("401") => PhaseError::failed(message, "the TLS bootstrap token was refused: it is unknown or expired; create a new one with `kubelift token create`"),
            other => other,
        })?;
        let cluster_configuration = kubeadm_config
            .and_then(|cm| cm.data)
            .and_then(|d| d.get(CLUSTER_CONFIGURATION_KEY).cloned())
            .ok_or_else(|| PhaseError::failed("the cluster has no kube-system/kubeadm-config with a ClusterConfiguration", "the control plane was not made by kubeadm or kubelift, or its upload-config phase was skipped"))?;
        let view = cluster_view(j, &cluster_configuration, ctx.gate().root())?;
        let mut kubelet_config = None;
        for name in ["kubelet-config".to_string(), view.version_info().kubelet_config_map.clone()] {
            if let Some(cm) = read_config_map(&bootstrap, &name).await.or_else(|e| if matches!(&e, PhaseError::Failed { message, .. } if message.contains("403")) { Ok(None) } else { Err(e) })? {
                kubelet_config = cm.data.and_then(|d| d.get(KUBELET_CONFIG_KEY).cloned());
                break;
            }
        }
        ctx.log(format!("the cluster runs Kubernetes {} (cluster name {})", view.cluster.kubernetes_version, view.cluster.cluster_name));
        ctx.ctx.set_shared(ClusterView(Arc::new(view)));
        ctx.ctx.set_shared(Discovered { info, kubelet_config });
        Ok(())
    }
}
