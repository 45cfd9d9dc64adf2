//! kubeadm-compatible configuration: read, override with flags, default, validate.
//!
//! The flow is the same for the TUI and the headless mode (one config type,
//! as in the Proxmox installer): `load` a file or start from the embedded
//! defaults, apply `InitOverrides` from flags or form fields, then `resolve`,
//! which fills kubeadm's defaults and runs every validation rule at once.

pub mod args;
pub mod defaults;
pub mod detect;
pub mod duration;
pub mod error;
pub mod load;
pub mod types;
pub mod validate;
pub mod version;

use ipnet::IpNet;
use serde_yaml::{Mapping, Value};
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

pub use detect::HostDefaults;
pub use error::{ConfigErrors, FieldError};
pub use types::*;
pub use version::ApiVersion;

use crate::secret::SecretString;
use crate::versions::{self, VersionInfo};

pub(crate) fn yaml_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// Everything an `init` run is configured by.
#[derive(Debug, Clone)]
pub struct InitSettings {
    /// The kubeadm API version the settings were read in (and are printed in).
    pub version: ApiVersion,
    pub init: InitConfiguration,
    pub cluster: ClusterConfiguration,
    /// A user's `KubeletConfiguration`, merged over kubeadm's values.
    pub kubelet: Option<Mapping>,
    pub kube_proxy: Option<Mapping>,
    /// `--upload-certs`: put the shared certificates in the kubeadm-certs Secret.
    pub upload_certs: bool,
    /// `--pod-network-manifest`: a pod network add-on's manifest to apply after the add-ons.
    pub pod_network_manifest: Option<std::path::PathBuf>,
    /// Where the settings came from, for messages.
    pub source: String,
    pub warnings: Vec<String>,
    /// Problems found while reading the file, reported by `resolve` together
    /// with the validation errors so that one run shows every mistake.
    pub(crate) read_errors: Vec<FieldError>,
}

/// Flag values that override the file (the CLI and the TUI form both fill this).
#[derive(Debug, Clone, Default)]
pub struct InitOverrides {
    pub advertise_address: Option<String>,
    pub bind_port: Option<u16>,
    pub node_name: Option<String>,
    pub cri_socket: Option<String>,
    pub kubernetes_version: Option<String>,
    pub control_plane_endpoint: Option<String>,
    pub pod_network_cidr: Option<String>,
    pub service_cidr: Option<String>,
    pub service_dns_domain: Option<String>,
    pub cert_sans: Vec<String>,
    pub cert_dir: Option<String>,
    pub image_repository: Option<String>,
    pub token: Option<SecretString>,
    pub token_ttl: Option<String>,
    pub certificate_key: Option<SecretString>,
    pub encryption_algorithm: Option<String>,
    pub skip_phases: Vec<String>,
    pub ignore_preflight_errors: Vec<String>,
    pub upload_certs: bool,
    pub pod_network_manifest: Option<std::path::PathBuf>,
}

fn set(field: &mut String, value: &Option<String>) {
    if let Some(v) = value {
        *field = v.clone();
    }
}

impl InitSettings {
    /// The starting point when no file is given: kubeadm's defaults in v1beta4.
    pub fn empty() -> InitSettings {
        let version = ApiVersion::V1beta4;
        InitSettings {
            version,
            init: InitConfiguration { api_version: version.as_str().into(), kind: "InitConfiguration".into(), ..Default::default() },
            cluster: ClusterConfiguration { api_version: version.as_str().into(), kind: "ClusterConfiguration".into(), ..Default::default() },
            kubelet: None,
            kube_proxy: None,
            upload_certs: false,
            pod_network_manifest: None,
            source: "defaults".into(),
            warnings: vec![],
            read_errors: vec![],
        }
    }

    /// Reads a kubeadm config file for init.
    pub fn load(path: &Path) -> Result<InitSettings, ConfigErrors> {
        let source = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigErrors {
            file: source.clone(),
            errors: vec![FieldError::new("", "", format!("cannot read the file: {e}"), "check the path given to --config")],
        })?;
        Self::parse(&text, &source)
    }

    pub fn parse(text: &str, source: &str) -> Result<InitSettings, ConfigErrors> {
        let (docs, mut errors) = load::parse(text);
        if docs.init.is_none() && docs.cluster.is_none() && errors.is_empty() {
            errors.push(FieldError::new("", "", "no InitConfiguration or ClusterConfiguration kind was found", "add a document with `kind: InitConfiguration` or `kind: ClusterConfiguration`"));
        }
        if docs.join.is_some() {
            errors.push(FieldError::new("JoinConfiguration", "kind", "a JoinConfiguration cannot configure init", "use it with `kubelift join --config`"));
        }
        if docs.init.is_none() && docs.cluster.is_none() {
            return Err(ConfigErrors { file: source.into(), errors });
        }
        let mut s = InitSettings::empty();
        s.read_errors = errors;
        s.version = docs.version.unwrap_or(ApiVersion::V1beta4);
        s.init = docs.init.unwrap_or(s.init);
        s.cluster = docs.cluster.unwrap_or(s.cluster);
        s.init.api_version = s.version.as_str().into();
        s.init.kind = "InitConfiguration".into();
        s.cluster.api_version = s.version.as_str().into();
        s.cluster.kind = "ClusterConfiguration".into();
        s.kubelet = docs.kubelet;
        s.kube_proxy = docs.kube_proxy;
        s.source = source.into();
        s.warnings = docs.warnings;
        Ok(s)
    }

    /// Flags win over the file.
    pub fn apply(&mut self, o: &InitOverrides) {
        let (init, cl) = (&mut self.init, &mut self.cluster);
        set(&mut init.local_api_endpoint.advertise_address, &o.advertise_address);
        if let Some(p) = o.bind_port {
            init.local_api_endpoint.bind_port = i64::from(p);
        }
        set(&mut init.node_registration.name, &o.node_name);
        set(&mut init.node_registration.cri_socket, &o.cri_socket);
        set(&mut cl.kubernetes_version, &o.kubernetes_version);
        set(&mut cl.control_plane_endpoint, &o.control_plane_endpoint);
        set(&mut cl.networking.pod_subnet, &o.pod_network_cidr);
        set(&mut cl.networking.service_subnet, &o.service_cidr);
        set(&mut cl.networking.dns_domain, &o.service_dns_domain);
        cl.api_server.cert_sans.extend(o.cert_sans.iter().cloned());
        set(&mut cl.certificates_dir, &o.cert_dir);
        set(&mut cl.image_repository, &o.image_repository);
        set(&mut cl.encryption_algorithm, &o.encryption_algorithm);
        if o.token.is_some() || o.token_ttl.is_some() {
            if init.bootstrap_tokens.is_empty() {
                init.bootstrap_tokens.push(BootstrapToken::default());
            }
            let first = &mut init.bootstrap_tokens[0];
            if let Some(t) = &o.token {
                first.token = t.clone();
            }
            set(&mut first.ttl, &o.token_ttl);
        }
        if let Some(k) = &o.certificate_key {
            init.certificate_key = k.clone();
        }
        init.skip_phases.extend(o.skip_phases.iter().cloned());
        init.node_registration.ignore_preflight_errors.extend(o.ignore_preflight_errors.iter().cloned());
        self.upload_certs |= o.upload_certs;
        if o.pod_network_manifest.is_some() {
            self.pod_network_manifest = o.pod_network_manifest.clone();
        }
    }

    /// Fills kubeadm's defaults and validates everything, reporting all errors.
    pub fn resolve(mut self, host: &HostDefaults) -> Result<InitSettings, ConfigErrors> {
        defaults::init_configuration(&mut self.init, host);
        defaults::cluster_configuration(&mut self.cluster, self.version);
        let mut errors = std::mem::take(&mut self.read_errors);
        errors.extend(validate::init_configuration(&self.init));
        errors.extend(validate::cluster_configuration(&self.cluster));
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(ConfigErrors { file: self.source, errors })
        }
    }

    /// The documents as a kubeadm config file in the settings' API version.
    pub fn to_yaml(&self) -> String {
        let mut docs = vec![to_yaml_doc(&self.init), to_yaml_doc(&self.cluster)];
        for (api_version, kind, map) in [
            (load::KUBELET_API_VERSION, "KubeletConfiguration", &self.kubelet),
            (load::KUBE_PROXY_API_VERSION, "KubeProxyConfiguration", &self.kube_proxy),
        ] {
            if let Some(map) = map {
                let mut m = map.clone();
                m.insert("apiVersion".into(), api_version.into());
                m.insert("kind".into(), kind.into());
                docs.push(to_yaml_doc(&m));
            }
        }
        docs.join("---\n")
    }

    /// Identifies the configuration a run used, without its secrets (random
    /// default tokens would otherwise make every run look new).
    pub fn fingerprint(&self) -> String {
        let mut redacted = self.clone();
        for t in &mut redacted.init.bootstrap_tokens {
            t.token = SecretString::default();
        }
        redacted.init.certificate_key = SecretString::default();
        let text = format!("{}upload-certs: {}\n", redacted.to_yaml(), self.upload_certs);
        crate::engine::gate::sha256_hex(text.as_bytes())
    }

    // Resolved accessors: valid after `resolve`.

    pub fn version_info(&self) -> &'static VersionInfo {
        versions::lookup(&self.cluster.kubernetes_version).unwrap_or_else(versions::newest)
    }

    pub fn service_subnets(&self) -> Vec<IpNet> {
        validate::parse_cidrs(&self.cluster.networking.service_subnet).unwrap_or_default()
    }

    /// The `kubernetes` Service IP: the first address of the first service subnet.
    pub fn api_service_ip(&self) -> Option<IpAddr> {
        self.service_subnets().first().and_then(|n| nth_address(n, 1))
    }

    /// The cluster DNS Service IP: the tenth address of the first service subnet.
    pub fn dns_service_ip(&self) -> Option<IpAddr> {
        self.service_subnets().first().and_then(|n| nth_address(n, 10))
    }

    pub fn advertise_address(&self) -> Option<IpAddr> {
        self.init.local_api_endpoint.advertise_address.parse().ok()
    }

    pub fn bind_port(&self) -> u16 {
        u16::try_from(self.init.local_api_endpoint.bind_port).unwrap_or(6443)
    }

    /// The endpoint kubeconfigs and join commands use: controlPlaneEndpoint
    /// (with the bind port added when it has none), else advertiseAddress:bindPort.
    pub fn control_plane_endpoint(&self) -> String {
        let ep = &self.cluster.control_plane_endpoint;
        match validate::split_host_port(ep) {
            Some((host, Some(port))) if !ep.is_empty() => join_host_port(&host, port),
            Some((host, None)) if !ep.is_empty() => join_host_port(&host, self.bind_port()),
            _ => join_host_port(&self.init.local_api_endpoint.advertise_address, self.bind_port()),
        }
    }

    pub fn encryption_algorithm(&self) -> &str {
        match self.cluster.encryption_algorithm.as_str() {
            "" if self.cluster.feature_gates.get("PublicKeysECDSA") == Some(&true) => "ECDSA-P256",
            "" => defaults::DEFAULT_ENCRYPTION_ALGORITHM,
            a => a,
        }
    }

    pub fn certificate_validity(&self) -> Duration {
        duration_or(&self.cluster.certificate_validity_period, defaults::DEFAULT_CERT_VALIDITY)
    }

    pub fn ca_certificate_validity(&self) -> Duration {
        duration_or(&self.cluster.ca_certificate_validity_period, defaults::DEFAULT_CA_CERT_VALIDITY)
    }

    pub fn control_plane_timeout(&self) -> Duration {
        let v4 = self.init.timeouts.as_ref().map(|t| t.control_plane_component_health_check.as_str()).unwrap_or("");
        let text = if v4.is_empty() { &self.cluster.api_server.timeout_for_control_plane } else { v4 };
        duration_or(text, defaults::DEFAULT_CONTROL_PLANE_TIMEOUT)
    }
}

fn duration_or(text: &str, default: &str) -> Duration {
    duration::parse(text).or_else(|_| duration::parse(default)).unwrap_or_default()
}

pub fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The n-th address of a network (n = 1 is the first after the network address).
pub fn nth_address(net: &IpNet, n: u32) -> Option<IpAddr> {
    match net {
        IpNet::V4(v4) => {
            let base = u32::from(v4.network());
            let ip = std::net::Ipv4Addr::from(base.checked_add(n)?);
            v4.contains(&ip).then_some(IpAddr::V4(ip))
        }
        IpNet::V6(v6) => {
            let base = u128::from(v6.network());
            let ip = std::net::Ipv6Addr::from(base.checked_add(u128::from(n))?);
            v6.contains(&ip).then_some(IpAddr::V6(ip))
        }
    }
}

fn to_yaml_doc<T: serde::Serialize>(value: &T) -> String {
    // Sorted keys, as kubeadm's serializer (JSON tags, then YAML) prints them.
    let v = serde_yaml::to_value(value).expect("config types serialize");
    serde_yaml::to_string(&sort_keys(v)).expect("YAML values serialize")
}

fn sort_keys(v: Value) -> Value {
    match v {
        Value::Mapping(m) => {
            let mut entries: Vec<(Value, Value)> = m.into_iter().map(|(k, v)| (k, sort_keys(v))).collect();
            entries.sort_by(|a, b| a.0.as_str().cmp(&b.0.as_str()));
            Value::Mapping(entries.into_iter().collect())
        }
        Value::Sequence(s) => Value::Sequence(s.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

/// Everything a `join` run is configured by.
#[derive(Debug, Clone)]
pub struct JoinSettings {
    pub version: ApiVersion,
    pub join: JoinConfiguration,
    /// Let the kubelet do TLS bootstrap (kubeadm's way) instead of kubelift.
    pub kubelet_bootstraps: bool,
    pub source: String,
    pub warnings: Vec<String>,
    pub(crate) read_errors: Vec<FieldError>,
}

/// Flag values that override a JoinConfiguration.
#[derive(Debug, Clone, Default)]
pub struct JoinOverrides {
    pub endpoint: Option<String>,
    pub token: Option<SecretString>,
    pub discovery_token: Option<SecretString>,
    pub tls_bootstrap_token: Option<SecretString>,
    pub ca_cert_hashes: Vec<String>,
    pub unsafe_skip_ca_verification: bool,
    pub discovery_file: Option<String>,
    pub control_plane: bool,
    pub certificate_key: Option<SecretString>,
    pub advertise_address: Option<String>,
    pub bind_port: Option<u16>,
    pub node_name: Option<String>,
    pub cri_socket: Option<String>,
    pub ignore_preflight_errors: Vec<String>,
    pub skip_phases: Vec<String>,
    pub kubelet_bootstraps: bool,
}

impl JoinSettings {
    pub fn empty() -> JoinSettings {
        let version = ApiVersion::V1beta4;
        JoinSettings {
            version,
            join: JoinConfiguration { api_version: version.as_str().into(), kind: "JoinConfiguration".into(), ..Default::default() },
            kubelet_bootstraps: false,
            source: "defaults".into(),
            warnings: vec![],
            read_errors: vec![],
        }
    }

    pub fn parse(text: &str, source: &str) -> Result<JoinSettings, ConfigErrors> {
        let (docs, mut errors) = load::parse(text);
        let Some(mut join) = docs.join else {
            if errors.is_empty() {
                errors.push(FieldError::new("", "", "no JoinConfiguration found in the supplied config", "add a document with `kind: JoinConfiguration`"));
            }
            return Err(ConfigErrors { file: source.into(), errors });
        };
        let version = docs.version.unwrap_or(ApiVersion::V1beta4);
        join.api_version = version.as_str().into();
        Ok(JoinSettings { version, join, kubelet_bootstraps: false, source: source.into(), warnings: docs.warnings, read_errors: errors })
    }

    /// Flags win over the file; a token flag means token discovery.
    pub fn apply(&mut self, o: &JoinOverrides) {
        let j = &mut self.join;
        let discovery_token = o.discovery_token.clone().or_else(|| o.token.clone());
        if o.endpoint.is_some() || discovery_token.is_some() || !o.ca_cert_hashes.is_empty() || o.unsafe_skip_ca_verification {
            let bt = j.discovery.bootstrap_token.get_or_insert_with(Default::default);
            set(&mut bt.api_server_endpoint, &o.endpoint);
            if let Some(t) = discovery_token {
                bt.token = t;
            }
            bt.ca_cert_hashes.extend(o.ca_cert_hashes.iter().cloned());
            bt.unsafe_skip_ca_verification |= o.unsafe_skip_ca_verification;
        }
        if let Some(path) = &o.discovery_file {
            j.discovery.file = Some(FileDiscovery { kube_config_path: path.clone() });
        }
        if let Some(t) = o.tls_bootstrap_token.clone().or_else(|| o.token.clone()) {
            j.discovery.tls_bootstrap_token = t;
        }
        // As kubeadm: only --control-plane (or controlPlane in the file) makes a
        // control-plane join; the address, port and key flags refine it.
        if o.control_plane {
            j.control_plane.get_or_insert_with(Default::default);
        }
        if let Some(cp) = &mut j.control_plane {
            set(&mut cp.local_api_endpoint.advertise_address, &o.advertise_address);
            if let Some(p) = o.bind_port {
                cp.local_api_endpoint.bind_port = i64::from(p);
            }
            if let Some(k) = &o.certificate_key {
                cp.certificate_key = k.clone();
            }
        }
        set(&mut j.node_registration.name, &o.node_name);
        set(&mut j.node_registration.cri_socket, &o.cri_socket);
        j.node_registration.ignore_preflight_errors.extend(o.ignore_preflight_errors.iter().cloned());
        j.skip_phases.extend(o.skip_phases.iter().cloned());
        self.kubelet_bootstraps |= o.kubelet_bootstraps;
    }

    /// How long discovery may take (kubeadm: 5 minutes).
    pub fn discovery_timeout(&self) -> Duration {
        let v4 = self.join.timeouts.as_ref().map(|t| t.discovery.as_str()).unwrap_or("");
        let text = if v4.is_empty() { &self.join.discovery.timeout } else { v4 };
        duration_or(text, defaults::DEFAULT_DISCOVERY_TIMEOUT)
    }

    /// How long TLS bootstrap may take (kubeadm: 5 minutes).
    pub fn tls_bootstrap_timeout(&self) -> Duration {
        let text = self.join.timeouts.as_ref().map(|t| t.tls_bootstrap.as_str()).unwrap_or("");
        duration_or(text, "5m0s")
    }

    /// A fingerprint of the settings without secrets, for resume.
    pub fn fingerprint(&self) -> String {
        let mut redacted = self.join.clone();
        if let Some(bt) = &mut redacted.discovery.bootstrap_token {
            bt.token = SecretString::default();
        }
        redacted.discovery.tls_bootstrap_token = SecretString::default();
        if let Some(cp) = &mut redacted.control_plane {
            cp.certificate_key = SecretString::default();
        }
        crate::engine::gate::sha256_hex(to_yaml_doc(&redacted).as_bytes())
    }

    pub fn resolve(mut self, host: &HostDefaults) -> Result<JoinSettings, ConfigErrors> {
        defaults::join_configuration(&mut self.join, host, self.version);
        let mut errors = std::mem::take(&mut self.read_errors);
        errors.extend(validate::join_configuration(&self.join));
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(ConfigErrors { file: self.source, errors })
        }
    }

    pub fn to_yaml(&self) -> String {
        to_yaml_doc(&self.join)
    }
}

/// What `kubelift config print init-defaults` shows: kubeadm's placeholders
/// (token abcdef.0123456789abcdef, address 1.2.3.4, node `node`), defaulted.
pub fn init_defaults(version: ApiVersion) -> InitSettings {
    let mut s = InitSettings::empty();
    s.version = version;
    s.init.api_version = version.as_str().into();
    s.cluster.api_version = version.as_str().into();
    s.init.bootstrap_tokens.push(BootstrapToken { token: "abcdef.0123456789abcdef".into(), ..Default::default() });
    s.resolve(&HostDefaults::placeholder()).expect("kubeadm's placeholder defaults are valid")
}

pub fn join_defaults(version: ApiVersion) -> JoinSettings {
    let mut s = JoinSettings::empty();
    s.version = version;
    s.join.api_version = version.as_str().into();
    s.join.discovery.bootstrap_token = Some(BootstrapTokenDiscovery {
        token: "abcdef.0123456789abcdef".into(),
        api_server_endpoint: "kube-apiserver:6443".into(),
        unsafe_skip_ca_verification: true,
        ..Default::default()
    });
    let mut host = HostDefaults::placeholder();
    host.hostname = "vm".into();
    s.resolve(&host).expect("kubeadm's placeholder join defaults are valid")
}
