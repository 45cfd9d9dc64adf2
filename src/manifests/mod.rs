//! Static Pod manifests of the control plane, byte for byte as kubeadm writes them
//! (kubeadm-facts §3): one skeleton, kubeadm's probes and volume rules, flags
//! sorted by name with `extraArgs` overriding, `extraVolumes` and `extraEnvs`
//! honoured. Per-version differences come from the version table.

mod apiserver;
mod controller_manager;
mod etcd;
mod scheduler;


use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

use crate::config::args::ExtraArgs;
use crate::config::{EnvVar, HostPathMount, InitSettings};
use crate::engine::WriteGate;

pub use etcd::data_dir as etcd_data_dir;
pub use etcd::{Membership as EtcdMembership, ADVERTISE_CLIENT_URLS_ANNOTATION};

/// Where kubeadm's static Pod manifests live.
pub const MANIFESTS_DIR: &str = "/etc/kubernetes/manifests";
pub const MANIFESTS_DIR_MODE: u32 = 0o700;
pub const MANIFEST_MODE: u32 = 0o600;
/// The kubeconfigs the control-plane components read (always under /etc/kubernetes).
pub const KUBERNETES_DIR: &str = "/etc/kubernetes";

/// Answers "does this host path exist?" for the host-dependent parts of a
/// manifest (optional CA directories, external-CA mode). The write gate answers
/// for the run's root; tests answer from a fixed set.
pub trait HostFiles {
    fn exists(&self, host_path: &str) -> bool;
}

impl HostFiles for WriteGate {
    fn exists(&self, host_path: &str) -> bool {
        WriteGate::exists(self, host_path)
    }
}

/// A fixed set of existing host paths, for tests and previews.
#[derive(Debug, Clone, Default)]
pub struct PathSet(pub BTreeSet<String>);

impl PathSet {
    pub fn of(paths: &[&str]) -> PathSet {
        PathSet(paths.iter().map(|p| p.to_string()).collect())
    }
}

impl HostFiles for PathSet {
    fn exists(&self, host_path: &str) -> bool {
        self.0.contains(host_path)
    }
}

/// What a manifest depends on beyond the configuration.
pub struct Inputs<'a> {
    pub host: &'a dyn HostFiles,
    /// `*_proxy` variables (any case, non-empty) kubeadm copies from its own
    /// environment into kube-apiserver, kube-controller-manager and kube-scheduler.
    pub proxy_env: Vec<(String, String)>,
}

impl<'a> Inputs<'a> {
    /// The inputs of a real run: this process's proxy variables.
    pub fn from_process(host: &'a dyn HostFiles) -> Inputs<'a> {
        Inputs { host, proxy_env: proxy_env(std::env::vars()) }
    }
}

/// kubeadm's GetProxyEnvVars: names ending in `_proxy`, any case, non-empty value.
pub fn proxy_env(vars: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    vars.into_iter().filter(|(k, v)| k.to_lowercase().ends_with("_proxy") && !v.is_empty()).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    ApiServer,
    ControllerManager,
    Scheduler,
    Etcd,
}

impl Component {
    pub const ALL: [Component; 4] = [Component::ApiServer, Component::ControllerManager, Component::Scheduler, Component::Etcd];

    pub fn name(self) -> &'static str {
        match self {
            Component::ApiServer => "kube-apiserver",
            Component::ControllerManager => "kube-controller-manager",
            Component::Scheduler => "kube-scheduler",
            Component::Etcd => "etcd",
        }
    }

    /// `/etc/kubernetes/manifests/<name>.yaml`.
    pub fn path(self) -> String {
        format!("{MANIFESTS_DIR}/{}.yaml", self.name())
    }
}

/// A rendered manifest and what kubeadm would warn about while rendering it.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub component: Component,
    pub path: String,
    pub yaml: String,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot render the {component} static Pod manifest: {message}")]
pub struct ManifestError {
    pub component: &'static str,
    pub message: String,
    pub fix: String,
}

/// Renders one component's manifest for resolved settings.
pub fn render(component: Component, settings: &InitSettings, inputs: &Inputs<'_>) -> Result<Manifest, ManifestError> {
    let mut warnings = vec![];
    let pod = match component {
        Component::ApiServer => apiserver::pod(settings, inputs, &mut warnings)?,
        Component::ControllerManager => controller_manager::pod(settings, inputs),
        Component::Scheduler => scheduler::pod(settings, inputs),
        Component::Etcd => etcd::pod(settings, etcd::Membership::New)?,
    };
    Ok(Manifest { component, path: component.path(), yaml: crate::goyaml::to_string(&pod.to_value()), warnings })
}

/// The etcd manifest of a member joining an existing cluster (`members`: name
/// and peer URL of every member, this one included, as MemberAdd returned them).
pub fn render_joining_etcd(settings: &InitSettings, members: &[(String, String)]) -> Result<Manifest, ManifestError> {
    let pod = etcd::pod(settings, etcd::Membership::Join(members))?;
    Ok(Manifest { component: Component::Etcd, path: Component::Etcd.path(), yaml: crate::goyaml::to_string(&pod.to_value()), warnings: vec![] })
}

// ---------------------------------------------------------------------------
// Flags

/// kubeadm's ArgumentsToCommand: an override removes every default of the same
/// name; the result is sorted by name, then value, and printed `--name=value`.
pub fn arguments_to_command(defaults: &[(String, String)], overrides: &ExtraArgs) -> Vec<String> {
    let overridden: BTreeSet<&str> = overrides.args.iter().map(|a| a.name.as_str()).collect();
    let mut args: Vec<(&str, &str)> = overrides.args.iter().map(|a| (a.name.as_str(), a.value.as_str())).collect();
    args.extend(defaults.iter().filter(|(n, _)| !overridden.contains(n.as_str())).map(|(n, v)| (n.as_str(), v.as_str())));
    args.sort();
    args.into_iter().map(|(n, v)| format!("--{n}={v}")).collect()
}

/// Default flags as (name, value) pairs, built in kubeadm's words.
#[derive(Default)]
pub(crate) struct Flags(Vec<(String, String)>);

impl Flags {
    pub(crate) fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.retain(|(n, _)| n != name);
        self.0.push((name.to_string(), value.into()));
    }

    pub(crate) fn command(&self, binary: &str, overrides: &ExtraArgs) -> Vec<String> {
        let mut command = vec![binary.to_string()];
        command.extend(arguments_to_command(&self.0, overrides));
        command
    }
}

// ---------------------------------------------------------------------------
// Probes

/// kubeadm's probe helpers (kubeadm-facts §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    /// Empty means "the Pod's IP" (kubeadm leaves `host` out).
    pub host: String,
    pub port: u16,
    pub scheme: &'static str,
}

const PROBE_PERIOD_SECONDS: u64 = 10;

pub(crate) fn probe(kind: ProbeKind, endpoint: &Endpoint, path: &str, settings: &InitSettings) -> Value {
    let mut http = Map::new();
    if !endpoint.host.is_empty() {
        http.insert("host".into(), json!(endpoint.host));
    }
    http.insert("path".into(), json!(path));
    http.insert("port".into(), json!(endpoint.port));
    http.insert("scheme".into(), json!(endpoint.scheme));
    let (initial_delay, failure_threshold, period) = match kind {
        ProbeKind::Liveness => (10, 8, PROBE_PERIOD_SECONDS),
        ProbeKind::Readiness => (0, 3, 1),
        // Enough periods to cover the control-plane timeout (4m → 24).
        ProbeKind::Startup => (10, settings.control_plane_timeout().as_secs().div_ceil(PROBE_PERIOD_SECONDS), PROBE_PERIOD_SECONDS),
    };
    let mut probe = json!({
        "failureThreshold": failure_threshold,
        "httpGet": Value::Object(http),
        "periodSeconds": period,
        "timeoutSeconds": 15,
    });
    if initial_delay > 0 {
        probe["initialDelaySeconds"] = json!(initial_delay);
    }
    probe
}

/// A probe host as kubeadm derives it from a bind address: the wildcard
/// addresses mean "no host" (the kubelet then uses the Pod IP).
pub(crate) fn probe_host(bind_address: &str) -> String {
    match bind_address {
        "0.0.0.0" | "::" => String::new(),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Volumes

/// A hostPath volume and its mount at the same path in the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostPathVolume {
    pub name: String,
    pub host_path: String,
    pub mount_path: String,
    pub read_only: bool,
    /// kubeadm always sets the type; an extra volume without `pathType` gets `""`.
    pub path_type: String,
}

pub(crate) const DIRECTORY_OR_CREATE: &str = "DirectoryOrCreate";
pub(crate) const FILE_OR_CREATE: &str = "FileOrCreate";

impl HostPathVolume {
    pub(crate) fn new(name: &str, path: &str, read_only: bool, path_type: &str) -> HostPathVolume {
        HostPathVolume { name: name.into(), host_path: path.into(), mount_path: path.into(), read_only, path_type: path_type.into() }
    }

    fn from_extra(m: &HostPathMount) -> HostPathVolume {
        HostPathVolume {
            name: m.name.clone(),
            host_path: m.host_path.clone(),
            mount_path: m.mount_path.clone(),
            read_only: m.read_only,
            path_type: m.path_type.clone(),
        }
    }

    fn volume(&self) -> Value {
        json!({"hostPath": {"path": self.host_path, "type": self.path_type}, "name": self.name})
    }

    fn mount(&self) -> Value {
        let mut m = json!({"mountPath": self.mount_path, "name": self.name});
        if self.read_only {
            m["readOnly"] = json!(true);
        }
        m
    }
}

/// Volumes by name: kubeadm keeps them in a map, so an extra volume of the same
/// name replaces a default one, and the Pod lists them sorted by name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Volumes(BTreeMap<String, HostPathVolume>);

impl Volumes {
    pub(crate) fn add(&mut self, v: HostPathVolume) {
        self.0.insert(v.name.clone(), v);
    }

    pub(crate) fn add_extra(&mut self, extra: &[HostPathMount]) {
        for m in extra {
            self.add(HostPathVolume::from_extra(m));
        }
    }

    /// The CA certificate directories kubeadm mounts into kube-apiserver and
    /// kube-controller-manager: /etc/ssl/certs always, the version's optional
    /// CA directories only when they exist on this host.
    pub(crate) fn add_ca_certs(&mut self, settings: &InitSettings, host: &dyn HostFiles) {
        self.add(HostPathVolume::new("ca-certs", "/etc/ssl/certs", true, DIRECTORY_OR_CREATE));
        for (name, path) in &settings.version_info().ca_cert_volumes {
            if host.exists(path) {
                self.add(HostPathVolume::new(name, path, true, DIRECTORY_OR_CREATE));
            }
        }
    }

    pub(crate) fn sorted(&self) -> Vec<&HostPathVolume> {
        self.0.values().collect()
    }
}

// ---------------------------------------------------------------------------
// Environment

/// kubeadm's MergeKubeadmEnvVars: later lists override earlier ones by name.
/// kubeadm leaves the order to Go's map iteration; kubelift sorts by name so
/// that the file is the same on every run.
pub(crate) fn merge_env(proxy: &[(String, String)], extra: &[EnvVar]) -> Vec<Value> {
    let mut merged: BTreeMap<String, Value> = BTreeMap::new();
    for (name, value) in proxy {
        merged.insert(name.clone(), json!({"name": name, "value": value}));
    }
    for e in extra {
        let mut v = json!({"name": e.name});
        if !e.value.is_empty() {
            v["value"] = json!(e.value);
        }
        if let Some(from) = &e.value_from {
            v["valueFrom"] = serde_json::to_value(from).unwrap_or(Value::Null);
        }
        merged.insert(e.name.clone(), v);
    }
    merged.into_values().collect()
}

// ---------------------------------------------------------------------------
// The Pod skeleton

/// One control-plane Pod, before serialization.
pub(crate) struct StaticPod {
    pub name: &'static str,
    pub image: String,
    pub command: Vec<String>,
    pub env: Vec<Value>,
    pub liveness: Option<Value>,
    pub readiness: Option<Value>,
    pub startup: Option<Value>,
    pub requests: Value,
    /// Mounts in the order the container lists them.
    pub mounts: Vec<HostPathVolume>,
    pub volumes: Volumes,
    pub annotations: BTreeMap<String, String>,
}

impl StaticPod {
    /// kubeadm's ComponentPod: the same metadata, host networking, priority and
    /// seccomp profile for every component; `creationTimestamp: null` and
    /// `status: {}` come from serializing an empty ObjectMeta time and status.
    pub(crate) fn to_value(&self) -> Value {
        let mut container = json!({
            "command": self.command,
            "image": self.image,
            "imagePullPolicy": "IfNotPresent",
            "name": self.name,
            "resources": {"requests": self.requests},
            "volumeMounts": self.mounts.iter().map(HostPathVolume::mount).collect::<Vec<_>>(),
        });
        if !self.env.is_empty() {
            container["env"] = json!(self.env);
        }
        for (key, probe) in [("livenessProbe", &self.liveness), ("readinessProbe", &self.readiness), ("startupProbe", &self.startup)] {
            if let Some(p) = probe {
                container[key] = p.clone();
            }
        }
        let mut metadata = json!({
            "creationTimestamp": null,
            "labels": {"component": self.name, "tier": "control-plane"},
            "name": self.name,
            "namespace": "kube-system",
        });
        if !self.annotations.is_empty() {
            metadata["annotations"] = json!(self.annotations);
        }
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": metadata,
            "spec": {
                "containers": [container],
                "hostNetwork": true,
                "priorityClassName": "system-node-critical",
                "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                "volumes": self.volumes.sorted().into_iter().map(HostPathVolume::volume).collect::<Vec<_>>(),
            },
            "status": {},
        })
    }
}

/// `<repository>/<name>:<tag>`; kubeadm replaces `+` in version tags by `_`.
pub fn image(repository: &str, name: &str, tag: &str) -> String {
    format!("{repository}/{name}:{}", tag.replace('+', "_"))
}

/// The image of kube-apiserver, kube-controller-manager and kube-scheduler.
pub(crate) fn control_plane_image(settings: &InitSettings, name: &str) -> String {
    image(&settings.cluster.image_repository, name, &settings.cluster.kubernetes_version)
}

/// `<certificatesDir>/<file>`.
pub(crate) fn cert_path(settings: &InitSettings, file: &str) -> String {
    cert_path_of(&settings.cluster.certificates_dir, file)
}

pub fn cert_path_of(certificates_dir: &str, file: &str) -> String {
    format!("{}/{file}", certificates_dir.trim_end_matches('/'))
}

#[cfg(test)]
mod tests;
