//! What the checks need from the configuration, gathered once from
//! `InitSettings` or `JoinSettings` so the checks never reach into config types.

use ipnet::IpNet;
use std::net::IpAddr;

use super::catalogue::Flow;
use crate::config::{validate, InitSettings, JoinSettings};
use crate::versions::VersionInfo;

pub const MANIFESTS_DIR: &str = "/etc/kubernetes/manifests";
pub const KUBELET_CONF: &str = "/etc/kubernetes/kubelet.conf";
pub const BOOTSTRAP_KUBELET_CONF: &str = "/etc/kubernetes/bootstrap-kubelet.conf";
/// The ports kubelift's components bind besides the API server's.
pub const KUBELET_PORT: u16 = 10250;
pub const SCHEDULER_PORT: u16 = 10259;
pub const CONTROLLER_MANAGER_PORT: u16 = 10257;
pub const ETCD_PORTS: [u16; 2] = [2379, 2380];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EtcdInput {
    None,
    Local { data_dir: String },
    External { endpoints: Vec<String>, files: Vec<(String, String)> },
}

#[derive(Debug, Clone)]
pub struct CheckInput {
    pub flow: Flow,
    pub node_name: String,
    pub advertise_address: Option<IpAddr>,
    pub bind_port: u16,
    /// The chosen CRI socket path (without `unix://`); `None` while undecided.
    pub cri_socket: Option<String>,
    /// Every socket found on the host, for the "which one?" message.
    pub cri_candidates: Vec<String>,
    /// The control-plane version; `None` on a worker join (unknown until discovery).
    pub version: Option<&'static VersionInfo>,
    pub kubernetes_version: Option<String>,
    pub image_repository: String,
    pub images: Vec<String>,
    pub image_pull_policy: String,
    pub pod_subnets: Vec<IpNet>,
    pub service_subnets: Vec<IpNet>,
    pub etcd: EtcdInput,
    /// The host whose HTTPS traffic must not go through a proxy (advertise address or discovery endpoint).
    pub api_host: Option<String>,
    pub ca_cert_path: String,
    /// The kubelet's cgroup driver (kubelift writes systemd unless the KubeletConfiguration says otherwise).
    pub kubelet_cgroup_driver: String,
    /// Name lookups and TCP probes may leave this machine (`--network-probes`).
    pub network_probes: bool,
    /// Dry runs skip ImagePull, as kubeadm does.
    pub dry_run: bool,
}

/// `unix:///run/x.sock` → `/run/x.sock`.
pub fn socket_path(socket: &str) -> String {
    socket.strip_prefix("unix://").unwrap_or(socket).to_string()
}

impl CheckInput {
    pub fn for_init(s: &InitSettings, cri_candidates: &[String]) -> CheckInput {
        let info = s.version_info();
        let repo = s.cluster.image_repository.clone();
        let etcd = match (&s.cluster.etcd.local, &s.cluster.etcd.external) {
            (_, Some(ext)) => EtcdInput::External {
                endpoints: ext.endpoints.clone(),
                files: [("caFile", &ext.ca_file), ("certFile", &ext.cert_file), ("keyFile", &ext.key_file)]
                    .into_iter()
                    .filter(|(_, p)| !p.is_empty())
                    .map(|(k, p)| (k.to_string(), p.clone()))
                    .collect(),
            },
            (Some(local), None) => EtcdInput::Local { data_dir: local.data_dir.clone() },
            (None, None) => EtcdInput::None,
        };
        let kubelet_driver = s
            .kubelet
            .as_ref()
            .and_then(|m| m.get("cgroupDriver"))
            .and_then(|v| v.as_str())
            .unwrap_or("systemd")
            .to_string();
        CheckInput {
            flow: Flow::Init,
            node_name: s.init.node_registration.name.clone(),
            advertise_address: s.advertise_address(),
            bind_port: s.bind_port(),
            cri_socket: non_empty(&s.init.node_registration.cri_socket).map(socket_path),
            cri_candidates: cri_candidates.iter().map(|c| socket_path(c)).collect(),
            version: Some(info),
            kubernetes_version: Some(s.cluster.kubernetes_version.clone()),
            images: control_plane_images(s, info),
            image_repository: repo,
            image_pull_policy: s.init.node_registration.image_pull_policy.clone(),
            pod_subnets: validate::parse_cidrs(&s.cluster.networking.pod_subnet).unwrap_or_default(),
            service_subnets: s.service_subnets(),
            etcd,
            api_host: Some(s.init.local_api_endpoint.advertise_address.clone()).filter(|a| !a.is_empty()),
            ca_cert_path: format!("{}/ca.crt", s.cluster.certificates_dir),
            kubelet_cgroup_driver: kubelet_driver,
            network_probes: false,
            dry_run: false,
        }
    }

    /// A worker join (or, with `control_plane`, a control-plane join). The
    /// control-plane version is unknown before discovery, so the version checks
    /// compare against kubelift's supported range only.
    pub fn for_join(s: &JoinSettings, cri_candidates: &[String]) -> CheckInput {
        let j = &s.join;
        let api_host = j
            .discovery
            .bootstrap_token
            .as_ref()
            .and_then(|bt| validate::split_host_port(&bt.api_server_endpoint))
            .map(|(host, _)| host)
            .filter(|h| !h.is_empty());
        let control_plane = j.control_plane.as_ref();
        CheckInput {
            flow: if control_plane.is_some() { Flow::JoinControlPlane } else { Flow::Join },
            node_name: j.node_registration.name.clone(),
            advertise_address: control_plane.and_then(|cp| cp.local_api_endpoint.advertise_address.parse().ok()),
            bind_port: control_plane.and_then(|cp| u16::try_from(cp.local_api_endpoint.bind_port).ok()).filter(|p| *p != 0).unwrap_or(6443),
            cri_socket: non_empty(&j.node_registration.cri_socket).map(socket_path),
            cri_candidates: cri_candidates.iter().map(|c| socket_path(c)).collect(),
            version: None,
            kubernetes_version: None,
            image_repository: String::new(),
            images: vec![],
            image_pull_policy: j.node_registration.image_pull_policy.clone(),
            pod_subnets: vec![],
            service_subnets: vec![],
            etcd: EtcdInput::None,
            api_host,
            ca_cert_path: if j.ca_cert_path.is_empty() { crate::config::defaults::DEFAULT_CA_CERT_PATH.into() } else { j.ca_cert_path.clone() },
            kubelet_cgroup_driver: "systemd".into(),
            network_probes: false,
            dry_run: false,
        }
    }

    pub fn is_control_plane(&self) -> bool {
        matches!(self.flow, Flow::Init | Flow::JoinControlPlane)
    }

    /// The sandbox image the kubelet of this version expects (`registry.k8s.io/pause:3.10`).
    pub fn sandbox_image(&self) -> Option<String> {
        let info = self.version?;
        let repo = if self.image_repository.is_empty() { &info.image_repository } else { &self.image_repository };
        Some(format!("{repo}/pause:{}", info.pause))
    }

    /// True when the node talks IPv6 (kubeadm then checks the IPv6 sysctls).
    pub fn uses_ipv6(&self) -> bool {
        self.advertise_address.is_some_and(|a| a.is_ipv6())
            || self.api_host.as_deref().and_then(|h| h.parse::<IpAddr>().ok()).is_some_and(|a| a.is_ipv6())
    }
}

fn non_empty(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

/// The images kubeadm's `ImagePull` check pulls for init (v1.24 order).
pub fn control_plane_images(s: &InitSettings, info: &VersionInfo) -> Vec<String> {
    let repo = &s.cluster.image_repository;
    let release = &s.cluster.kubernetes_version;
    let mut images: Vec<String> = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"]
        .iter()
        .map(|c| format!("{repo}/{c}:{release}"))
        .collect();
    images.push(format!("{repo}/pause:{}", info.pause));
    if let Some(local) = &s.cluster.etcd.local {
        let r = if local.image_repository.is_empty() { repo } else { &local.image_repository };
        let t = if local.image_tag.is_empty() { &info.etcd } else { &local.image_tag };
        images.push(format!("{r}/etcd:{t}"));
    }
    if !s.cluster.dns.disabled {
        let dns = &s.cluster.dns;
        // kubeadm keeps CoreDNS under coredns/ in the default registries only.
        let default_repo = repo == "registry.k8s.io" || repo == "k8s.gcr.io";
        let r = match (dns.image_repository.is_empty(), default_repo) {
            (false, _) => dns.image_repository.clone(),
            (true, true) => format!("{repo}/coredns"),
            (true, false) => repo.clone(),
        };
        let t = if dns.image_tag.is_empty() { &info.coredns } else { &dns.image_tag };
        images.push(format!("{r}/coredns:{t}"));
    }
    images
}

/// A registry host from an image name (`registry.k8s.io/pause:3.10` → `registry.k8s.io`).
pub fn registry_of(image: &str) -> Option<&str> {
    let (first, _) = image.split_once('/')?;
    (first.contains('.') || first.contains(':') || first == "localhost").then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_and_registries() {
        assert_eq!(registry_of("registry.k8s.io/pause:3.10"), Some("registry.k8s.io"));
        assert_eq!(registry_of("mirror.local:5000/x/pause:1"), Some("mirror.local:5000"));
        assert_eq!(registry_of("library/busybox"), None);
        assert_eq!(socket_path("unix:///run/containerd/containerd.sock"), "/run/containerd/containerd.sock");
    }
}
