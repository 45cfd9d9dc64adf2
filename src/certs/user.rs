//! `kubeconfig user`: a kubeconfig for a person or a program, with a fresh
//! key and a client certificate signed by the cluster CA (kubeadm's
//! `kubeadm kubeconfig user`).

use std::time::{Duration, SystemTime};

use super::{load_ca, read, CertsSettings, Problem, CAS, KUBERNETES_DIR};
use crate::engine::WriteGate;
use crate::kubeconfig::{self, Credentials, Kubeconfig};
use crate::pki::{self, CertSpec, ExtKeyUsage};

/// Who the kubeconfig authenticates as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRequest {
    /// The certificate's CN: the user name Kubernetes sees.
    pub client_name: String,
    /// The certificate's O: the groups Kubernetes sees.
    pub organizations: Vec<String>,
    /// Lifetime of the certificate; `certificateValidityPeriod` when `None`.
    pub validity: Option<Duration>,
}

/// The kubeconfig text, private key included: the caller prints it because
/// the user asked for it by name, and nothing else ever sees it.
pub fn user_kubeconfig(gate: &WriteGate, s: &CertsSettings, req: &UserRequest, now: SystemTime) -> Result<String, Problem> {
    if req.client_name.trim().is_empty() {
        return Err(Problem::new("--client-name is empty", "name the user, e.g. --client-name jane"));
    }
    if req.organizations.len() > 1 {
        return Err(Problem::new(
            format!("{} organizations were given; kubelift writes at most one O per certificate", req.organizations.len()),
            "pass one --org and bind further permissions to the user name (a RoleBinding with kind User)",
        ));
    }
    let ca = load_ca(gate, s, &CAS[0])?;
    let ca_key = ca.key.as_ref().ok_or_else(|| {
        Problem::new(format!("{} has no key next to it: the cluster CA is external, kubelift cannot sign with it", s.cert_path("ca")), "have your CA sign a client certificate for the user, and write the kubeconfig around it")
    })?;
    let admin = read(gate, &format!("{KUBERNETES_DIR}/admin.conf"))?;
    let server = match (&s.server, &admin) {
        (Some(server), _) => server.clone(),
        (None, Some(admin)) => kubeconfig::current_server(admin).ok_or_else(|| Problem::new(format!("{KUBERNETES_DIR}/admin.conf names no server"), "pass --config with the cluster's kubeadm configuration"))?,
        (None, None) => return Err(Problem::new(format!("no --config, and no {KUBERNETES_DIR}/admin.conf to take the API server address from"), "pass --config with the cluster's kubeadm configuration")),
    };
    let cluster_name = s.cluster_name.clone().or_else(|| admin.as_deref().and_then(kubeconfig::current_cluster_name)).unwrap_or_else(|| crate::config::defaults::DEFAULT_CLUSTER_NAME.into());
    // The configured algorithm, else the CA's: an ECDSA cluster gets ECDSA user keys.
    let algorithm = s.algorithm.unwrap_or(ca_key.algorithm());
    let key = pki::generate_key(algorithm).map_err(|e| Problem::new(e.to_string(), "check that the system's random source works"))?;
    let spec = CertSpec {
        name: "user",
        long_name: "user client certificate",
        base_name: "user",
        ca: Some("ca"),
        common_name: req.client_name.clone(),
        organizations: req.organizations.clone(),
        dns_names: vec![],
        ips: vec![],
        usages: vec![ExtKeyUsage::ClientAuth],
        algorithm,
        validity: req.validity.unwrap_or(s.validity),
        warnings: vec![],
    };
    let cert = pki::new_signed(&spec, &key, &ca.cert, ca_key, now).map_err(|e| Problem::new(format!("cannot sign the certificate of {}: {e}", req.client_name), "check --client-name and --org"))?;
    let key_pem = key.private_key_pem().map_err(|e| Problem::new(e.to_string(), "this is a kubelift bug; please report it"))?;
    Ok(Kubeconfig {
        cluster_name: &cluster_name,
        server: &server,
        ca_pem: ca.cert.to_pem().as_bytes(),
        user: &req.client_name,
        context: None,
        credentials: Credentials::ClientCertificate { cert_pem: &cert.to_pem(), key_pem: &key_pem },
    }
    .render())
}
