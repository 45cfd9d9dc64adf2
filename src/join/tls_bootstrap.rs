//! TLS bootstrap done by kubelift itself, as the seed design describes: make
//! the node's key, post a CertificateSigningRequest with the bootstrap token's
//! identity, wait until the controller-manager approves and signs it. The
//! node then has credentials before its kubelet first starts.

use k8s_openapi::api::certificates::v1::{CertificateSigningRequest, CertificateSigningRequestSpec};
use k8s_openapi::ByteString;
use kube::api::{Api, ObjectMeta, PostParams};
use std::time::{Duration, Instant};

use crate::cluster::{Cluster, ClusterError, ErrorClass};
use crate::kubeconfig::{Credentials, Kubeconfig};
use crate::pki::csr::{node_client_request, node_csr_name, KUBELET_CLIENT_SIGNER, KUBELET_CLIENT_USAGES};
use crate::pki::{generate_key, KeyAlgorithm, KeyPair};
use crate::secret::SecretString;

const POLL: Duration = Duration::from_millis(250);

pub struct Request<'a> {
    pub server: &'a str,
    pub ca_pem: &'a [u8],
    pub token: &'a SecretString,
    pub node_name: &'a str,
    pub timeout: Duration,
}

/// The node's client key and the certificate the cluster signed for it.
pub struct NodeCredentials {
    pub key: KeyPair,
    pub cert_pem: String,
    pub csr_name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("{0}")]
    Api(#[from] ClusterError),
    #[error("the certificate signing request {name} was denied: {reason}")]
    Denied { name: String, reason: String },
    #[error("the certificate signing request {name} failed: {reason}")]
    Failed { name: String, reason: String },
    #[error("the certificate signing request {name} was not signed within {seconds} s")]
    Timeout { name: String, seconds: u64 },
    #[error("{0}")]
    Key(String),
}

impl BootstrapError {
    pub fn hint(&self) -> String {
        match self {
            BootstrapError::Api(e) if e.class == ErrorClass::Unauthorized => "the bootstrap token was refused: it is unknown, expired, or not usable for authentication; create a new one with `kubelift token create`".into(),
            BootstrapError::Api(e) if e.class == ErrorClass::Forbidden => "the token's group may not create CSRs: the bootstrap-token phase of init binds system:node-bootstrapper to it (ClusterRoleBinding kubeadm:kubelet-bootstrap)".into(),
            BootstrapError::Api(e) => e.hint(),
            BootstrapError::Denied { .. } => "someone or some approver denied it; check `kubectl get csr` and approve a new request".into(),
            BootstrapError::Failed { .. } => "the signer refused it; check the controller-manager log (--cluster-signing-cert-file/--cluster-signing-key-file)".into(),
            BootstrapError::Timeout { name, .. } => format!("the controller-manager approves node client CSRs when ClusterRoleBinding kubeadm:node-autoapprove-bootstrap exists and it runs the csrapproving and csrsigning controllers; approve by hand with `kubectl certificate approve {name}`"),
            BootstrapError::Key(_) => "see the message".into(),
        }
    }
}

/// The kubeconfig the bootstrap token authenticates with (kubeadm's bootstrap-kubelet.conf).
pub fn bootstrap_kubeconfig(server: &str, ca_pem: &[u8], token: &SecretString) -> String {
    Kubeconfig {
        cluster_name: "kubernetes",
        server,
        ca_pem,
        user: "tls-bootstrap-token-user",
        context: None,
        credentials: Credentials::Token(token.expose()),
    }
    .render()
}

pub async fn request_node_credentials(req: &Request<'_>) -> Result<NodeCredentials, BootstrapError> {
    // The kubelet makes ECDSA P-256 node keys; so does kubelift.
    let key = generate_key(KeyAlgorithm::EcdsaP256).map_err(|e| BootstrapError::Key(e.to_string()))?;
    let request = node_client_request(req.node_name, &key).map_err(|e| BootstrapError::Key(e.to_string()))?;
    let name = node_csr_name(req.node_name, &key);
    let cluster = Cluster::from_kubeconfig_yaml(&bootstrap_kubeconfig(req.server, req.ca_pem, req.token), req.timeout).await?;
    let api: Api<CertificateSigningRequest> = Api::all(cluster.client.clone());
    let csr = CertificateSigningRequest {
        metadata: ObjectMeta { name: Some(name.clone()), ..Default::default() },
        spec: CertificateSigningRequestSpec {
            request: ByteString(request.into_bytes()),
            signer_name: KUBELET_CLIENT_SIGNER.into(),
            usages: Some(KUBELET_CLIENT_USAGES.iter().map(|u| u.to_string()).collect()),
            ..Default::default()
        },
        status: None,
    };
    let action = format!("create CertificateSigningRequest {name}");
    let params = PostParams::default();
    match cluster.retry(&action, || api.create(&params, &csr)).await {
        Ok(_) => {}
        Err(e) if e.detail.contains("AlreadyExists") || e.detail.contains("already exists") => {}
        Err(e) => return Err(e.into()),
    }
    let cert_pem = wait_for_certificate(&cluster, &api, &name, req.timeout).await?;
    Ok(NodeCredentials { key, cert_pem, csr_name: name })
}

async fn wait_for_certificate(cluster: &Cluster, api: &Api<CertificateSigningRequest>, name: &str, timeout: Duration) -> Result<String, BootstrapError> {
    let started = Instant::now();
    loop {
        let csr = cluster.retry(&format!("get CertificateSigningRequest {name}"), || api.get(name)).await?;
        let status = csr.status.unwrap_or_default();
        for c in status.conditions.unwrap_or_default() {
            let reason = format!("{} {}", c.reason.unwrap_or_default(), c.message.unwrap_or_default()).trim().to_string();
            match c.type_.as_str() {
                "Denied" => return Err(BootstrapError::Denied { name: name.into(), reason }),
                "Failed" => return Err(BootstrapError::Failed { name: name.into(), reason }),
                _ => {}
            }
        }
        if let Some(cert) = status.certificate.filter(|c| !c.0.is_empty()) {
            return Ok(String::from_utf8_lossy(&cert.0).into_owned());
        }
        if started.elapsed() >= timeout {
            return Err(BootstrapError::Timeout { name: name.into(), seconds: timeout.as_secs() });
        }
        tokio::time::sleep(POLL).await;
    }
}
