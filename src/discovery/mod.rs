//! Token discovery (kubeadm-facts §5.5): find the cluster's CA through an
//! untrusted channel and trust it only when the bootstrap token's signature
//! and the pinned public key both check out. An attacker on the network can
//! neither make a node join a fake control plane nor read anything secret.

pub mod jws;
pub mod pin;

use base64::Engine;
use std::time::{Duration, Instant};

use crate::cluster::{Cluster, ErrorClass};
use crate::secret::SecretString;
pub use pin::Pins;

pub const CLUSTER_INFO_PATH: &str = "/api/v1/namespaces/kube-public/configmaps/cluster-info";

#[derive(Debug, Clone)]
pub struct Request {
    /// `host:port` of an API server.
    pub endpoint: String,
    pub token: SecretString,
    pub pins: Pins,
    pub unsafe_skip_ca_verification: bool,
    pub timeout: Duration,
    /// kubeadm polls every 5 s; tests go faster.
    pub interval: Duration,
}

/// What discovery establishes: where the API server is and which CA to trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterInfo {
    pub server: String,
    /// The CA bundle, PEM, as cluster-info carries it.
    pub ca_pem: Vec<u8>,
    /// `sha256:<hex>` of every CA certificate in the bundle.
    pub ca_hashes: Vec<String>,
    /// Whether the CA was pinned (false only with --discovery-token-unsafe-skip-ca-verification).
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    #[error("cannot reach the API server at {endpoint}: {detail}")]
    Unreachable { endpoint: String, detail: String },
    #[error("{endpoint} has no kubeconfig in its cluster-info ConfigMap: this API server is not set up for token bootstrapping")]
    NotBootstrapping { endpoint: String },
    #[error("token id {id:?} is invalid for this cluster or it has expired: cluster-info carries no signature for it")]
    UnknownToken { id: String },
    #[error("the cluster-info signature for token id {id:?} does not match the token's secret: wrong token, or a forged cluster-info")]
    BadSignature { id: String },
    #[error("the cluster CA found in cluster-info is not pinned: none of its public keys {found:?} match --discovery-token-ca-cert-hash (another CA: possibly a man in the middle)")]
    CaNotPinned { found: Vec<String> },
    #[error("{endpoint} presented a TLS certificate that the pinned cluster CA does not verify (possibly a man in the middle): {detail}")]
    UntrustedEndpoint { endpoint: String, detail: String },
    #[error("cluster-info fetched again over verified TLS differs from the first copy")]
    Changed,
    #[error("cluster-info is malformed: {0}")]
    Malformed(String),
    #[error("the bootstrap token is not of the form [a-z0-9]{{6}}.[a-z0-9]{{16}}")]
    BadToken,
}

impl DiscoveryError {
    pub fn hint(&self) -> String {
        match self {
            DiscoveryError::Unreachable { .. } => "check the address and port (6443), that the control plane runs, and that no firewall blocks it (`nc -vz HOST 6443`)".into(),
            DiscoveryError::NotBootstrapping { .. } => "run `kubelift init` (or its bootstrap-token phase) on the control plane first".into(),
            DiscoveryError::UnknownToken { .. } => "tokens expire after 24 h by default: create a new one on a control-plane node with `kubelift token create --print-join-command`".into(),
            DiscoveryError::BadSignature { .. } => "copy the token again from `kubelift token list` on a control-plane node; if it is right, someone is tampering with the connection".into(),
            DiscoveryError::CaNotPinned { .. } | DiscoveryError::UntrustedEndpoint { .. } | DiscoveryError::Changed => {
                "compare the hash with `kubelift token create --print-join-command` on the control plane; if it matches, do not join: the endpoint is not your cluster".into()
            }
            DiscoveryError::Malformed(_) => "the endpoint is not a Kubernetes API server set up by kubeadm or kubelift".into(),
            DiscoveryError::BadToken => "copy the whole token, e.g. abcdef.0123456789abcdef".into(),
        }
    }
}

fn url(endpoint: &str) -> String {
    format!("https://{endpoint}")
}

/// Runs discovery to the end: signature, pin, second fetch over verified TLS.
pub async fn discover(req: &Request) -> Result<ClusterInfo, DiscoveryError> {
    let (id, secret) = req.token.expose().split_once('.').filter(|_| crate::config::validate::is_bootstrap_token(req.token.expose())).ok_or(DiscoveryError::BadToken)?;
    let (kubeconfig, signature) = fetch_signed(req, id).await?;
    if !jws::verify(id, secret, &kubeconfig, &signature) {
        return Err(DiscoveryError::BadSignature { id: id.into() });
    }
    let (server, ca_pem) = parse_kubeconfig(&kubeconfig)?;
    let ca_ders = pem_certificates(&ca_pem)?;
    let ca_hashes: Vec<String> = ca_ders.iter().filter_map(|d| pin::hash_string(d)).collect();
    if req.pins.is_empty() && req.unsafe_skip_ca_verification {
        return Ok(ClusterInfo { server, ca_pem, ca_hashes, verified: false });
    }
    if !ca_ders.iter().any(|d| req.pins.allows(d)) {
        return Err(DiscoveryError::CaNotPinned { found: ca_hashes });
    }
    let second = fetch_trusted(&req.endpoint, ca_ders).await?;
    if second != kubeconfig {
        return Err(DiscoveryError::Changed);
    }
    Ok(ClusterInfo { server, ca_pem, ca_hashes, verified: true })
}

/// Polls cluster-info (untrusted TLS) until it carries this token's signature.
async fn fetch_signed(req: &Request, id: &str) -> Result<(String, String), DiscoveryError> {
    let client = Cluster::insecure(&url(&req.endpoint)).map_err(|e| DiscoveryError::Unreachable { endpoint: req.endpoint.clone(), detail: e.detail })?;
    let started = Instant::now();
    loop {
        let last_error = match client.get_raw(CLUSTER_INFO_PATH).await {
            Ok(body) => {
                let (kubeconfig, signature) = signed_parts(&body, id, &req.endpoint)?;
                match signature {
                    Some(sig) => return Ok((kubeconfig, sig)),
                    None => DiscoveryError::UnknownToken { id: id.into() },
                }
            }
            Err(e) => DiscoveryError::Unreachable { endpoint: req.endpoint.clone(), detail: e.detail },
        };
        if started.elapsed() + req.interval > req.timeout {
            return Err(last_error);
        }
        tracing::debug!("discovery: {last_error}; trying again in {:?}", req.interval);
        tokio::time::sleep(req.interval).await;
    }
}

/// The kubeconfig and this token's signature from a cluster-info ConfigMap.
fn signed_parts(body: &str, id: &str, endpoint: &str) -> Result<(String, Option<String>), DiscoveryError> {
    let cm: serde_json::Value = serde_json::from_str(body).map_err(|e| DiscoveryError::Malformed(format!("not a ConfigMap: {e}")))?;
    let data = &cm["data"];
    let kubeconfig = data["kubeconfig"].as_str().filter(|k| !k.is_empty()).ok_or_else(|| DiscoveryError::NotBootstrapping { endpoint: endpoint.into() })?;
    let signature = data[format!("jws-kubeconfig-{id}")].as_str().map(String::from);
    Ok((kubeconfig.to_string(), signature))
}

/// The one cluster's server and CA bundle.
pub fn parse_kubeconfig(kubeconfig: &str) -> Result<(String, Vec<u8>), DiscoveryError> {
    let config: serde_yaml::Value = serde_yaml::from_str(kubeconfig).map_err(|e| DiscoveryError::Malformed(format!("kubeconfig: {e}")))?;
    let clusters = config["clusters"].as_sequence().map(Vec::as_slice).unwrap_or_default();
    let [cluster] = clusters else {
        return Err(DiscoveryError::Malformed(format!("expected exactly one cluster, found {}", clusters.len())));
    };
    let server = cluster["cluster"]["server"].as_str().ok_or_else(|| DiscoveryError::Malformed("the cluster has no server".into()))?;
    let ca = cluster["cluster"]["certificate-authority-data"].as_str().ok_or_else(|| DiscoveryError::Malformed("the cluster has no certificate-authority-data".into()))?;
    let ca_pem = base64::engine::general_purpose::STANDARD.decode(ca.trim()).map_err(|e| DiscoveryError::Malformed(format!("certificate-authority-data: {e}")))?;
    Ok((server.to_string(), ca_pem))
}

fn pem_certificates(pem_bytes: &[u8]) -> Result<Vec<Vec<u8>>, DiscoveryError> {
    let blocks = pem::parse_many(pem_bytes).map_err(|e| DiscoveryError::Malformed(format!("CA bundle: {e}")))?;
    let ders: Vec<Vec<u8>> = blocks.into_iter().filter(|b| b.tag() == "CERTIFICATE").map(|b| b.into_contents()).collect();
    if ders.is_empty() {
        return Err(DiscoveryError::Malformed("the CA bundle holds no certificate".into()));
    }
    Ok(ders)
}

/// Fetches cluster-info again, now trusting only the discovered CA.
async fn fetch_trusted(endpoint: &str, ca_ders: Vec<Vec<u8>>) -> Result<String, DiscoveryError> {
    let client = Cluster::anonymous(&url(endpoint), Some(ca_ders)).map_err(|e| DiscoveryError::Unreachable { endpoint: endpoint.into(), detail: e.detail })?;
    let body = client.get_raw(CLUSTER_INFO_PATH).await.map_err(|e| match e.class {
        ErrorClass::Tls => DiscoveryError::UntrustedEndpoint { endpoint: endpoint.into(), detail: e.detail },
        _ => DiscoveryError::Unreachable { endpoint: endpoint.into(), detail: e.detail },
    })?;
    let cm: serde_json::Value = serde_json::from_str(&body).map_err(|e| DiscoveryError::Malformed(e.to_string()))?;
    cm["data"]["kubeconfig"].as_str().map(String::from).ok_or(DiscoveryError::Changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CM: &str = r#"{"data":{"kubeconfig":"apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: AAAA\n    server: https://10.0.0.1:6443\n  name: \"\"\n","jws-kubeconfig-abcdef":"sig"}}"#;

    #[test]
    fn signed_parts_tell_unknown_tokens_apart() {
        let (kubeconfig, sig) = signed_parts(CM, "abcdef", "e").unwrap();
        assert!(kubeconfig.contains("10.0.0.1"));
        assert_eq!(sig.as_deref(), Some("sig"));
        assert_eq!(signed_parts(CM, "zzzzzz", "e").unwrap().1, None);
        assert!(matches!(signed_parts(r#"{"data":{}}"#, "abcdef", "e"), Err(DiscoveryError::NotBootstrapping { .. })));
        assert!(matches!(signed_parts("<html>", "abcdef", "e"), Err(DiscoveryError::Malformed(_))));
    }

    #[test]
    fn kubeconfig_must_hold_one_cluster() {
        let (server, ca) = parse_kubeconfig("clusters:\n- cluster:\n    certificate-authority-data: aGk=\n    server: https://a:6443\n").unwrap();
        assert_eq!((server.as_str(), ca.as_slice()), ("https://a:6443", &b"hi"[..]));
        assert!(parse_kubeconfig("clusters: []\n").is_err());
        assert!(parse_kubeconfig("not: [yaml").is_err());
    }
}
