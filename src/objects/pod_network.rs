//! Pod network add-ons: the documented choices (assets/network/choices.yaml)
//! and the objects of a manifest file the user gives.
//!
//! kubelift bundles no third-party manifest (their content, version and
//! license belong to each project and change with the Kubernetes minor); the
//! choice list says where each project publishes its manifest, and the user
//! points kubelift at the downloaded file.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use serde::Deserialize;
use serde_json::Value;
use std::sync::OnceLock;

use super::{AnyObject, ObjectError, Unstructured};

const CHOICES: &str = include_str!("../../assets/network/choices.yaml");

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkChoice {
    pub id: String,
    pub name: String,
    pub license: String,
    /// The pod CIDR the project's default manifest expects ("" if it follows the cluster's).
    pub pod_subnet: String,
    /// Where to get the manifest.
    pub get: String,
    pub notes: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Choices {
    choices: Vec<NetworkChoice>,
}

/// Every choice, in the order the wizard lists them.
pub fn choices() -> &'static [NetworkChoice] {
    static PARSED: OnceLock<Vec<NetworkChoice>> = OnceLock::new();
    PARSED.get_or_init(|| {
        let c: Choices = serde_yaml::from_str(CHOICES).expect("assets/network/choices.yaml is checked by a unit test");
        c.choices
    })
}

pub fn choice(id: &str) -> Option<&'static NetworkChoice> {
    choices().iter().find(|c| c.id == id)
}

/// A warning when the manifest's default pod CIDR differs from the cluster's.
pub fn pod_subnet_warning(choice: &NetworkChoice, pod_subnet: &str) -> Option<String> {
    if choice.pod_subnet.is_empty() || choice.pod_subnet == pod_subnet {
        return None;
    }
    Some(if pod_subnet.is_empty() {
        format!(
            "{} expects networking.podSubnet {} but none is set: set --pod-network-cidr {} or edit the manifest",
            choice.name, choice.pod_subnet, choice.pod_subnet
        )
    } else {
        format!("{}'s default manifest uses {}, the cluster's podSubnet is {pod_subnet}: edit the manifest to match", choice.name, choice.pod_subnet)
    })
}

/// Every object of a multi-document YAML manifest, in file order; `kind:
/// List` documents are expanded, empty documents skipped. Errors name the
/// document (1-based) and the problem, never its content.
pub fn objects_from_manifest(text: &str) -> Result<Vec<AnyObject>, ObjectError> {
    let mut out = Vec::new();
    for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let n = i + 1;
        let value = serde_yaml::Value::deserialize(doc).map_err(|e| ObjectError::Manifest(format!("document {n}: {e}")))?;
        if value.is_null() {
            continue;
        }
        let json = serde_json::to_value(&value).map_err(|e| ObjectError::Manifest(format!("document {n}: {e}")))?;
        if json.get("kind").and_then(Value::as_str) == Some("List") {
            let items = json.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
            for item in items {
                out.push(typed(item).map_err(|e| ObjectError::Manifest(format!("document {n}, a List item: {e}")))?);
            }
        } else {
            out.push(typed(json).map_err(|e| ObjectError::Manifest(format!("document {n}: {e}")))?);
        }
    }
    Ok(out)
}

/// kubeadm's own kinds become typed objects (checked against their schema);
/// everything else (CRDs, custom resources, Namespaces...) stays JSON.
fn typed(json: Value) -> Result<AnyObject, String> {
    let u = Unstructured::new(json)?;
    let key = (u.value()["apiVersion"].as_str().unwrap_or_default(), u.value()["kind"].as_str().unwrap_or_default());
    fn parse<T: serde::de::DeserializeOwned>(v: &Value, wrap: fn(T) -> AnyObject) -> Result<AnyObject, String> {
        serde_json::from_value(v.clone()).map(wrap).map_err(|e| e.to_string())
    }
    let v = u.value();
    match key {
        ("v1", "ConfigMap") => parse::<ConfigMap>(v, AnyObject::ConfigMap),
        ("v1", "Secret") => parse::<Secret>(v, AnyObject::Secret),
        ("v1", "ServiceAccount") => parse::<ServiceAccount>(v, AnyObject::ServiceAccount),
        ("v1", "Service") => parse::<Service>(v, AnyObject::Service),
        ("apps/v1", "Deployment") => parse::<Deployment>(v, AnyObject::Deployment),
        ("apps/v1", "DaemonSet") => parse::<DaemonSet>(v, AnyObject::DaemonSet),
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => parse::<ClusterRole>(v, AnyObject::ClusterRole),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => parse::<ClusterRoleBinding>(v, AnyObject::ClusterRoleBinding),
        ("rbac.authorization.k8s.io/v1", "Role") => parse::<Role>(v, AnyObject::Role),
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => parse::<RoleBinding>(v, AnyObject::RoleBinding),
        _ => Ok(AnyObject::Unstructured(u)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_parse_and_are_unique() {
        let ids: Vec<&str> = choices().iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["flannel", "calico", "cilium", "file"]);
        assert!(choice("flannel").is_some() && choice("weave").is_none());
    }

    #[test]
    fn warns_on_pod_subnet_mismatch() {
        let flannel = choice("flannel").unwrap();
        assert!(pod_subnet_warning(flannel, "10.244.0.0/16").is_none());
        assert!(pod_subnet_warning(flannel, "").unwrap().contains("--pod-network-cidr 10.244.0.0/16"));
        assert!(pod_subnet_warning(flannel, "10.0.0.0/16").is_some());
        assert!(pod_subnet_warning(choice("cilium").unwrap(), "").is_none());
    }

    #[test]
    fn parses_a_multi_document_manifest() {
        let text = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: kube-flannel\n---\n# comment only\n---\n\
apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: flannel, namespace: kube-flannel}\n\
---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: kube-flannel-ds\n  namespace: kube-flannel\nspec:\n  selector: {matchLabels: {app: flannel}}\n  template:\n    metadata: {labels: {app: flannel}}\n    spec:\n      containers: [{name: f, image: x}]\n";
        let objects = objects_from_manifest(text).unwrap();
        let names: Vec<String> = objects.iter().map(AnyObject::describe).collect();
        assert_eq!(names, ["Namespace kube-flannel", "ServiceAccount kube-flannel/flannel", "DaemonSet kube-flannel/kube-flannel-ds"]);
        assert!(matches!(objects[2], AnyObject::DaemonSet(_)));
    }

    #[test]
    fn errors_name_the_document() {
        let err = objects_from_manifest("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: Thing\n").unwrap_err();
        assert_eq!(err.to_string(), "document 2: has no apiVersion");
        let err = objects_from_manifest("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: 5\n").unwrap_err();
        assert!(err.to_string().starts_with("document 1: "), "{err}");
    }
}
