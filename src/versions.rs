//! The table of Kubernetes versions kubelift installs (assets/versions.yaml):
//! image tags and every per-minor difference in what kubeadm writes.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../assets/versions.yaml");

/// The etcd static Pod's health probes (see the table's header).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum EtcdProbes {
    /// `/health` for liveness and startup (up to v1.24).
    Health,
    /// `/health?exclude=NOSPACE&serializable=true` liveness, `/health?serializable=false` startup.
    HealthSerializable,
    /// `/livez` liveness, `/readyz` readiness and startup (v1.31 on).
    LivezReadyz,
}

/// Which version-dependent flags kubeadm writes to kubeadm-flags.env.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KubeletFlagRules {
    /// `--container-runtime=remote` (until v1.26).
    pub container_runtime_remote: bool,
    /// `--pod-infra-container-image=<repo>/pause:<tag>` (until v1.34).
    pub pod_infra_container_image: bool,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VersionInfo {
    pub minor: String,
    pub release: String,
    /// The kubeadm release whose behaviour this entry reproduces.
    pub kubeadm: String,
    pub image_repository: String,
    pub etcd: String,
    pub coredns: String,
    pub pause: String,
    pub etcd_probes: EtcdProbes,
    /// Default etcd flags beyond kubeadm v1.24.0-alpha.1's set, without `--`.
    pub etcd_extra_args: BTreeMap<String, String>,
    /// Optional CA directories (volume name → host path) mounted when present.
    pub ca_cert_volumes: BTreeMap<String, String>,
    pub kubelet_flags: KubeletFlagRules,
    /// Default of the NodeLocalCRISocket feature gate.
    #[serde(rename = "nodeLocalCRISocket")]
    pub node_local_cri_socket: bool,
    /// Zero-valued KubeletConfiguration fields this minor prints beyond v1.24's.
    pub kubelet_config: serde_yaml::Mapping,
    pub control_plane_labels: Vec<String>,
    pub control_plane_taints: Vec<String>,
    pub kubelet_config_map: String,
    pub super_admin_conf: bool,
}

impl VersionInfo {
    /// The minor as a number (`"1.31"` → 31).
    pub fn minor_number(&self) -> u32 {
        self.minor.split('.').nth(1).and_then(|m| m.parse().ok()).unwrap_or(0)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    versions: Vec<VersionInfo>,
}

/// Every supported minor, oldest first.
pub fn all() -> &'static [VersionInfo] {
    static PARSED: OnceLock<Vec<VersionInfo>> = OnceLock::new();
    PARSED.get_or_init(|| {
        let table: Table = serde_yaml::from_str(TABLE).expect("assets/versions.yaml is checked by a unit test");
        table.versions
    })
}

/// The default `kubernetesVersion`: the newest release in the table.
pub fn newest() -> &'static VersionInfo {
    all().last().expect("the version table is not empty")
}

/// A parsed `vMAJOR.MINOR.PATCH[-suffix]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Semver {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Semver {
    pub fn parse(text: &str) -> Option<Semver> {
        let core = text.strip_prefix('v').unwrap_or(text);
        let core = core.split(['-', '+']).next()?;
        let mut parts = core.split('.').map(|p| p.parse::<u32>().ok());
        let (major, minor, patch) = (parts.next()??, parts.next()??, parts.next()??);
        parts.next().is_none().then_some(Semver { major, minor, patch })
    }

    pub fn minor_key(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }
}

/// The table entry for a `kubernetesVersion`, if kubelift supports its minor.
pub fn lookup(kubernetes_version: &str) -> Option<&'static VersionInfo> {
    let v = Semver::parse(kubernetes_version)?;
    all().iter().find(|info| info.minor == v.minor_key())
}

/// The supported range as text, for error messages.
pub fn supported_range() -> String {
    let all = all();
    format!("v{} to v{}", all[0].minor, newest().minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses_and_is_ordered() {
        let all = all();
        assert!(all.len() >= 14);
        let minors: Vec<_> = all.iter().map(|v| Semver::parse(&v.release).unwrap()).collect();
        assert!(minors.windows(2).all(|w| w[0] < w[1]));
        for v in all {
            assert_eq!(Semver::parse(&v.release).unwrap().minor_key(), v.minor);
            assert_eq!(Semver::parse(&v.kubeadm).unwrap().minor_key(), v.minor, "kubeadm of {}", v.minor);
        }
    }

    /// The rules the table encodes, checked against the PRs named in its header.
    #[test]
    fn per_version_rules_hold() {
        let get = |m: &str| all().iter().find(|v| v.minor == m).unwrap();
        assert_eq!(get("1.24").image_repository, "k8s.gcr.io");
        assert!(all().iter().filter(|v| v.minor_number() >= 25).all(|v| v.image_repository == "registry.k8s.io"));
        for v in all() {
            let n = v.minor_number();
            assert_eq!(v.kubelet_flags.container_runtime_remote, n < 27, "{}", v.minor);
            assert_eq!(v.kubelet_flags.pod_infra_container_image, n < 35, "{}", v.minor);
            assert_eq!(v.super_admin_conf, n >= 29, "{}", v.minor);
            assert_eq!(v.node_local_cri_socket, n >= 34, "{}", v.minor);
            let etcd36 = Semver::parse(&v.etcd).is_some_and(|e| (e.major, e.minor) >= (3, 6));
            // kubeadm picks the graduated etcd flags by the etcd version (PR #132838).
            assert_eq!(v.etcd_extra_args.contains_key("feature-gates"), etcd36, "{}", v.minor);
            let probes = match n {
                ..=24 => EtcdProbes::Health,
                25..=30 => EtcdProbes::HealthSerializable,
                _ => EtcdProbes::LivezReadyz,
            };
            assert_eq!(v.etcd_probes, probes, "{}", v.minor);
            assert_eq!(v.kubelet_config_map == "kubelet-config", n >= 25, "{}", v.minor);
        }
        assert_eq!(get("1.24").control_plane_taints, ["node-role.kubernetes.io/master"]);
        assert_eq!(get("1.25").control_plane_taints, ["node-role.kubernetes.io/control-plane"]);
    }

    #[test]
    fn semver_parsing() {
        assert_eq!(Semver::parse("v1.24.0"), Some(Semver { major: 1, minor: 24, patch: 0 }));
        assert_eq!(Semver::parse("1.30.2-rc.1").unwrap().patch, 2);
        assert_eq!(Semver::parse("v1.24"), None);
        assert_eq!(Semver::parse("stable-1"), None);
        assert!(lookup("v1.24.0").is_some());
        assert!(lookup("v1.10.0").is_none());
    }
}
