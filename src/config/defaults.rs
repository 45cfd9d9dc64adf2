//! kubeadm's defaulting (kubeadm-facts §11), applied to empty fields only.

use rand::Rng;

use super::detect::{HostDefaults, DEFAULT_CRI_SOCKET};
use super::types::*;
use super::version::ApiVersion;
use crate::secret::SecretString;
use crate::versions;

pub const DEFAULT_BIND_PORT: i64 = 6443;
pub const DEFAULT_SERVICE_SUBNET: &str = "10.96.0.0/12";
pub const DEFAULT_DNS_DOMAIN: &str = "cluster.local";
pub const DEFAULT_CERT_DIR: &str = "/etc/kubernetes/pki";
pub const DEFAULT_ETCD_DATA_DIR: &str = "/var/lib/etcd";
pub const DEFAULT_CLUSTER_NAME: &str = "kubernetes";
pub const DEFAULT_TOKEN_TTL: &str = "24h0m0s";
pub const DEFAULT_TOKEN_USAGES: [&str; 2] = ["signing", "authentication"];
pub const DEFAULT_TOKEN_GROUP: &str = "system:bootstrappers:kubeadm:default-node-token";
pub const DEFAULT_CONTROL_PLANE_TIMEOUT: &str = "4m0s";
pub const DEFAULT_DISCOVERY_TIMEOUT: &str = "5m0s";
pub const DEFAULT_CA_CERT_PATH: &str = "/etc/kubernetes/pki/ca.crt";
pub const DEFAULT_IMAGE_PULL_POLICY: &str = "IfNotPresent";
pub const DEFAULT_ENCRYPTION_ALGORITHM: &str = "RSA-2048";
pub const DEFAULT_CERT_VALIDITY: &str = "8760h0m0s";
pub const DEFAULT_CA_CERT_VALIDITY: &str = "87600h0m0s";

/// Version labels kubeadm resolves over the network; kubelift resolves them to
/// the newest release of its table (it never reaches out to dl.k8s.io).
const VERSION_LABELS: &[&str] = &["stable", "stable-1", "latest", "latest-1"];

const TOKEN_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A fresh bootstrap token `[a-z0-9]{6}.[a-z0-9]{16}` from the OS random source.
pub fn random_token() -> SecretString {
    let mut rng = rand::rngs::OsRng;
    let mut part = |n: usize| -> String {
        (0..n).map(|_| TOKEN_ALPHABET[rng.gen_range(0..TOKEN_ALPHABET.len())] as char).collect()
    };
    let id = part(6);
    SecretString::new(format!("{id}.{}", part(16)))
}

fn fill(field: &mut String, value: &str) {
    if field.is_empty() {
        *field = value.to_string();
    }
}

pub fn init_configuration(init: &mut InitConfiguration, host: &HostDefaults) {
    if init.bootstrap_tokens.is_empty() {
        init.bootstrap_tokens.push(BootstrapToken::default());
    }
    for token in &mut init.bootstrap_tokens {
        bootstrap_token(token);
    }
    node_registration(&mut init.node_registration, host);
    let endpoint = &mut init.local_api_endpoint;
    if endpoint.advertise_address.is_empty() {
        if let Some(ip) = host.default_address {
            endpoint.advertise_address = ip.to_string();
        }
    }
    if endpoint.bind_port == 0 {
        endpoint.bind_port = DEFAULT_BIND_PORT;
    }
}

fn bootstrap_token(token: &mut BootstrapToken) {
    if token.token.is_empty() {
        token.token = random_token();
    }
    if token.expires.is_empty() {
        fill(&mut token.ttl, DEFAULT_TOKEN_TTL);
    }
    if token.usages.is_empty() {
        token.usages = DEFAULT_TOKEN_USAGES.iter().map(|s| s.to_string()).collect();
    }
    if token.groups.is_empty() {
        token.groups = vec![DEFAULT_TOKEN_GROUP.to_string()];
    }
}

fn node_registration(node: &mut NodeRegistration, host: &HostDefaults) {
    fill(&mut node.name, &host.hostname);
    node.name = node.name.trim().to_lowercase();
    if node.cri_socket.is_empty() {
        // Several sockets: left empty, so the run asks which one (a decision).
        match host.cri_sockets.as_slice() {
            [] => node.cri_socket = DEFAULT_CRI_SOCKET.into(),
            [only] => node.cri_socket = only.clone(),
            _ => {}
        }
    }
    fill(&mut node.image_pull_policy, DEFAULT_IMAGE_PULL_POLICY);
}

pub fn cluster_configuration(cluster: &mut ClusterConfiguration, version: ApiVersion) {
    if cluster.etcd.local.is_none() && cluster.etcd.external.is_none() {
        cluster.etcd.local = Some(LocalEtcd::default());
    }
    if let Some(local) = &mut cluster.etcd.local {
        fill(&mut local.data_dir, DEFAULT_ETCD_DATA_DIR);
    }
    let net = &mut cluster.networking;
    fill(&mut net.service_subnet, DEFAULT_SERVICE_SUBNET);
    fill(&mut net.dns_domain, DEFAULT_DNS_DOMAIN);
    cluster.kubernetes_version = normalize_version(&cluster.kubernetes_version);
    if cluster.image_repository.is_empty() {
        let info = versions::lookup(&cluster.kubernetes_version).unwrap_or_else(versions::newest);
        cluster.image_repository = info.image_repository.clone();
    }
    fill(&mut cluster.certificates_dir, DEFAULT_CERT_DIR);
    fill(&mut cluster.cluster_name, DEFAULT_CLUSTER_NAME);
    cluster.api_server.cert_sans = cluster.api_server.cert_sans.iter().map(|s| s.to_lowercase()).collect();
    if version == ApiVersion::V1beta3 {
        fill(&mut cluster.api_server.timeout_for_control_plane, DEFAULT_CONTROL_PLANE_TIMEOUT);
    } else {
        fill(&mut cluster.encryption_algorithm, DEFAULT_ENCRYPTION_ALGORITHM);
        fill(&mut cluster.certificate_validity_period, DEFAULT_CERT_VALIDITY);
        fill(&mut cluster.ca_certificate_validity_period, DEFAULT_CA_CERT_VALIDITY);
    }
}

/// `1.24.0` → `v1.24.0`; a release label or empty → the newest supported release.
pub fn normalize_version(text: &str) -> String {
    let t = text.trim();
    if t.is_empty() || VERSION_LABELS.contains(&t) {
        return versions::newest().release.clone();
    }
    if t.starts_with(|c: char| c.is_ascii_digit()) {
        return format!("v{t}");
    }
    t.to_string()
}

pub fn join_configuration(join: &mut JoinConfiguration, host: &HostDefaults, version: ApiVersion) {
    node_registration(&mut join.node_registration, host);
    fill(&mut join.ca_cert_path, DEFAULT_CA_CERT_PATH);
    if join.discovery.tls_bootstrap_token.is_empty() {
        if let Some(bt) = &join.discovery.bootstrap_token {
            join.discovery.tls_bootstrap_token = bt.token.clone();
        }
    }
    if version == ApiVersion::V1beta3 {
        fill(&mut join.discovery.timeout, DEFAULT_DISCOVERY_TIMEOUT);
    }
    if let Some(cp) = &mut join.control_plane {
        if cp.local_api_endpoint.advertise_address.is_empty() {
            if let Some(ip) = host.default_address {
                cp.local_api_endpoint.advertise_address = ip.to_string();
            }
        }
        if cp.local_api_endpoint.bind_port == 0 {
            cp.local_api_endpoint.bind_port = DEFAULT_BIND_PORT;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_tokens_have_kubeadms_shape() {
        let t = random_token();
        let (id, secret) = t.expose().split_once('.').unwrap();
        assert_eq!((id.len(), secret.len()), (6, 16));
        assert!(t.expose().chars().all(|c| c == '.' || TOKEN_ALPHABET.contains(&(c as u8))));
        assert_ne!(random_token(), random_token());
    }

    #[test]
    fn versions_are_normalised() {
        assert_eq!(normalize_version("1.24.0"), "v1.24.0");
        assert_eq!(normalize_version("stable-1"), versions::newest().release);
        assert_eq!(normalize_version(""), versions::newest().release);
    }
}
