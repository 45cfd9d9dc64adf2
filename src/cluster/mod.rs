//! The API server, through kube-rs: clients from kubeconfig files, server-side
//! apply with an honest outcome, retries with backoff, health endpoints.

pub mod error;
pub mod etcd;

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::{ApiResource, GroupVersionKind};
use std::path::Path;
use std::time::{Duration, Instant};

pub use error::{ClusterError, ErrorClass};

/// The field manager kubelift's server-side applies use.
pub const FIELD_MANAGER: &str = "kubelift";

/// kubeadm's API retry interval, and the cap kubelift's backoff grows to.
const FIRST_RETRY: Duration = Duration::from_millis(500);
const MAX_RETRY: Duration = Duration::from_secs(5);

/// A client and the server it talks to (for messages).
#[derive(Clone)]
pub struct Cluster {
    pub client: kube::Client,
    pub server: String,
    /// How long transient failures are retried before giving up.
    pub patience: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Created,
    Updated,
    Unchanged,
}

/// Installs the TLS provider once: kube-rs leaves the choice to the program.
fn tls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    });
}

impl Cluster {
    /// A client authenticated by a kubeconfig file (admin.conf, kubelet.conf, …).
    pub async fn from_kubeconfig(path: &Path, patience: Duration) -> Result<Cluster, ClusterError> {
        let action = format!("read {}", path.display());
        let kubeconfig = Kubeconfig::read_from(path).map_err(|e| ClusterError::new(ErrorClass::Other, &action, "-", e.to_string()))?;
        Self::from_parsed(kubeconfig, &action, patience).await
    }

    /// A client from a kubeconfig held in memory (a bootstrap token's, which
    /// kubelift need not write to disk).
    pub async fn from_kubeconfig_yaml(yaml: &str, patience: Duration) -> Result<Cluster, ClusterError> {
        let action = "read the bootstrap kubeconfig";
        let kubeconfig = Kubeconfig::from_yaml(yaml).map_err(|e| ClusterError::new(ErrorClass::Other, action, "-", e.to_string()))?;
        Self::from_parsed(kubeconfig, action, patience).await
    }

    async fn from_parsed(kubeconfig: Kubeconfig, action: &str, patience: Duration) -> Result<Cluster, ClusterError> {
        tls_provider();
        let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .map_err(|e| ClusterError::new(ErrorClass::Other, action, "-", e.to_string()))?;
        config.connect_timeout = Some(Duration::from_secs(5));
        config.read_timeout = Some(Duration::from_secs(15));
        config.default_retry = false; // retries are ours, with a deadline
        let server = config.cluster_url.to_string();
        let client = kube::Client::try_from(config).map_err(|e| ClusterError::from_kube("build a client", &server, &e))?;
        Ok(Cluster { client, server, patience })
    }

    /// An anonymous client that does not verify the server: for the health
    /// endpoints of the controller-manager and scheduler, which serve with
    /// self-signed certificates and allow /healthz anonymously, and for the
    /// first, untrusted fetch of cluster-info during discovery.
    pub fn insecure(url: &str) -> Result<Cluster, ClusterError> {
        Self::anonymous(url, None)
    }

    /// An anonymous client; with `roots`, it trusts exactly those CA
    /// certificates (DER), without them it verifies nothing.
    pub fn anonymous(url: &str, roots: Option<Vec<Vec<u8>>>) -> Result<Cluster, ClusterError> {
        tls_provider();
        let uri: http::Uri = url.parse().map_err(|e| ClusterError::new(ErrorClass::Other, "parse URL", url, format!("{e}")))?;
        let mut config = kube::Config::new(uri);
        config.accept_invalid_certs = roots.is_none();
        config.root_cert = roots;
        config.connect_timeout = Some(Duration::from_secs(5));
        config.read_timeout = Some(Duration::from_secs(10));
        config.default_retry = false;
        let client = kube::Client::try_from(config).map_err(|e| ClusterError::from_kube("build a client", url, &e))?;
        Ok(Cluster { client, server: url.into(), patience: Duration::ZERO })
    }

    /// GET a raw path once (health checks decide themselves how to retry).
    pub async fn get_raw(&self, path: &str) -> Result<String, ClusterError> {
        let request = http::Request::get(path).body(Vec::new()).expect("a GET request builds");
        self.client.request_text(request).await.map_err(|e| ClusterError::from_kube(&format!("GET {path}"), &self.server, &e))
    }

    /// Retries `op` on transient errors with exponential backoff until `patience` runs out.
    pub async fn retry<T, F, Fut>(&self, action: &str, mut op: F) -> Result<T, ClusterError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, kube::Error>>,
    {
        let started = Instant::now();
        let mut wait = FIRST_RETRY;
        loop {
            match op().await {
                Ok(v) => return Ok(v),
                Err(e) => {
                    let err = ClusterError::from_kube(action, &self.server, &e);
                    if err.class != ErrorClass::Transient || started.elapsed() + wait > self.patience {
                        return Err(err);
                    }
                    tracing::debug!("{err}; retrying in {wait:?}");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(MAX_RETRY);
                }
            }
        }
    }

    /// Server-side applies one object (JSON with apiVersion, kind, metadata)
    /// and reports whether the server's copy changed, in one round trip: the
    /// answer says when the object was created and when kubelift's fields
    /// last changed (its managedFields entry), which is all the outcome needs.
    pub async fn apply(&self, object: &serde_json::Value) -> Result<Applied, ClusterError> {
        let target = ObjectRef::of(object)?;
        let api = self.api_for(&target);
        let action = format!("apply {target}");
        // Server timestamps have whole seconds; a second of slack covers the rounding.
        let since = k8s_openapi::jiff::Timestamp::now() - k8s_openapi::jiff::SignedDuration::from_secs(1);
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let patch = Patch::Apply(object);
        let after = self.retry(&action, || api.patch(&target.name, &params, &patch)).await?;
        Ok(outcome(&after.metadata, since))
    }

    /// Merge-patches an existing object (labels, taints, annotations).
    pub async fn merge_patch(&self, target: &ObjectRef, patch: &serde_json::Value) -> Result<Applied, ClusterError> {
        let api = self.api_for(target);
        let action = format!("patch {target}");
        let before = self.retry(&action, || api.get(&target.name)).await?.metadata.resource_version;
        let params = PatchParams::default();
        let merge = Patch::Merge(patch);
        let after = self.retry(&action, || api.patch(&target.name, &params, &merge)).await?;
        Ok(if before == after.metadata.resource_version { Applied::Unchanged } else { Applied::Updated })
    }

    pub fn api_for(&self, target: &ObjectRef) -> Api<DynamicObject> {
        let resource = ApiResource::from_gvk(&target.gvk);
        match &target.namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &resource),
            None => Api::all_with(self.client.clone(), &resource),
        }
    }
}

/// Created when the object is younger than `since`; updated when kubelift's
/// apply entry changed since then; else the server kept it as it was.
fn outcome(meta: &kube::api::ObjectMeta, since: k8s_openapi::jiff::Timestamp) -> Applied {
    let recent = |t: &Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>| t.as_ref().is_some_and(|t| t.0 >= since);
    if recent(&meta.creation_timestamp) {
        return Applied::Created;
    }
    let ours = meta.managed_fields.iter().flatten().find(|m| m.manager.as_deref() == Some(FIELD_MANAGER) && m.operation.as_deref() == Some("Apply"));
    if ours.is_some_and(|m| recent(&m.time)) {
        Applied::Updated
    } else {
        Applied::Unchanged
    }
}

/// Which object: group/version/kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub gvk: GroupVersionKind,
    pub namespace: Option<String>,
    pub name: String,
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {ns}/{}", self.gvk.kind, self.name),
            None => write!(f, "{} {}", self.gvk.kind, self.name),
        }
    }
}

impl ObjectRef {
    pub fn new(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> ObjectRef {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        ObjectRef { gvk: GroupVersionKind::gvk(group, version, kind), namespace: namespace.map(Into::into), name: name.into() }
    }

    pub fn of(object: &serde_json::Value) -> Result<ObjectRef, ClusterError> {
        let field = |path: &[&str]| path.iter().try_fold(object, |v, k| v.get(k)).and_then(|v| v.as_str());
        match (field(&["apiVersion"]), field(&["kind"]), field(&["metadata", "name"])) {
            (Some(v), Some(k), Some(n)) => Ok(ObjectRef::new(v, k, field(&["metadata", "namespace"]), n)),
            _ => Err(ClusterError::new(ErrorClass::Invalid, "apply an object", "-", "the object lacks apiVersion, kind or metadata.name")),
        }
    }

    pub fn api_version(&self) -> String {
        if self.gvk.group.is_empty() {
            self.gvk.version.clone()
        } else {
            format!("{}/{}", self.gvk.group, self.gvk.version)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_from_timestamps() {
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ManagedFieldsEntry, Time};
        use k8s_openapi::jiff::{SignedDuration, Timestamp};
        let now = Timestamp::now();
        let long_ago = Some(Time(now - SignedDuration::from_secs(3600)));
        let entry = |time| ManagedFieldsEntry { manager: Some(FIELD_MANAGER.into()), operation: Some("Apply".into()), time, ..Default::default() };
        let meta = |created, fields| kube::api::ObjectMeta { creation_timestamp: created, managed_fields: Some(vec![fields]), ..Default::default() };
        let since = now - SignedDuration::from_secs(1);
        assert_eq!(outcome(&meta(Some(Time(now)), entry(Some(Time(now)))), since), Applied::Created);
        assert_eq!(outcome(&meta(long_ago.clone(), entry(Some(Time(now)))), since), Applied::Updated);
        assert_eq!(outcome(&meta(long_ago.clone(), entry(long_ago)), since), Applied::Unchanged);
    }

    #[test]
    fn object_refs_from_json() {
        let cm = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "kube-system"}});
        let r = ObjectRef::of(&cm).unwrap();
        assert_eq!(r.to_string(), "ConfigMap kube-system/x");
        assert_eq!(r.api_version(), "v1");
        let crb = ObjectRef::new("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", None, "b");
        assert_eq!(crb.api_version(), "rbac.authorization.k8s.io/v1");
        assert!(ObjectRef::of(&serde_json::json!({"kind": "x"})).is_err());
    }
}
