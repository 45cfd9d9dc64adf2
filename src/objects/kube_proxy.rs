//! `addon/kube-proxy` (kubeadm-facts §6.7a, §6.8): ServiceAccount, RBAC, the
//! kube-proxy ConfigMap (`config.conf` + `kubeconfig.conf`) and the DaemonSet.

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::ConfigMap;
use serde_json::Value;

use crate::goyaml;
use super::{from_asset, image, meta, rbac, sign_config_map, string_map, AnyObject, Behaviour, ObjectError, KUBE_SYSTEM};
use crate::config::InitSettings;

const CONFIG_SKELETON: &str = include_str!("../../assets/addons/kube-proxy-config-v1alpha1.yaml");
const KUBECONFIG: &str = include_str!("../../assets/addons/kube-proxy-kubeconfig.conf");
const DAEMON_SET: &str = include_str!("../../assets/addons/kube-proxy-daemonset.yaml");

pub const CONFIG_MAP: &str = "kube-proxy";
/// Where the DaemonSet mounts the ConfigMap's `kubeconfig.conf`.
const KUBECONFIG_PATH: &str = "/var/lib/kube-proxy/kubeconfig.conf";

/// The objects in kubeadm's order: ServiceAccount, RBAC, ConfigMap, DaemonSet.
pub fn objects(s: &InitSettings, _b: &Behaviour) -> Result<Vec<AnyObject>, ObjectError> {
    let mut objects = vec![rbac::service_account("kube-proxy", KUBE_SYSTEM)];
    objects.extend(rbac::kube_proxy_rbac());
    objects.push(AnyObject::ConfigMap(config_map(s)?));
    objects.push(AnyObject::DaemonSet(daemon_set(s)));
    Ok(objects)
}

/// `kube-system/kube-proxy`; signed with the hash annotation unless the user
/// supplied a KubeProxyConfiguration.
pub fn config_map(s: &InitSettings) -> Result<ConfigMap, ObjectError> {
    let mut cm = ConfigMap {
        metadata: meta(CONFIG_MAP, Some(KUBE_SYSTEM)),
        data: Some(string_map(&[("config.conf", &config_conf(s)?), ("kubeconfig.conf", &kubeconfig_conf(s))])),
        ..Default::default()
    };
    cm.metadata.labels = Some(string_map(&[("app", "kube-proxy")]));
    if s.kube_proxy.is_none() {
        sign_config_map(&mut cm);
    }
    Ok(cm)
}

/// kubeadm's template, pointing at the control-plane endpoint; it sits in a
/// `|-` block in kubeadm's manifest, hence no final newline.
pub fn kubeconfig_conf(s: &InitSettings) -> String {
    let server = super::bootstrap_token::server_url(s);
    KUBECONFIG.replace("{{ .ControlPlaneEndpoint }}", &server).trim_end_matches('\n').to_string()
}

/// The KubeProxyConfiguration as kubeadm marshals it: the Go struct's zero
/// values, the user's document over them, then kubeadm's three defaults.
pub fn config_conf(s: &InitSettings) -> Result<String, ObjectError> {
    let invalid = |why: String| ObjectError::Invalid { what: "KubeProxyConfiguration".into(), why };
    let skeleton: serde_yaml::Value = serde_yaml::from_str(CONFIG_SKELETON).expect("the kube-proxy skeleton parses");
    let mut config = serde_json::to_value(skeleton).expect("the skeleton is JSON-compatible");
    if let Some(user) = &s.kube_proxy {
        let user = serde_json::to_value(user).map_err(|e| invalid(e.to_string()))?;
        merge(&mut config, user);
    }
    let ipv6 = s.advertise_address().is_some_and(|a| a.is_ipv6());
    fill(&mut config, "/bindAddress", if ipv6 { "::" } else { "0.0.0.0" });
    fill(&mut config, "/clusterCIDR", &s.cluster.networking.pod_subnet);
    fill(&mut config, "/clientConnection/kubeconfig", KUBECONFIG_PATH);
    config["apiVersion"] = "kubeproxy.config.k8s.io/v1alpha1".into();
    config["kind"] = "KubeProxyConfiguration".into();
    // kubeadm indents the document into a `|-` block: no final newline.
    Ok(goyaml::to_string(&config).trim_end_matches('\n').to_string())
}

/// Sets a string field that is empty (kubeadm defaults only unset fields).
fn fill(config: &mut Value, pointer: &str, value: &str) {
    if let Some(field) = config.pointer_mut(pointer) {
        if field.as_str().is_none_or(str::is_empty) {
            *field = value.into();
        }
    }
}

/// Deep merge of objects; anything else in `over` replaces what is there.
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (b, o) => *b = o,
    }
}

/// kubeadm's `GetKubernetesImage`: `<imageRepository>/kube-proxy:<version>`,
/// with `+` (not valid in a tag) written as `_`.
pub fn image_name(s: &InitSettings) -> String {
    image(&s.cluster.image_repository, "kube-proxy", &s.cluster.kubernetes_version.replace('+', "_"))
}

pub fn daemon_set(s: &InitSettings) -> DaemonSet {
    let mut ds: DaemonSet = from_asset("kube-proxy-daemonset.yaml", DAEMON_SET);
    let pod = ds.spec.as_mut().and_then(|spec| spec.template.spec.as_mut()).expect("the template has a pod spec");
    pod.containers[0].image = Some(image_name(s));
    ds
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HostDefaults;

    fn settings(text: &str) -> InitSettings {
        InitSettings::parse(text, "test").unwrap().resolve(&HostDefaults::placeholder()).unwrap()
    }

    #[test]
    fn user_configuration_overlays_and_is_unsigned() {
        let s = settings(
            "apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\nlocalAPIEndpoint:\n  advertiseAddress: fd00::2\n---\n\
apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\nipvs:\n  strictARP: true\n",
        );
        let text = config_conf(&s).unwrap();
        assert!(text.contains("\nmode: ipvs\n"), "{text}");
        assert!(text.contains("  strictARP: true\n"), "{text}");
        assert!(text.starts_with("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nbindAddress: '::'\n"), "{text}");
        assert!(!text.ends_with('\n'));
        assert!(config_map(&s).unwrap().metadata.annotations.is_none());
    }

    #[test]
    fn image_tag_replaces_plus() {
        let mut s = settings("apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nkubernetesVersion: v1.30.1\n");
        s.cluster.kubernetes_version = "v1.30.1+k3s1".into();
        assert_eq!(image_name(&s), "registry.k8s.io/kube-proxy:v1.30.1_k3s1");
    }
}
