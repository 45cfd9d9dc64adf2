//! `upload-config`: the kubeadm-config and kubelet-config ConfigMaps (§4.4, §4.5).
//!
//! kubeadm-config holds the ClusterConfiguration as kubeadm of the target
//! minor writes it: converted to its API version (v1beta3 before 1.31,
//! v1beta4 after), component configs stripped, Go's serializer layout.

use k8s_openapi::api::core::v1::ConfigMap;
use serde_json::{json, Value};

use crate::goyaml;
use super::{meta, rbac, sign_config_map, string_map, AnyObject, Behaviour, ObjectError, KUBE_SYSTEM};
use crate::config::args::{ArgsStyle, ExtraArgs};
use crate::config::{duration, ApiVersion, ClusterConfiguration, InitSettings};

pub const KUBEADM_CONFIG_MAP: &str = "kubeadm-config";
pub const CLUSTER_CONFIGURATION_KEY: &str = "ClusterConfiguration";
pub const KUBELET_CONFIG_KEY: &str = "kubelet";
pub const CRI_SOCKET_ANNOTATION: &str = "kubeadm.alpha.kubernetes.io/cri-socket";

/// The objects of `upload-config/kubeadm`: the ConfigMap, then who may read it.
pub fn kubeadm_objects(s: &InitSettings, b: &Behaviour) -> Result<Vec<AnyObject>, ObjectError> {
    let mut objects = vec![AnyObject::ConfigMap(kubeadm_config_map(s, b)?)];
    objects.extend(rbac::kubeadm_config_rbac());
    Ok(objects)
}

pub fn kubeadm_config_map(s: &InitSettings, b: &Behaviour) -> Result<ConfigMap, ObjectError> {
    let yaml = cluster_configuration_yaml(s, b)?;
    Ok(ConfigMap {
        metadata: meta(KUBEADM_CONFIG_MAP, Some(KUBE_SYSTEM)),
        data: Some(string_map(&[(CLUSTER_CONFIGURATION_KEY, &yaml)])),
        ..Default::default()
    })
}

/// The ClusterConfiguration document kubeadm of the target minor stores.
pub fn cluster_configuration_yaml(s: &InitSettings, b: &Behaviour) -> Result<String, ObjectError> {
    let target = b.uploaded_config_version();
    let converted = convert(s, target);
    let mut doc = serde_json::to_value(&converted)
        .map_err(|e| ObjectError::Invalid { what: "ClusterConfiguration".into(), why: e.to_string() })?;
    // Go writes these struct fields even when empty (`dns: {}`): no omitempty.
    let mut always = vec!["apiServer", "controllerManager", "dns", "etcd", "networking", "scheduler"];
    if target == ApiVersion::V1beta4 {
        always.push("proxy");
    }
    if let Value::Object(map) = &mut doc {
        for key in always {
            map.entry(key).or_insert_with(|| json!({}));
        }
    }
    Ok(goyaml::to_string(&doc))
}

/// What kubeadm's conversion to `target` keeps of the resolved settings.
fn convert(s: &InitSettings, target: ApiVersion) -> ClusterConfiguration {
    let mut c = s.cluster.clone();
    c.api_version = target.as_str().into();
    c.kind = "ClusterConfiguration".into();
    let style = if target == ApiVersion::V1beta3 { ArgsStyle::Map } else { ArgsStyle::List };
    for args in extra_args(&mut c) {
        args.style = style;
    }
    match target {
        ApiVersion::V1beta3 => {
            c.api_server.timeout_for_control_plane = duration::format(s.control_plane_timeout());
            // v1beta3 spells the key algorithm as a feature gate.
            if s.encryption_algorithm().starts_with("ECDSA") {
                c.feature_gates.insert("PublicKeysECDSA".into(), true);
            }
            c.encryption_algorithm.clear();
            c.certificate_validity_period.clear();
            c.ca_certificate_validity_period.clear();
            c.proxy = None;
            c.dns.disabled = false;
            c.api_server.extra_envs.clear();
            c.controller_manager.extra_envs.clear();
            c.scheduler.extra_envs.clear();
            if let Some(local) = &mut c.etcd.local {
                local.extra_envs.clear();
            }
        }
        ApiVersion::V1beta4 => {
            // The timeout moved to InitConfiguration, which is not uploaded.
            c.api_server.timeout_for_control_plane.clear();
            c.encryption_algorithm = s.encryption_algorithm().to_string();
            c.certificate_validity_period = duration::format(s.certificate_validity());
            c.ca_certificate_validity_period = duration::format(s.ca_certificate_validity());
            c.proxy.get_or_insert_with(Default::default);
        }
    }
    c
}

fn extra_args(c: &mut ClusterConfiguration) -> Vec<&mut ExtraArgs> {
    let mut all = vec![&mut c.api_server.extra_args, &mut c.controller_manager.extra_args, &mut c.scheduler.extra_args];
    if let Some(local) = &mut c.etcd.local {
        all.push(&mut local.extra_args);
    }
    all
}

/// The objects of `upload-config/kubelet`: the kubelet's configuration for
/// joining nodes, then who may read it.
pub fn kubelet_objects(s: &InitSettings, b: &Behaviour, kubelet_config_yaml: &str) -> Vec<AnyObject> {
    let mut objects = vec![AnyObject::ConfigMap(kubelet_config_map(s, b, kubelet_config_yaml))];
    objects.extend(rbac::kubelet_config_rbac(b));
    objects
}

/// `kubelet-config[-1.MINOR]` with the KubeletConfiguration YAML; signed with
/// the hash annotation unless the user supplied a KubeletConfiguration.
pub fn kubelet_config_map(s: &InitSettings, b: &Behaviour, kubelet_config_yaml: &str) -> ConfigMap {
    let mut cm = ConfigMap {
        metadata: meta(&b.kubelet_config_map_name(), Some(KUBE_SYSTEM)),
        data: Some(string_map(&[(KUBELET_CONFIG_KEY, kubelet_config_yaml)])),
        ..Default::default()
    };
    if s.kubelet.is_none() {
        sign_config_map(&mut cm);
    }
    cm
}

/// The merge patch that records the node's CRI socket on its Node object
/// (up to 1.33; `None` when the target kubeadm keeps it on the node's disk).
pub fn cri_socket_patch(s: &InitSettings, b: &Behaviour) -> Option<Value> {
    b.cri_socket_annotation().then(|| {
        json!({"metadata": {"annotations": {CRI_SOCKET_ANNOTATION: s.init.node_registration.cri_socket}}})
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{HostDefaults, InitSettings};

    fn settings(text: &str) -> InitSettings {
        InitSettings::parse(text, "test").unwrap().resolve(&HostDefaults::placeholder()).unwrap()
    }

    #[test]
    fn v1beta4_input_for_an_old_minor_is_stored_as_v1beta3() {
        let s = settings(
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: v1.30.2\n\
apiServer:\n  extraArgs:\n  - {name: audit-log-maxage, value: \"30\"}\nencryptionAlgorithm: ECDSA-P256\n",
        );
        let yaml = cluster_configuration_yaml(&s, &Behaviour::minor(30)).unwrap();
        let expected = [
            "apiServer:",
            "  extraArgs:",
            "    audit-log-maxage: \"30\"",
            "  timeoutForControlPlane: 4m0s",
            "apiVersion: kubeadm.k8s.io/v1beta3",
            "certificatesDir: /etc/kubernetes/pki",
            "clusterName: kubernetes",
            "controllerManager: {}",
            "dns: {}",
            "etcd:",
            "  local:",
            "    dataDir: /var/lib/etcd",
            "featureGates:",
            "  PublicKeysECDSA: true",
            "imageRepository: registry.k8s.io",
            "kind: ClusterConfiguration",
            "kubernetesVersion: v1.30.2",
            "networking:",
            "  dnsDomain: cluster.local",
            "  serviceSubnet: 10.96.0.0/12",
            "scheduler: {}",
        ];
        assert_eq!(yaml.lines().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn new_minors_store_v1beta4() {
        let s = settings("apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nkubernetesVersion: v1.31.0\n");
        let yaml = cluster_configuration_yaml(&s, &Behaviour::minor(31)).unwrap();
        let expected = [
            "apiServer: {}",
            "apiVersion: kubeadm.k8s.io/v1beta4",
            "caCertificateValidityPeriod: 87600h0m0s",
            "certificateValidityPeriod: 8760h0m0s",
            "certificatesDir: /etc/kubernetes/pki",
            "clusterName: kubernetes",
            "controllerManager: {}",
            "dns: {}",
            "encryptionAlgorithm: RSA-2048",
            "etcd:",
            "  local:",
            "    dataDir: /var/lib/etcd",
            "imageRepository: registry.k8s.io",
            "kind: ClusterConfiguration",
            "kubernetesVersion: v1.31.0",
            "networking:",
            "  dnsDomain: cluster.local",
            "  serviceSubnet: 10.96.0.0/12",
            "proxy: {}",
            "scheduler: {}",
        ];
        assert_eq!(yaml.lines().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn user_kubelet_configuration_is_not_signed() {
        let mut s = settings("apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nkubernetesVersion: v1.24.0\n");
        let b = Behaviour::minor(24);
        assert!(kubelet_config_map(&s, &b, "kind: KubeletConfiguration\n").metadata.annotations.is_some());
        s.kubelet = Some(Default::default());
        assert!(kubelet_config_map(&s, &b, "kind: KubeletConfiguration\n").metadata.annotations.is_none());
    }

    #[test]
    fn cri_socket_annotation_until_1_34() {
        let s = settings("apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\nnodeRegistration:\n  criSocket: unix:///run/crio/crio.sock\n");
        let patch = cri_socket_patch(&s, &Behaviour::minor(33)).unwrap();
        assert_eq!(patch["metadata"]["annotations"][CRI_SOCKET_ANNOTATION], "unix:///run/crio/crio.sock");
        assert!(cri_socket_patch(&s, &Behaviour::minor(34)).is_none());
    }
}
