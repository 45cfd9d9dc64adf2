//! Building certificate requests with any subject and SANs, as a kubelet
//! asking for a serving certificate does (its names and addresses as SANs).
//! kubelift's tests, the end-to-end suite and the approval benchmark make
//! their CSRs here; `pki::csr` keeps the node *client* request of TLS bootstrap.

use std::net::IpAddr;

use k8s_openapi::api::certificates::v1::{CertificateSigningRequest, CertificateSigningRequestCondition, CertificateSigningRequestSpec, CertificateSigningRequestStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::ByteString;
use rcgen::{CertificateParams, DistinguishedName, DnType, SanType};

use super::policy::NodeFacts;
use crate::pki::{generate_key, KeyAlgorithm, KeyPair, PkiError};

/// What a request asks for.
#[derive(Debug, Clone, Default)]
pub struct RequestSpec {
    pub common_name: String,
    pub organizations: Vec<String>,
    pub dns: Vec<String>,
    pub ips: Vec<IpAddr>,
    pub emails: Vec<String>,
    pub uris: Vec<String>,
}

impl RequestSpec {
    /// A kubelet serving request: `O=system:nodes, CN=system:node:<node>`,
    /// the node's names and addresses as SANs.
    pub fn kubelet_serving(node: &str, dns: &[&str], ips: &[IpAddr]) -> RequestSpec {
        RequestSpec {
            common_name: format!("system:node:{node}"),
            organizations: vec!["system:nodes".into()],
            dns: dns.iter().map(|d| d.to_string()).collect(),
            ips: ips.to_vec(),
            ..RequestSpec::default()
        }
    }
}

/// PEM `CERTIFICATE REQUEST` for `spec`, signed by `key`.
pub fn build(spec: &RequestSpec, key: &KeyPair) -> Result<String, PkiError> {
    let mut params = CertificateParams::default();
    params.distinguished_name = subject(spec)?;
    params.subject_alt_names = sans(spec)?;
    let csr = params.serialize_request(key).map_err(|e| PkiError::Signing(e.to_string()))?;
    Ok(pem::encode(&pem::Pem::new("CERTIFICATE REQUEST", csr.der().to_vec())))
}

/// rcgen keeps one value per attribute type, so at most one O fits.
fn subject(spec: &RequestSpec) -> Result<DistinguishedName, PkiError> {
    let mut dn = DistinguishedName::new();
    match spec.organizations.as_slice() {
        [] => {}
        [o] => dn.push(DnType::OrganizationName, go_string(o)),
        more => return Err(PkiError::Signing(format!("a request can carry one organization here, not {}", more.len()))),
    }
    if !spec.common_name.is_empty() {
        dn.push(DnType::CommonName, go_string(&spec.common_name));
    }
    Ok(dn)
}

/// The string type Go's x509 picks: PrintableString when it fits, else UTF8String.
fn go_string(s: &str) -> rcgen::DnValue {
    match rcgen::string::PrintableString::try_from(s) {
        Ok(p) => rcgen::DnValue::PrintableString(p),
        Err(_) => rcgen::DnValue::Utf8String(s.to_string()),
    }
}

fn sans(spec: &RequestSpec) -> Result<Vec<SanType>, PkiError> {
    let ia5 = |s: &String| rcgen::string::Ia5String::try_from(s.as_str()).map_err(|e| PkiError::Signing(format!("SAN {s:?}: {e}")));
    let mut out = Vec::new();
    for d in &spec.dns {
        out.push(SanType::DnsName(ia5(d)?));
    }
    out.extend(spec.ips.iter().map(|ip| SanType::IpAddress(*ip)));
    for e in &spec.emails {
        out.push(SanType::Rfc822Name(ia5(e)?));
    }
    for u in &spec.uris {
        out.push(SanType::URI(ia5(u)?));
    }
    Ok(out)
}

/// A made-up cluster's requests for screens, tests and benchmarks: `count`
/// CSR objects from `nodes` Nodes, created a few seconds apart before `now`.
/// Each node's serving request is real (signed PEM) and passes; every tenth
/// asks for a foreign IP and fails; every seventh is a bootstrap client
/// request; every twentieth is already issued. Requests reuse their node's
/// PEM, so only `3 * nodes` are signed.
pub fn fleet(count: usize, nodes: usize, now: chrono::DateTime<chrono::Utc>) -> Result<(Vec<CertificateSigningRequest>, Vec<NodeFacts>), PkiError> {
    let nodes = nodes.max(1);
    let facts: Vec<NodeFacts> = (0..nodes).map(|i| NodeFacts { name: format!("node-{i}"), addresses: vec![("InternalIP".into(), node_ip(i).to_string()), ("Hostname".into(), format!("node-{i}"))] }).collect();
    let mut pems = Vec::with_capacity(nodes);
    for i in 0..nodes {
        let key = generate_key(KeyAlgorithm::EcdsaP256)?;
        let name = format!("node-{i}");
        let good = build(&RequestSpec::kubelet_serving(&name, &[&name], &[node_ip(i)]), &key)?;
        let foreign = build(&RequestSpec::kubelet_serving(&name, &[&name], &[IpAddr::from([192, 0, 2, (i % 250) as u8 + 1])]), &key)?;
        let client = crate::pki::csr::node_client_request(&format!("worker-{i}"), &key)?;
        pems.push([good, foreign, client]);
    }
    let objects = (0..count)
        .map(|j| {
            let [good, foreign, client] = &pems[j % nodes];
            let node = format!("system:node:node-{}", j % nodes);
            let mut o = match j {
                _ if j % 7 == 6 => fleet_object(j, client, super::KUBELET_CLIENT, "system:bootstrap:abcdef", &["system:bootstrappers", "system:authenticated"], "client auth"),
                _ if j % 10 == 9 => fleet_object(j, foreign, super::KUBELET_SERVING, &node, &["system:nodes", "system:authenticated"], "server auth"),
                _ => fleet_object(j, good, super::KUBELET_SERVING, &node, &["system:nodes", "system:authenticated"], "server auth"),
            };
            let created = now - chrono::TimeDelta::seconds(17 * j as i64 + 5);
            o.metadata.creation_timestamp = k8s_openapi::jiff::Timestamp::from_second(created.timestamp()).ok().map(Time);
            if j % 20 == 19 {
                o.status = Some(issued());
            }
            o
        })
        .collect();
    Ok((objects, facts))
}

fn node_ip(i: usize) -> IpAddr {
    IpAddr::from([10, 0, (i / 250) as u8, (i % 250) as u8 + 1])
}

fn fleet_object(j: usize, pem: &str, signer: &str, username: &str, groups: &[&str], usage: &str) -> CertificateSigningRequest {
    CertificateSigningRequest {
        metadata: ObjectMeta { name: Some(format!("csr-{j:05}")), uid: Some(format!("uid-{j:05}")), resource_version: Some("1".into()), ..ObjectMeta::default() },
        spec: CertificateSigningRequestSpec {
            request: ByteString(pem.as_bytes().to_vec()),
            signer_name: signer.into(),
            username: Some(username.into()),
            groups: Some(groups.iter().map(|g| g.to_string()).collect()),
            usages: Some(["digital signature", "key encipherment", usage].map(String::from).to_vec()),
            ..CertificateSigningRequestSpec::default()
        },
        status: None,
    }
}

fn issued() -> CertificateSigningRequestStatus {
    let condition = CertificateSigningRequestCondition { type_: "Approved".into(), status: "True".into(), reason: Some("KubeliftApprove".into()), ..CertificateSigningRequestCondition::default() };
    CertificateSigningRequestStatus { conditions: Some(vec![condition]), certificate: Some(ByteString(b"issued".to_vec())) }
}
