//! /var/lib/kubelet/config.yaml (kubeadm-facts §4.1): the KubeletConfiguration
//! kubeadm writes, with the zero values its Go types print, the version's extra
//! fields, and a user's KubeletConfiguration merged over it.

use serde_json::{json, Value};

use crate::config::{duration, InitSettings};


use super::{node_local_cri_socket, NodeFacts};

pub const API_VERSION: &str = "kubelet.config.k8s.io/v1beta1";
/// The resolv.conf systemd-resolved keeps with the real upstream servers.
pub const SYSTEMD_RESOLVED_CONF: &str = "/run/systemd/resolve/resolv.conf";
const FALLBACK_CLUSTER_DNS: &str = "10.96.0.10";

/// KubeletConfiguration fields of type metav1.Duration: kubeadm prints what it
/// decoded in Go's spelling (`5m` → `5m0s`), so user values are normalised.
const DURATION_FIELDS: &[&str] = &[
    "syncFrequency", "fileCheckFrequency", "httpCheckFrequency", "streamingConnectionIdleTimeout", "nodeStatusUpdateFrequency",
    "nodeStatusReportFrequency", "imageMinimumGCAge", "imageMaximumGCAge", "volumeStatsAggPeriod", "cpuManagerReconcilePeriod",
    "runtimeRequestTimeout", "evictionPressureTransitionPeriod", "shutdownGracePeriod", "shutdownGracePeriodCriticalPods",
    "containerLogMonitorInterval", "authentication.webhook.cacheTTL", "authorization.webhook.cacheAuthorizedTTL",
    "authorization.webhook.cacheUnauthorizedTTL",
];

#[derive(Debug, Clone, thiserror::Error)]
#[error("KubeletConfiguration {field}: {message}")]
pub struct KubeletConfigError {
    pub field: String,
    pub message: String,
    pub fix: String,
}

/// The file's contents.
pub fn render(settings: &InitSettings, node: &dyn NodeFacts, warnings: &mut Vec<String>) -> Result<String, KubeletConfigError> {
    let mut config = kubeadm_values(settings);
    merge(&mut config, &to_json(&settings.version_info().kubelet_config, "")?);
    if let Some(user) = &settings.kubelet {
        let mut user = to_json(user, "")?;
        if let Value::Object(m) = &mut user {
            m.remove("apiVersion");
            m.remove("kind");
        }
        normalise_durations(&mut user)?;
        warn_about_overrides(&config, &user, warnings);
        merge(&mut config, &user);
    }
    // kubeadm cannot tell an unset rotateCertificates from false, so forces it.
    config["rotateCertificates"] = json!(true);
    if node.systemd_resolved_active() && config.get("resolvConf").is_none() {
        config["resolvConf"] = json!(SYSTEMD_RESOLVED_CONF);
    }
    // instance-config.yaml is applied as a patch over the cluster-wide values.
    if node_local_cri_socket(settings) {
        config["containerRuntimeEndpoint"] = json!(settings.init.node_registration.cri_socket);
    }
    Ok(crate::goyaml::to_string(&config))
}

/// /var/lib/kubelet/instance-config.yaml: the node's own CRI endpoint
/// (kubeadm's WriteInstanceConfigToDisk writes exactly this line).
pub fn instance_config(settings: &InitSettings) -> String {
    format!("containerRuntimeEndpoint: {}\n", super::flags::go_quote(&settings.init.node_registration.cri_socket))
}

/// What kubeadm sets, plus the zero values of the v1.24 Go types' non-pointer
/// fields (durations print `0s`, structs `{}`), as the reference file shows.
fn kubeadm_values(s: &InitSettings) -> Value {
    let dns = s.dns_service_ip().map(|ip| ip.to_string()).unwrap_or_else(|| FALLBACK_CLUSTER_DNS.into());
    json!({
        "apiVersion": API_VERSION,
        "kind": "KubeletConfiguration",
        "authentication": {
            "anonymous": {"enabled": false},
            "webhook": {"cacheTTL": "0s", "enabled": true},
            "x509": {"clientCAFile": crate::manifests::cert_path_of(&s.cluster.certificates_dir, "ca.crt")},
        },
        "authorization": {"mode": "Webhook", "webhook": {"cacheAuthorizedTTL": "0s", "cacheUnauthorizedTTL": "0s"}},
        "cgroupDriver": "systemd",
        "clusterDNS": [dns],
        "clusterDomain": s.cluster.networking.dns_domain,
        "cpuManagerReconcilePeriod": "0s",
        "evictionPressureTransitionPeriod": "0s",
        "fileCheckFrequency": "0s",
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": 10248,
        "httpCheckFrequency": "0s",
        "imageMinimumGCAge": "0s",
        "logging": {"flushFrequency": 0, "options": {"json": {"infoBufferSize": "0"}}, "verbosity": 0},
        "memorySwap": {},
        "nodeStatusReportFrequency": "0s",
        "nodeStatusUpdateFrequency": "0s",
        "rotateCertificates": true,
        "runtimeRequestTimeout": "0s",
        "shutdownGracePeriod": "0s",
        "shutdownGracePeriodCriticalPods": "0s",
        "staticPodPath": crate::manifests::MANIFESTS_DIR,
        "streamingConnectionIdleTimeout": "0s",
        "syncFrequency": "0s",
        "volumeStatsAggPeriod": "0s",
    })
}

/// Values kubeadm recommends and warns about when a user's differ:
/// (field path, value kubeadm would set).
fn recommended(config: &Value) -> Vec<(&'static str, Value)> {
    let at = |p: &str| lookup(config, p).cloned().unwrap_or(Value::Null);
    vec![
        ("staticPodPath", at("staticPodPath")),
        ("clusterDNS", at("clusterDNS")),
        ("clusterDomain", at("clusterDomain")),
        ("authentication.x509.clientCAFile", at("authentication.x509.clientCAFile")),
        ("authentication.anonymous.enabled", json!(false)),
        ("authorization.mode", json!("Webhook")),
        ("authentication.webhook.enabled", json!(true)),
        ("healthzBindAddress", json!("127.0.0.1")),
        ("healthzPort", json!(10248)),
        ("readOnlyPort", json!(0)),
    ]
}

/// kubeadm's warnDefaultComponentConfigValue, for every recommended value the
/// user changed (the user's value is still used).
fn warn_about_overrides(config: &Value, user: &Value, warnings: &mut Vec<String>) {
    for (field, want) in recommended(config) {
        let Some(got) = lookup(user, field) else { continue };
        if *got != want {
            let field_name = field.rsplit('.').next().unwrap_or(field);
            warnings.push(format!(
                "The recommended value for {field_name:?} in \"KubeletConfiguration\" is: {}; the provided value is: {}",
                plain(&want),
                plain(got)
            ));
        }
    }
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => format!("[{}]", items.iter().map(plain).collect::<Vec<_>>().join(" ")),
        other => other.to_string(),
    }
}

fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

/// Mappings merge key by key; anything else in `over` replaces what is in `base`.
fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

fn to_json(m: &serde_yaml::Mapping, field: &str) -> Result<Value, KubeletConfigError> {
    serde_json::to_value(m).map_err(|e| KubeletConfigError {
        field: if field.is_empty() { "(document)".into() } else { field.into() },
        message: format!("cannot be represented as JSON: {e}"),
        fix: "use string keys and plain values, as the KubeletConfiguration API does".into(),
    })
}

fn normalise_durations(user: &mut Value) -> Result<(), KubeletConfigError> {
    for path in DURATION_FIELDS {
        let pointer = format!("/{}", path.replace('.', "/"));
        let Some(Value::String(text)) = user.pointer_mut(&pointer) else { continue };
        let d = duration::parse(text).map_err(|e| KubeletConfigError {
            field: path.to_string(),
            message: format!("{text:?} is not a duration: {e}"),
            fix: "write a Go duration such as 30s, 5m or 1h30m".into(),
        })?;
        *text = duration::format(d);
    }
    Ok(())
}
