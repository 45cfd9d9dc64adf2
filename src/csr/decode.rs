//! What a PEM `CERTIFICATE REQUEST` really asks for: subject, SANs, key, and
//! whether its self-signature holds. Decoded once per CSR object (the spec is
//! immutable), so a list of thousands stays cheap to re-judge.

use std::fmt;
use std::net::IpAddr;

use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_P521: &str = "1.3.132.0.35";

/// The public key of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyInfo {
    Rsa { bits: usize },
    /// `curve` is "P-256", "P-384", "P-521", or the curve's OID when unknown.
    Ecdsa { curve: String, bits: usize },
    Ed25519,
    /// Any other algorithm, by OID.
    Other { oid: String },
}

impl KeyInfo {
    pub fn is_rsa(&self) -> bool {
        matches!(self, KeyInfo::Rsa { .. })
    }

    /// "RSA", "ECDSA", "Ed25519" or the OID.
    pub fn kind(&self) -> String {
        match self {
            KeyInfo::Rsa { .. } => "RSA".into(),
            KeyInfo::Ecdsa { .. } => "ECDSA".into(),
            KeyInfo::Ed25519 => "Ed25519".into(),
            KeyInfo::Other { oid } => oid.clone(),
        }
    }

    /// Key size in bits (Ed25519: 256; unknown algorithms: 0).
    pub fn bits(&self) -> usize {
        match self {
            KeyInfo::Rsa { bits } | KeyInfo::Ecdsa { bits, .. } => *bits,
            KeyInfo::Ed25519 => 256,
            KeyInfo::Other { .. } => 0,
        }
    }
}

impl fmt::Display for KeyInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyInfo::Rsa { bits } => write!(f, "RSA-{bits}"),
            KeyInfo::Ecdsa { curve, .. } => write!(f, "ECDSA-{curve}"),
            KeyInfo::Ed25519 => f.write_str("Ed25519"),
            KeyInfo::Other { oid } => write!(f, "key {oid}"),
        }
    }
}

/// Subject Alternative Names, by kind, in request order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sans {
    pub dns: Vec<String>,
    pub ips: Vec<IpAddr>,
    pub emails: Vec<String>,
    pub uris: Vec<String>,
    /// Names of other kinds (directory names, other names…), described.
    pub other: Vec<String>,
}

impl Sans {
    pub fn is_empty(&self) -> bool {
        self.dns.is_empty() && self.ips.is_empty() && self.emails.is_empty() && self.uris.is_empty() && self.other.is_empty()
    }

    /// Every name, prefixed by kind as openssl prints them (`DNS:cp1`, `IP:10.0.0.2`).
    pub fn describe(&self) -> Vec<String> {
        let dns = self.dns.iter().map(|d| format!("DNS:{d}"));
        let ips = self.ips.iter().map(|i| format!("IP:{i}"));
        let emails = self.emails.iter().map(|e| format!("email:{e}"));
        let uris = self.uris.iter().map(|u| format!("URI:{u}"));
        dns.chain(ips).chain(emails).chain(uris).chain(self.other.iter().cloned()).collect()
    }
}

/// The decoded content of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// Every CN in the subject (a well-formed request has exactly one).
    pub common_names: Vec<String>,
    pub organizations: Vec<String>,
    pub sans: Sans,
    pub key: KeyInfo,
    /// `Err` with the reason when the request's self-signature does not
    /// verify; the reason starts with "not verifiable" when it could not be checked.
    pub signature: Result<(), String>,
}

impl Decoded {
    /// The CN, when there is exactly one.
    pub fn common_name(&self) -> Option<&str> {
        match self.common_names.as_slice() {
            [cn] => Some(cn),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("spec.request holds no PEM block: {0}")]
    NotPem(String),
    #[error("spec.request holds a PEM block of type {0:?}, not CERTIFICATE REQUEST")]
    WrongBlock(String),
    #[error("the CERTIFICATE REQUEST is not valid PKCS#10 DER: {0}")]
    Der(String),
    #[error("the request's {0} is not readable: {1}")]
    Field(&'static str, String),
}

/// Decodes `spec.request`: the first PEM block must be a CERTIFICATE REQUEST,
/// as the API server itself requires.
pub fn decode(pem_bytes: &[u8]) -> Result<Decoded, DecodeError> {
    let block = pem::parse(pem_bytes).map_err(|e| DecodeError::NotPem(e.to_string()))?;
    if block.tag() != "CERTIFICATE REQUEST" {
        return Err(DecodeError::WrongBlock(block.tag().to_string()));
    }
    decode_der(block.contents())
}

pub fn decode_der(der: &[u8]) -> Result<Decoded, DecodeError> {
    let (_, req) = X509CertificationRequest::from_der(der).map_err(|e| DecodeError::Der(e.to_string()))?;
    let info = &req.certification_request_info;
    let key = key_info(&req);
    let signature = req.verify_signature().map_err(|e| match &key {
        // aws-lc verifies no RSA signature under 2048 bits.
        KeyInfo::Rsa { bits } if *bits < 2048 => format!("not verifiable: RSA keys under 2048 bits are refused ({e})"),
        _ if matches!(e, x509_parser::error::X509Error::SignatureUnsupportedAlgorithm) => format!("not verifiable: kubelift cannot check this signature algorithm ({e})"),
        _ => format!("{e}"),
    });
    Ok(Decoded {
        common_names: attribute_values(info.subject.iter_common_name(), "subject CN")?,
        organizations: attribute_values(info.subject.iter_organization(), "subject O")?,
        sans: sans(&req)?,
        key,
        signature,
    })
}

fn attribute_values<'a>(
    values: impl Iterator<Item = &'a x509_parser::x509::AttributeTypeAndValue<'a>>,
    what: &'static str,
) -> Result<Vec<String>, DecodeError> {
    values.map(|v| v.as_str().map(String::from).map_err(|e| DecodeError::Field(what, e.to_string()))).collect()
}

fn sans(req: &X509CertificationRequest<'_>) -> Result<Sans, DecodeError> {
    let mut out = Sans::default();
    let Some(extensions) = req.requested_extensions() else { return Ok(out) };
    for ext in extensions {
        let ParsedExtension::SubjectAlternativeName(san) = ext else { continue };
        for name in &san.general_names {
            add_name(&mut out, name)?;
        }
    }
    Ok(out)
}

fn add_name(out: &mut Sans, name: &GeneralName<'_>) -> Result<(), DecodeError> {
    match name {
        GeneralName::DNSName(d) => out.dns.push(d.to_string()),
        GeneralName::RFC822Name(e) => out.emails.push(e.to_string()),
        GeneralName::URI(u) => out.uris.push(u.to_string()),
        GeneralName::IPAddress(bytes) => out.ips.push(ip_from_bytes(bytes)?),
        GeneralName::DirectoryName(n) => out.other.push(format!("DirName:{}", name_text(n))),
        other => out.other.push(format!("{other:?}")),
    }
    Ok(())
}

fn name_text(n: &X509Name<'_>) -> String {
    n.to_string()
}

fn ip_from_bytes(bytes: &[u8]) -> Result<IpAddr, DecodeError> {
    match bytes.len() {
        4 => Ok(IpAddr::from(<[u8; 4]>::try_from(bytes).expect("length checked"))),
        16 => Ok(IpAddr::from(<[u8; 16]>::try_from(bytes).expect("length checked"))),
        n => Err(DecodeError::Field("IP SAN", format!("{n} bytes is neither IPv4 nor IPv6"))),
    }
}

fn key_info(req: &X509CertificationRequest<'_>) -> KeyInfo {
    let spki = &req.certification_request_info.subject_pki;
    let oid = spki.algorithm.algorithm.to_id_string();
    match oid.as_str() {
        OID_RSA => KeyInfo::Rsa { bits: rsa_bits(spki) },
        OID_EC => {
            let curve_oid = spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok()).map(|o| o.to_id_string()).unwrap_or_default();
            let (curve, bits) = match curve_oid.as_str() {
                OID_P256 => ("P-256".to_string(), 256),
                OID_P384 => ("P-384".to_string(), 384),
                OID_P521 => ("P-521".to_string(), 521),
                _ => (curve_oid, 0),
            };
            KeyInfo::Ecdsa { curve, bits }
        }
        OID_ED25519 => KeyInfo::Ed25519,
        _ => KeyInfo::Other { oid },
    }
}

/// The modulus length in bits, leading zero bytes and bits not counted
/// (x509-parser's own `key_size` reports 0 for some encodings).
fn rsa_bits(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> usize {
    let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = spki.parsed() else { return 0 };
    let modulus: &[u8] = rsa.modulus;
    let significant = match modulus.iter().position(|b| *b != 0) {
        Some(i) => &modulus[i..],
        None => return 0,
    };
    significant.len() * 8 - significant[0].leading_zeros() as usize
}
