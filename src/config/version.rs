//! The two kubeadm API versions kubelift reads, and the fields only one of them has.

use serde_yaml::Value;

use super::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ApiVersion {
    V1beta3,
    V1beta4,
}

impl ApiVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1beta3 => "kubeadm.k8s.io/v1beta3",
            ApiVersion::V1beta4 => "kubeadm.k8s.io/v1beta4",
        }
    }
}

/// kubeadm's own advice for files older than it reads.
const OLD_VERSIONS: &[(&str, &str)] = &[
    ("kubeadm.k8s.io/v1alpha1", "v1.11"),
    ("kubeadm.k8s.io/v1alpha2", "v1.12"),
    ("kubeadm.k8s.io/v1alpha3", "v1.14"),
    ("kubeadm.k8s.io/v1beta1", "v1.15"),
    ("kubeadm.k8s.io/v1beta2", "v1.26"),
];

pub fn parse_api_version(text: &str) -> Result<ApiVersion, FieldError> {
    match text {
        "kubeadm.k8s.io/v1beta3" => Ok(ApiVersion::V1beta3),
        "kubeadm.k8s.io/v1beta4" => Ok(ApiVersion::V1beta4),
        _ => {
            let fix = match OLD_VERSIONS.iter().find(|(v, _)| *v == text) {
                Some((_, kubeadm)) => format!(
                    "this is an old API spec: convert it with kubeadm {kubeadm} (`kubeadm config migrate --old-config old.yaml --new-config new.yaml`) or rewrite it as kubeadm.k8s.io/v1beta4"
                ),
                None => "use kubeadm.k8s.io/v1beta4 (or v1beta3)".into(),
            };
            Err(FieldError::new("", "apiVersion", "is not a kubeadm API version kubelift reads", fix).with_value(text))
        }
    }
}

impl FieldError {
    pub(crate) fn in_document(mut self, kind: &str) -> Self {
        self.document = kind.into();
        self
    }
}

/// Fields that exist in one version only: (kind, path, version that has it, replacement hint).
const VERSION_ONLY_FIELDS: &[(&str, &str, ApiVersion, &str)] = &[
    ("ClusterConfiguration", "apiServer.timeoutForControlPlane", ApiVersion::V1beta3, "InitConfiguration timeouts.controlPlaneComponentHealthCheck"),
    ("JoinConfiguration", "discovery.timeout", ApiVersion::V1beta3, "timeouts.discovery"),
    ("InitConfiguration", "dryRun", ApiVersion::V1beta4, "the --dry-run flag"),
    ("JoinConfiguration", "dryRun", ApiVersion::V1beta4, "the --dry-run flag"),
    ("InitConfiguration", "timeouts", ApiVersion::V1beta4, "apiServer.timeoutForControlPlane in ClusterConfiguration"),
    ("JoinConfiguration", "timeouts", ApiVersion::V1beta4, "discovery.timeout"),
    ("InitConfiguration", "nodeRegistration.imagePullSerial", ApiVersion::V1beta4, "nothing (images are pulled one at a time)"),
    ("JoinConfiguration", "nodeRegistration.imagePullSerial", ApiVersion::V1beta4, "nothing (images are pulled one at a time)"),
    ("ClusterConfiguration", "encryptionAlgorithm", ApiVersion::V1beta4, "the PublicKeysECDSA feature gate"),
    ("ClusterConfiguration", "certificateValidityPeriod", ApiVersion::V1beta4, "nothing (leaf certificates last one year)"),
    ("ClusterConfiguration", "caCertificateValidityPeriod", ApiVersion::V1beta4, "nothing (CAs last ten years)"),
    ("ClusterConfiguration", "proxy", ApiVersion::V1beta4, "--skip-phases=addon/kube-proxy"),
    ("ClusterConfiguration", "dns.disabled", ApiVersion::V1beta4, "--skip-phases=addon/coredns"),
    ("ClusterConfiguration", "apiServer.extraEnvs", ApiVersion::V1beta4, "nothing"),
    ("ClusterConfiguration", "controllerManager.extraEnvs", ApiVersion::V1beta4, "nothing"),
    ("ClusterConfiguration", "scheduler.extraEnvs", ApiVersion::V1beta4, "nothing"),
    ("ClusterConfiguration", "etcd.local.extraEnvs", ApiVersion::V1beta4, "nothing"),
];

/// Flag lists whose spelling changed from a map (v1beta3) to a list (v1beta4).
const ARGS_FIELDS: &[(&str, &str)] = &[
    ("ClusterConfiguration", "apiServer.extraArgs"),
    ("ClusterConfiguration", "controllerManager.extraArgs"),
    ("ClusterConfiguration", "scheduler.extraArgs"),
    ("ClusterConfiguration", "etcd.local.extraArgs"),
    ("InitConfiguration", "nodeRegistration.kubeletExtraArgs"),
    ("JoinConfiguration", "nodeRegistration.kubeletExtraArgs"),
];

fn at<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

/// Reports fields written in a version that does not have them.
pub fn check_fields(version: ApiVersion, kind: &str, doc: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (k, path, only_in, instead) in VERSION_ONLY_FIELDS {
        if *k == kind && *only_in != version && at(doc, path).is_some() {
            errors.push(FieldError::new(
                kind,
                path,
                format!("exists only in {}, not in {}", only_in.as_str(), version.as_str()),
                format!("change apiVersion to {} or use {instead}", only_in.as_str()),
            ));
        }
    }
    for (k, path) in ARGS_FIELDS {
        let Some(args) = at(doc, path).filter(|_| *k == kind) else { continue };
        let (want, example) = match version {
            ApiVersion::V1beta3 => (args.is_mapping(), "a map, e.g. `authorization-mode: Node,RBAC`"),
            ApiVersion::V1beta4 => (args.is_sequence(), "a list, e.g. `- {name: authorization-mode, value: Node,RBAC}`"),
        };
        if !want && !args.is_null() {
            errors.push(FieldError::new(
                kind,
                path,
                format!("has the wrong shape for {}", version.as_str()),
                format!("write it as {example}"),
            ));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_versions_get_migration_advice() {
        let e = parse_api_version("kubeadm.k8s.io/v1beta2").unwrap_err();
        assert!(e.fix.contains("kubeadm v1.26"), "{e}");
    }

    #[test]
    fn flags_fields_of_the_other_version() {
        let doc: Value = serde_yaml::from_str("encryptionAlgorithm: ECDSA-P256\napiServer:\n  extraArgs:\n  - {name: a, value: b}\n").unwrap();
        let errors = check_fields(ApiVersion::V1beta3, "ClusterConfiguration", &doc);
        let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["encryptionAlgorithm", "apiServer.extraArgs"]);
        assert!(check_fields(ApiVersion::V1beta4, "ClusterConfiguration", &doc).is_empty());
    }
}
