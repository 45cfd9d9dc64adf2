//! Reading a kubeadm `--config` file: split the YAML stream into documents,
//! dispatch on `apiVersion`/`kind`, decode each strictly, and collect every
//! problem instead of stopping at the first.
//!
//! Strictness: kubeadm only warns on unknown fields; kubelift makes them errors
//! because a misspelt field silently ignored is the most expensive typo in a
//! cluster install (a `podSubnett` produces a cluster without pod CIDRs).

use serde::de::DeserializeOwned;
use serde_yaml::{Mapping, Value};

use super::error::FieldError;
use super::types::{ClusterConfiguration, InitConfiguration, JoinConfiguration};
use super::version::{self, ApiVersion};
use super::yaml_kind;

pub const KUBELET_API_VERSION: &str = "kubelet.config.k8s.io/v1beta1";
pub const KUBE_PROXY_API_VERSION: &str = "kubeproxy.config.k8s.io/v1alpha1";

/// The documents of one file, decoded but not yet defaulted or validated.
#[derive(Debug, Clone, Default)]
pub struct Documents {
    pub version: Option<ApiVersion>,
    pub init: Option<InitConfiguration>,
    pub cluster: Option<ClusterConfiguration>,
    pub join: Option<JoinConfiguration>,
    /// Component configs are kept as written and merged over kubeadm's values.
    pub kubelet: Option<Mapping>,
    pub kube_proxy: Option<Mapping>,
    pub warnings: Vec<String>,
}

/// Decodes every document of `text`; returns what decoded and every error found.
pub fn parse(text: &str) -> (Documents, Vec<FieldError>) {
    let mut docs = Documents::default();
    let mut errors = Vec::new();
    for (index, raw) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let value = match serde::Deserialize::deserialize(raw) {
            Ok(Value::Null) => continue,
            Ok(value) => value,
            Err(e) => {
                errors.push(yaml_syntax_error(index, &e));
                break; // the stream cannot be resynchronised after a syntax error
            }
        };
        docs.add(index, value, &mut errors);
    }
    (docs, errors)
}

fn yaml_syntax_error(index: usize, e: &serde_yaml::Error) -> FieldError {
    let place = e
        .location()
        .map(|l| format!(" at line {}, column {}", l.line(), l.column()))
        .unwrap_or_default();
    FieldError::new(
        "",
        &format!("document {}", index + 1),
        format!("is not valid YAML{place}: {e}"),
        "correct the YAML syntax (indentation with spaces, `key: value`, `---` between documents)",
    )
}

impl Documents {
    fn add(&mut self, index: usize, value: Value, errors: &mut Vec<FieldError>) {
        let Value::Mapping(map) = value else {
            errors.push(FieldError::new(
                "",
                &format!("document {}", index + 1),
                format!("is {}, not a mapping", yaml_kind(&value)),
                "each document must be a mapping with apiVersion and kind",
            ));
            return;
        };
        let api_version = string_field(&map, "apiVersion");
        let kind = string_field(&map, "kind");
        if api_version.is_empty() || kind.is_empty() {
            errors.push(FieldError::new(
                "",
                &format!("document {}", index + 1),
                "has no apiVersion or kind",
                "start the document with `apiVersion: kubeadm.k8s.io/v1beta4` and a `kind:` line",
            ));
            return;
        }
        let group = api_version.split('/').next().unwrap_or_default();
        match group {
            "kubeadm.k8s.io" => self.add_kubeadm(&api_version, &kind, map, errors),
            "kubelet.config.k8s.io" => {
                self.add_component(&api_version, &kind, KUBELET_API_VERSION, "KubeletConfiguration", map, errors)
            }
            "kubeproxy.config.k8s.io" => self.add_component(
                &api_version,
                &kind,
                KUBE_PROXY_API_VERSION,
                "KubeProxyConfiguration",
                map,
                errors,
            ),
            _ => self.warnings.push(format!(
                "ignored YAML document {} with apiVersion {api_version:?} and kind {kind:?}: kubelift reads only kubeadm, kubelet and kube-proxy configuration",
                index + 1
            )),
        }
    }

    fn add_kubeadm(&mut self, api_version: &str, kind: &str, map: Mapping, errors: &mut Vec<FieldError>) {
        let version = match version::parse_api_version(api_version) {
            Ok(v) => v,
            Err(e) => return errors.push(e.in_document(kind)),
        };
        if let Some(seen) = self.version {
            if seen != version {
                errors.push(
                    FieldError::new(
                        kind,
                        "apiVersion",
                        format!("differs from the {} of the other documents", seen.as_str()),
                        "use one kubeadm.k8s.io version for every document of the file",
                    )
                    .with_value(api_version),
                );
            }
        }
        self.version.get_or_insert(version);
        let value = Value::Mapping(map);
        errors.extend(version::check_fields(version, kind, &value));
        match kind {
            "InitConfiguration" => decode_once(&mut self.init, kind, value, errors),
            "ClusterConfiguration" => decode_once(&mut self.cluster, kind, value, errors),
            "JoinConfiguration" => decode_once(&mut self.join, kind, value, errors),
            "ResetConfiguration" | "UpgradeConfiguration" => self
                .warnings
                .push(format!("ignored {kind}: kubelift reads its reset and upgrade settings from flags")),
            _ => errors.push(
                FieldError::new(
                    "",
                    "kind",
                    format!("is not a kind of {api_version}"),
                    "use InitConfiguration, ClusterConfiguration or JoinConfiguration",
                )
                .with_value(kind),
            ),
        }
    }

    fn add_component(
        &mut self,
        api_version: &str,
        kind: &str,
        want_version: &str,
        want_kind: &str,
        map: Mapping,
        errors: &mut Vec<FieldError>,
    ) {
        if api_version != want_version || kind != want_kind {
            errors.push(
                FieldError::new(
                    kind,
                    "apiVersion",
                    format!("unsupported component config {api_version} {kind}"),
                    format!("use apiVersion {want_version} with kind {want_kind}"),
                )
                .with_value(api_version),
            );
            return;
        }
        let slot = if want_kind == "KubeletConfiguration" { &mut self.kubelet } else { &mut self.kube_proxy };
        if slot.is_some() {
            errors.push(twice(kind));
        } else {
            *slot = Some(map);
        }
    }
}

fn twice(kind: &str) -> FieldError {
    FieldError::new(kind, "kind", format!("{kind} is specified twice"), "keep one document of each kind")
}

fn string_field(map: &Mapping, key: &str) -> String {
    map.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

fn decode_once<T: DeserializeOwned>(slot: &mut Option<T>, kind: &str, value: Value, errors: &mut Vec<FieldError>) {
    if slot.is_some() {
        return errors.push(twice(kind));
    }
    let (decoded, mut problems) = decode_strict::<T>(kind, value);
    errors.append(&mut problems);
    *slot = decoded;
}

/// Decodes `value` into `T`, reporting every unknown field (with its path) and
/// the first type error (with its path). The value is kept when only unknown
/// fields were found, so that validation can still report its other mistakes.
pub fn decode_strict<T: DeserializeOwned>(kind: &str, value: Value) -> (Option<T>, Vec<FieldError>) {
    let mut unknown = Vec::new();
    let result: Result<T, _> = {
        let mut note = |path: serde_ignored::Path| unknown.push(path.to_string());
        serde_path_to_error::deserialize(serde_ignored::Deserializer::new(value, &mut note))
    };
    let mut errors: Vec<FieldError> = unknown
        .into_iter()
        .filter(|p| p != "apiVersion" && p != "kind")
        .map(|path| {
            FieldError::new(kind, &path, "unknown field", format!("remove it or correct its spelling; `kubelift config print init-defaults` lists the fields of {kind}"))
        })
        .collect();
    match result {
        Ok(v) => (Some(v), errors),
        Err(e) => {
            errors.push(type_error(kind, &e));
            (None, errors)
        }
    }
}

fn type_error(kind: &str, e: &serde_path_to_error::Error<serde_yaml::Error>) -> FieldError {
    let path = e.path().to_string();
    let path = if path == "." { String::new() } else { path };
    FieldError::new(kind, &path, e.inner().to_string(), "give the field a value of the type kubeadm documents for it")
}
