//! The API objects `kubeadm init` creates, rendered as typed k8s-openapi
//! values for a resolved configuration.
//!
//! Pure: nothing here talks to a server or writes a file. The phases send
//! what these functions return (server-side apply), so every object is built
//! the way kubeadm builds it: same names, labels, annotations, data keys and
//! byte-identical ConfigMap text (hashes and the cluster-info JWS depend on it).
//! Per-version differences live in `behaviour.rs`, one method per difference.
//!
//! The golden reference is what real kubeadm v1.24 created
//! (`tests/fixtures/kubeadm-v1.24/api/`); `tests/objects.rs` compares field by
//! field and docs/kubeadm-compatibility.md ("API objects") lists every
//! deliberate difference.

pub mod behaviour;
pub mod bootstrap_token;
pub mod coredns;

pub mod kube_proxy;
pub mod mark_control_plane;
pub mod pod_network;
pub mod rbac;
pub mod upload_certs;
pub mod upload_config;

use chrono::{DateTime, Utc};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::{ByteString, Resource};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;

use crate::config::InitSettings;
pub use behaviour::Behaviour;

pub const KUBE_SYSTEM: &str = "kube-system";
pub const KUBE_PUBLIC: &str = "kube-public";
/// The group every kubeadm bootstrap token authenticates into (kubeadm's BT-GROUP).
pub const NODE_BOOTSTRAP_GROUP: &str = "system:bootstrappers:kubeadm:default-node-token";
pub const NODES_GROUP: &str = "system:nodes";
/// kubeadm's annotation on component-config ConfigMaps it generated itself.
pub const COMPONENT_CONFIG_HASH: &str = "kubeadm.kubernetes.io/component-config.hash";

/// Why an object could not be rendered. Messages name fields, never secret values.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ObjectError {
    #[error("bootstrap token #{index} is not of the form [a-z0-9]{{6}}.[a-z0-9]{{16}}")]
    TokenFormat { index: usize },
    #[error("bootstrap token {id:?}: {field} {problem}")]
    TokenField { id: String, field: &'static str, problem: String },
    #[error("the service subnet {0:?} has no tenth address for the cluster DNS Service")]
    NoDnsIp(String),
    #[error("kubernetesVersion {0:?} is not a version kubelift can render objects for")]
    Version(String),
    #[error("{what} is not valid: {why}")]
    Invalid { what: String, why: String },
    #[error("the certificate key must be 64 hexadecimal characters (32 bytes)")]
    CertificateKey,
    #[error("the kubeadm-certs Secret cannot be decrypted: {0}")]
    Decrypt(String),
    #[error("{0}")]
    Manifest(String),
}

/// One object to apply: kubeadm's kinds as typed values, anything else (a pod
/// network manifest) as checked JSON.
#[derive(Clone, PartialEq)]
pub enum AnyObject {
    ConfigMap(ConfigMap),
    Secret(Secret),
    ServiceAccount(ServiceAccount),
    Service(Service),
    Deployment(Deployment),
    DaemonSet(DaemonSet),
    ClusterRole(ClusterRole),
    ClusterRoleBinding(ClusterRoleBinding),
    Role(Role),
    RoleBinding(RoleBinding),
    Unstructured(Unstructured),
}

/// An object of any kind from a manifest: apiVersion, kind and metadata.name
/// are present strings (checked by `Unstructured::new`).
#[derive(Clone, PartialEq)]
pub struct Unstructured(Value);

impl Unstructured {
    pub fn new(value: Value) -> Result<Unstructured, String> {
        for field in ["apiVersion", "kind"] {
            if value.get(field).and_then(Value::as_str).is_none_or(|s| s.is_empty()) {
                return Err(format!("has no {field}"));
            }
        }
        if value.pointer("/metadata/name").and_then(Value::as_str).is_none_or(|s| s.is_empty()) {
            return Err("has no metadata.name".into());
        }
        Ok(Unstructured(value))
    }

    fn str_at(&self, pointer: &str) -> Option<&str> {
        self.0.pointer(pointer).and_then(Value::as_str)
    }

    pub fn value(&self) -> &Value {
        &self.0
    }
}

/// Identity only: a manifest's Secret must not reach a log either.
impl fmt::Debug for Unstructured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, name) = (self.str_at("/kind").unwrap_or_default(), self.str_at("/metadata/name").unwrap_or_default());
        write!(f, "Unstructured({kind} {name})")
    }
}

macro_rules! each_typed {
    ($self:ident, $o:ident => $e:expr, $u:ident => $ue:expr) => {
        match $self {
            AnyObject::ConfigMap($o) => $e,
            AnyObject::Secret($o) => $e,
            AnyObject::ServiceAccount($o) => $e,
            AnyObject::Service($o) => $e,
            AnyObject::Deployment($o) => $e,
            AnyObject::DaemonSet($o) => $e,
            AnyObject::ClusterRole($o) => $e,
            AnyObject::ClusterRoleBinding($o) => $e,
            AnyObject::Role($o) => $e,
            AnyObject::RoleBinding($o) => $e,
            AnyObject::Unstructured($u) => $ue,
        }
    };
}

fn api_version_of<T: Resource>(_: &T) -> &'static str {
    T::API_VERSION
}

fn kind_of<T: Resource>(_: &T) -> &'static str {
    T::KIND
}

impl AnyObject {
    pub fn api_version(&self) -> &str {
        each_typed!(self, o => api_version_of(o), u => u.str_at("/apiVersion").unwrap_or_default())
    }

    pub fn kind(&self) -> &str {
        each_typed!(self, o => kind_of(o), u => u.str_at("/kind").unwrap_or_default())
    }

    /// `None` for cluster-scoped objects (and manifests that name no namespace).
    pub fn namespace(&self) -> Option<&str> {
        each_typed!(self, o => o.metadata.namespace.as_deref(), u => u.str_at("/metadata/namespace"))
    }

    pub fn name(&self) -> &str {
        each_typed!(self, o => o.metadata.name.as_deref().unwrap_or_default(), u => u.str_at("/metadata/name").unwrap_or_default())
    }

    /// The body for a server-side apply (apiVersion and kind included).
    pub fn to_json(&self) -> Value {
        let json = each_typed!(self, o => serde_json::to_value(o), u => Ok(u.0.clone()));
        json.expect("k8s-openapi objects serialize to JSON")
    }

    /// `Secret kube-system/bootstrap-token-abcdef`: names only, safe to log.
    pub fn describe(&self) -> String {
        match self.namespace() {
            Some(ns) => format!("{} {ns}/{}", self.kind(), self.name()),
            None => format!("{} {}", self.kind(), self.name()),
        }
    }

    /// Secrets (and unstructured Secrets) carry data that must not be logged.
    pub fn is_secret(&self) -> bool {
        self.kind() == "Secret"
    }
}

/// Names only: a token Secret's data must never reach a log through `{:?}`.
impl fmt::Debug for AnyObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AnyObject({})", self.describe())
    }
}

/// The objects one kubeadm phase creates, in the order kubeadm creates them.
#[derive(Debug, Clone)]
pub struct PhaseObjects {
    /// The phase id as `crate::phases` names it (`bootstrap-token`, `addon/coredns`).
    pub phase: &'static str,
    pub objects: Vec<AnyObject>,
}

/// What rendering needs besides the settings: values that come from the
/// host or the clock at run time, injected so that rendering stays pure.
#[derive(Clone, Copy)]
pub struct InitInputs<'a> {
    /// "Now", for token expirations.
    pub now: DateTime<Utc>,
    /// `ca.crt` as PEM, for cluster-info.
    pub ca_cert_pem: &'a [u8],
    /// The KubeletConfiguration YAML written to /var/lib/kubelet/config.yaml (`crate::kubelet`).
    pub kubelet_config_yaml: &'a str,
}

/// Every object of `kubeadm init` after the control plane is up, grouped by
/// phase in kubeadm's order. Not included, because they need values that
/// exist only at run time: the upload-certs token and the kubeadm-certs
/// Secret (`upload_certs::token_secret`, `upload_certs::certs_secret`: a
/// fresh token, the certificate files and the token Secret's uid) and the
/// Node patches (`mark_control_plane`, `upload_config::cri_socket_patch`).
pub fn init_objects_by_phase(s: &InitSettings, inputs: &InitInputs<'_>) -> Result<Vec<PhaseObjects>, ObjectError> {
    let b = Behaviour::for_settings(s)?;
    let mut phases = Vec::new();
    if b.cluster_admins_group() {
        // kubeadm 1.29+ binds the admin.conf group the first time init builds
        // its API client, which is while waiting for the control plane.
        phases.push(PhaseObjects { phase: "wait-control-plane", objects: vec![rbac::cluster_admins_binding()] });
    }
    phases.push(PhaseObjects { phase: "upload-config/kubeadm", objects: upload_config::kubeadm_objects(s, &b)? });
    phases.push(PhaseObjects { phase: "upload-config/kubelet", objects: upload_config::kubelet_objects(s, &b, inputs.kubelet_config_yaml) });
    if s.upload_certs {
        phases.push(PhaseObjects { phase: "upload-certs", objects: rbac::kubeadm_certs_rbac() });
    }
    phases.push(PhaseObjects { phase: "bootstrap-token", objects: bootstrap_token::phase_objects(s, inputs.now, inputs.ca_cert_pem)? });
    if !s.cluster.dns.disabled {
        phases.push(PhaseObjects { phase: "addon/coredns", objects: coredns::objects(s, &b, coredns::DEFAULT_REPLICAS)? });
    }
    if !s.cluster.proxy.as_ref().is_some_and(|p| p.disabled) {
        phases.push(PhaseObjects { phase: "addon/kube-proxy", objects: kube_proxy::objects(s, &b)? });
    }
    Ok(phases)
}

/// `init_objects_by_phase`, flattened in order.
pub fn all_init_objects(s: &InitSettings, inputs: &InitInputs<'_>) -> Result<Vec<AnyObject>, ObjectError> {
    Ok(init_objects_by_phase(s, inputs)?.into_iter().flat_map(|p| p.objects).collect())
}

/// Metadata with a name and, for namespaced kinds, a namespace.
pub(crate) fn meta(name: &str, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta { name: Some(name.to_string()), namespace: namespace.map(str::to_string), ..Default::default() }
}

pub(crate) fn string_map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// kubeadm's `SignConfigMap` checksum: SHA-256 over every `data` value in
/// sorted key order, then every `binaryData` value likewise.
pub fn component_config_hash(data: &BTreeMap<String, String>, binary_data: &BTreeMap<String, ByteString>) -> String {
    let mut h = Sha256::new();
    for value in data.values() {
        h.update(value.as_bytes());
    }
    for value in binary_data.values() {
        h.update(&value.0);
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}

/// Adds the hash annotation to a ConfigMap kubeadm generated (never to one
/// the user supplied, so that kubeadm upgrade leaves the user's alone).
pub(crate) fn sign_config_map(cm: &mut ConfigMap) {
    let hash = component_config_hash(&cm.data.clone().unwrap_or_default(), &cm.binary_data.clone().unwrap_or_default());
    cm.metadata.annotations.get_or_insert_with(BTreeMap::new).insert(COMPONENT_CONFIG_HASH.into(), hash);
}

/// Standard base64 (no new dependency: k8s-openapi's ByteString is base64 in JSON).
pub(crate) fn base64(bytes: &[u8]) -> String {
    match serde_json::to_value(ByteString(bytes.to_vec())) {
        Ok(Value::String(s)) => s,
        _ => unreachable!("ByteString serializes to a string"),
    }
}

/// Parses one of kubelift's bundled templates into a typed object; a broken
/// asset is a build defect caught by the unit tests, hence the panic.
pub(crate) fn from_asset<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> T {
    serde_yaml::from_str(text).unwrap_or_else(|e| panic!("assets/addons/{name} does not parse: {e}"))
}

/// `<repository>/<name>:<tag>`, as kubeadm's `GetGenericImage`.
pub(crate) fn image(repository: &str, name: &str, tag: &str) -> String {
    format!("{repository}/{name}:{tag}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Secret;

    #[test]
    fn hash_covers_values_in_key_order() {
        let data = string_map(&[("b", "2"), ("a", "1")]);
        let expected = format!("sha256:{}", hex::encode(Sha256::digest(b"12")));
        assert_eq!(component_config_hash(&data, &BTreeMap::new()), expected);
    }

    #[test]
    fn debug_shows_names_only() {
        let secret = Secret {
            metadata: meta("bootstrap-token-abcdef", Some(KUBE_SYSTEM)),
            string_data: Some(string_map(&[("token-secret", "0123456789abcdef")])),
            ..Default::default()
        };
        let o = AnyObject::Secret(secret);
        assert_eq!(format!("{o:?}"), "AnyObject(Secret kube-system/bootstrap-token-abcdef)");
        assert!(o.is_secret());
        assert_eq!((o.api_version(), o.kind(), o.namespace(), o.name()), ("v1", "Secret", Some("kube-system"), "bootstrap-token-abcdef"));
        assert_eq!(o.to_json()["kind"], "Secret");
    }

    #[test]
    fn unstructured_needs_identity() {
        assert!(Unstructured::new(serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}})).is_ok());
        assert_eq!(Unstructured::new(serde_json::json!({"kind": "X"})).unwrap_err(), "has no apiVersion");
        assert_eq!(Unstructured::new(serde_json::json!({"apiVersion": "v1", "kind": "X", "metadata": {}})).unwrap_err(), "has no metadata.name");
    }

    #[test]
    fn base64_is_standard() {
        assert_eq!(base64(b"abcdef"), "YWJjZGVm");
        assert_eq!(base64(b"0123456789abcdef"), "MDEyMzQ1Njc4OWFiY2RlZg==");
    }
}
