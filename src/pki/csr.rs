//! Certificate signing requests for node credentials, as the kubelet makes
//! them for TLS bootstrap (kubeadm-facts §7.1), so the controller-manager's
//! csrapproving controller recognises and approves them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rcgen::{CertificateParams, DistinguishedName, DnType};
use sha2::{Digest, Sha512_256};

use super::cert::go_string;
use super::{KeyPair, PkiError};

/// The signer of kubelet client certificates.
pub const KUBELET_CLIENT_SIGNER: &str = "kubernetes.io/kube-apiserver-client-kubelet";

/// The usages the v1.24 approver requires for a node client certificate
/// (v1.25+ also accepts them without key encipherment).
pub const KUBELET_CLIENT_USAGES: [&str; 3] = ["digital signature", "key encipherment", "client auth"];

/// PEM `CERTIFICATE REQUEST` with subject `O=system:nodes, CN=system:node:<node>` and no SANs.
pub fn node_client_request(node_name: &str, key: &KeyPair) -> Result<String, PkiError> {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, go_string("system:nodes"));
    dn.push(DnType::CommonName, go_string(&format!("system:node:{node_name}")));
    let mut params = CertificateParams::default();
    params.distinguished_name = dn;
    let csr = params.serialize_request(key).map_err(|e| PkiError::Signing(e.to_string()))?;
    Ok(super::key::encode_pem("CERTIFICATE REQUEST", csr.der().to_vec()))
}

/// The kubelet's CSR name, `node-csr-<digest>`: the same key and subject
/// always give the same name, so a retried bootstrap reuses its request.
pub fn node_csr_name(node_name: &str, key: &KeyPair) -> String {
    let mut hash = Sha512_256::new();
    let mut write = |data: &[u8]| {
        hash.update(URL_SAFE_NO_PAD.encode(data).as_bytes());
        hash.update(b"|");
    };
    write(&key.public_key_der());
    write(format!("system:node:{node_name}").as_bytes());
    write(b"system:nodes");
    for usage in KUBELET_CLIENT_USAGES {
        write(usage.as_bytes());
    }
    format!("node-csr-{}", URL_SAFE_NO_PAD.encode(hash.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{generate_key, KeyAlgorithm};
    use std::io::Write;
    use std::process::{Command, Stdio};

    #[test]
    fn openssl_reads_the_request_subject() {
        let key = generate_key(KeyAlgorithm::EcdsaP256).unwrap();
        let pem = node_client_request("worker-1", &key).unwrap();
        let mut child = Command::new("openssl").args(["req", "-noout", "-subject", "-verify"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(pem.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{text}");
        assert!(text.contains("O = system:nodes, CN = system:node:worker-1"), "{text}");
        assert!(text.to_lowercase().contains("verify ok") || text.contains("verification OK") || text.contains("Certificate request self-signature verify OK"), "{text}");
    }

    #[test]
    fn names_are_stable_per_key_and_node() {
        let key = generate_key(KeyAlgorithm::EcdsaP256).unwrap();
        let other = generate_key(KeyAlgorithm::EcdsaP256).unwrap();
        assert_eq!(node_csr_name("a", &key), node_csr_name("a", &key));
        assert_ne!(node_csr_name("a", &key), node_csr_name("b", &key));
        assert_ne!(node_csr_name("a", &key), node_csr_name("a", &other));
        assert!(node_csr_name("a", &key).starts_with("node-csr-"));
    }
}
