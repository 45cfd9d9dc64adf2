//! Building certificate requests with any subject and SANs, as a kubelet
//! asking for a serving certificate does (its names and addresses as SANs).
//! kubelift's tests, the end-to-end suite and the approval benchmark make
//! their CSRs here; `pki::csr` keeps the node *client* request of TLS bootstrap.

use std::net::IpAddr;

use rcgen::{CertificateParams, DistinguishedName, DnType, SanType};

use crate::pki::{KeyPair, PkiError};

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
