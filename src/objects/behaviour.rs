//! What kubeadm does differently per Kubernetes minor, one method per difference.
//!
//! 1.24 is the golden reference (tests/fixtures/kubeadm-v1.24): kubelift's 1.24
//! objects match what that kubeadm created, field by field. Later changes
//! come from upstream kubeadm pull requests, named on each method; they are
//! not checked against a live cluster (docs/kubeadm-compatibility.md says so).

use crate::config::{ApiVersion, InitSettings, Taint};
use crate::versions::{self, Semver};

use super::ObjectError;

/// The Kubernetes minor whose kubeadm kubelift imitates.
///
/// Differences that files other than API objects share (labels, taints, the
/// kubelet-config name, super-admin.conf) come from the version table
/// (assets/versions.yaml), so that there is one source for them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Behaviour {
    minor: u32,
    info: &'static versions::VersionInfo,
}

pub const LABEL_CONTROL_PLANE: &str = "node-role.kubernetes.io/control-plane";
pub const LABEL_MASTER: &str = "node-role.kubernetes.io/master";
pub const LABEL_EXCLUDE_FROM_LB: &str = "node.kubernetes.io/exclude-from-external-load-balancers";

impl Behaviour {
    /// From the resolved `kubernetesVersion`; only minors of the version table.
    pub fn for_settings(s: &InitSettings) -> Result<Behaviour, ObjectError> {
        let text = &s.cluster.kubernetes_version;
        let info = Semver::parse(text).filter(|v| v.major == 1).and_then(|_| versions::lookup(text));
        info.map(|info| Behaviour { minor: info.minor_number(), info }).ok_or_else(|| ObjectError::Version(text.clone()))
    }

    /// For tests and callers that know the minor (1.x); panics outside the table.
    pub fn minor(minor: u32) -> Behaviour {
        let info = versions::lookup(&format!("v1.{minor}.0")).expect("a minor of the version table");
        Behaviour { minor, info }
    }

    pub fn minor_number(&self) -> u32 {
        self.minor
    }

    /// `kubelet-config-1.24` while the UnversionedKubeletConfigMap gate was off
    /// (the reference kubeadm v1.24); `kubelet-config` from 1.25, where the gate is GA.
    pub fn kubelet_config_map_name(&self) -> String {
        self.info.kubelet_config_map.clone()
    }

    /// The API version kubeadm writes the ClusterConfiguration in: v1beta4
    /// from 1.31, where it became kubeadm's default API (kubeadm-facts §12.5).
    pub fn uploaded_config_version(&self) -> ApiVersion {
        if self.minor >= 31 {
            ApiVersion::V1beta4
        } else {
            ApiVersion::V1beta3
        }
    }

    /// 1.29+ (KEP-4214, PR #121305): admin.conf's group `kubeadm:cluster-admins`
    /// is bound to cluster-admin instead of being `system:masters`.
    pub fn cluster_admins_group(&self) -> bool {
        self.info.super_admin_conf
    }

    /// Node labels of a control-plane node: the reference 1.24 still adds the
    /// deprecated `master` label; 1.25+ only `control-plane` (KEP-2067).
    pub fn control_plane_labels(&self) -> Vec<&'static str> {
        self.info.control_plane_labels.iter().map(String::as_str).collect()
    }

    /// The taints of a control-plane node whose `nodeRegistration.taints` is
    /// unset: `master` in the reference 1.24, `control-plane` from 1.25 (PR #110095).
    pub fn default_control_plane_taints(&self) -> Vec<Taint> {
        self.info.control_plane_taints.iter().map(|key| Taint { key: key.clone(), effect: "NoSchedule".into(), ..Default::default() }).collect()
    }

    /// CoreDNS keeps tolerating the old `master` taint until 1.26 (kubeadm-facts §8).
    pub fn coredns_tolerates_master(&self) -> bool {
        self.minor <= 25
    }

    /// 1.25+ (PR #110593): CoreDNS prefers replicas on different nodes.
    pub fn coredns_anti_affinity(&self) -> bool {
        self.minor >= 25
    }

    /// Until 1.28 (PR #117521) the `system:coredns` ClusterRole may `get` nodes.
    pub fn coredns_reads_nodes(&self) -> bool {
        self.minor <= 27
    }

    /// The capability CoreDNS drops: `all` until 1.29 spells it `ALL` (PR #121384).
    pub fn coredns_drop_capability(&self) -> &'static str {
        if self.minor >= 29 {
            "ALL"
        } else {
            "all"
        }
    }

    /// 1.32+ (PR #128359): the `cache` plugin does not cache the cluster
    /// domain, which the kubernetes plugin answers authoritatively.
    pub fn coredns_cache_skips_cluster_domain(&self) -> bool {
        self.minor >= 32
    }

    /// 1.34+ (PR #131587): the probe ports are declared as container ports
    /// (`liveness-probe` 8080, `readiness-probe` 8181) and probed by name.
    pub fn coredns_named_probe_ports(&self) -> bool {
        self.minor >= 34
    }

    /// The `kubeadm.alpha.kubernetes.io/cri-socket` Node annotation; from 1.34
    /// the NodeLocalCRISocket gate (beta, on) keeps the socket in
    /// /var/lib/kubelet/instance-config.yaml instead.
    pub fn cri_socket_annotation(&self) -> bool {
        self.minor <= 33
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_minor_has_a_behaviour() {
        for v in versions::all() {
            let mut s = InitSettings::empty();
            s.cluster.kubernetes_version = v.release.clone();
            assert!(Behaviour::for_settings(&s).is_ok(), "{}", v.release);
        }
        let mut s = InitSettings::empty();
        s.cluster.kubernetes_version = "v1.10.0".into();
        assert_eq!(Behaviour::for_settings(&s), Err(ObjectError::Version("v1.10.0".into())));
    }

    #[test]
    fn kubelet_config_map_is_versioned_only_in_the_reference_minor() {
        assert_eq!(Behaviour::minor(24).kubelet_config_map_name(), "kubelet-config-1.24");
        assert_eq!(Behaviour::minor(25).kubelet_config_map_name(), "kubelet-config");
        assert_eq!(Behaviour::minor(33).kubelet_config_map_name(), "kubelet-config");
    }

    #[test]
    fn control_plane_marking_changes_at_1_25() {
        assert_eq!(Behaviour::minor(24).control_plane_labels().len(), 3);
        assert_eq!(Behaviour::minor(24).default_control_plane_taints()[0].key, LABEL_MASTER);
        assert_eq!(Behaviour::minor(25).control_plane_labels(), [LABEL_CONTROL_PLANE, LABEL_EXCLUDE_FROM_LB]);
        assert_eq!(Behaviour::minor(25).default_control_plane_taints()[0].key, LABEL_CONTROL_PLANE);
    }

    #[test]
    fn uploaded_config_switches_to_v1beta4_at_1_31() {
        assert_eq!(Behaviour::minor(30).uploaded_config_version(), ApiVersion::V1beta3);
        assert_eq!(Behaviour::minor(31).uploaded_config_version(), ApiVersion::V1beta4);
    }
}
