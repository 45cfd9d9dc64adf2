//! Creating certificates as Go's `crypto/x509` does for kubeadm, and reading
//! back the facts kubeadm checks about existing ones.
//!
//! rcgen assembles and signs the certificate, but every extension is handed
//! to it pre-encoded: rcgen's own extension order (AKID, SAN, key usage, ...)
//! differs from Go's, and byte-level parity with kubeadm is the point.

use super::der::{self, TAG_BOOLEAN, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE};
use super::key::{encode_pem, KeyPair};
use super::spec::{normalize_alt_names, CertSpec, ExtKeyUsage};
use super::{KeyAlgorithm, PkiError, CERT_BACKDATE};
use rcgen::{
    CertificateParams, CustomExtension, DistinguishedName, DnType, DnValue, Issuer, SerialNumber,
};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};
use x509_parser::public_key::PublicKey;

const PEM_CERTIFICATE: &str = "CERTIFICATE";

const OID_KEY_USAGE: &[u64] = &[2, 5, 29, 15];
const OID_EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 37];
const OID_BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
const OID_SUBJECT_KEY_ID: &[u64] = &[2, 5, 29, 14];
const OID_AUTHORITY_KEY_ID: &[u64] = &[2, 5, 29, 35];
const OID_SUBJECT_ALT_NAME: &[u64] = &[2, 5, 29, 17];

/// DER contents of id-kp-serverAuth / id-kp-clientAuth.
const DER_SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
const DER_CLIENT_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];

/// X.509 key usage bits, in Go's `x509.KeyUsage` bit order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyUsage {
    DigitalSignature,
    ContentCommitment,
    KeyEncipherment,
    DataEncipherment,
    KeyAgreement,
    CertSign,
    CrlSign,
    EncipherOnly,
    DecipherOnly,
}

impl KeyUsage {
    const ALL: [KeyUsage; 9] = [
        KeyUsage::DigitalSignature,
        KeyUsage::ContentCommitment,
        KeyUsage::KeyEncipherment,
        KeyUsage::DataEncipherment,
        KeyUsage::KeyAgreement,
        KeyUsage::CertSign,
        KeyUsage::CrlSign,
        KeyUsage::EncipherOnly,
        KeyUsage::DecipherOnly,
    ];

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// Certificate signature algorithms, named as `openssl x509 -text` names them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    Sha256WithRsa,
    Sha384WithRsa,
    Sha512WithRsa,
    EcdsaWithSha256,
    EcdsaWithSha384,
    /// Anything else, as a dotted OID.
    Other(String),
}

impl SignatureAlgorithm {
    fn from_oid(oid: &str) -> Self {
        match oid {
            "1.2.840.113549.1.1.11" => SignatureAlgorithm::Sha256WithRsa,
            "1.2.840.113549.1.1.12" => SignatureAlgorithm::Sha384WithRsa,
            "1.2.840.113549.1.1.13" => SignatureAlgorithm::Sha512WithRsa,
            "1.2.840.10045.4.3.2" => SignatureAlgorithm::EcdsaWithSha256,
            "1.2.840.10045.4.3.3" => SignatureAlgorithm::EcdsaWithSha384,
            other => SignatureAlgorithm::Other(other.to_string()),
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureAlgorithm::Sha256WithRsa => "sha256WithRSAEncryption",
            SignatureAlgorithm::Sha384WithRsa => "sha384WithRSAEncryption",
            SignatureAlgorithm::Sha512WithRsa => "sha512WithRSAEncryption",
            SignatureAlgorithm::EcdsaWithSha256 => "ecdsa-with-SHA256",
            SignatureAlgorithm::EcdsaWithSha384 => "ecdsa-with-SHA384",
            SignatureAlgorithm::Other(oid) => oid,
        })
    }
}

/// A subject or issuer name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Name {
    /// First CN, empty when absent.
    pub common_name: String,
    /// Every O, in order.
    pub organizations: Vec<String>,
    /// All attributes in certificate order, as `openssl x509 -text` prints
    /// them, e.g. `O = system:masters, CN = kube-apiserver-etcd-client`.
    pub text: String,
}

/// One extension's identity and criticality, in certificate order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionFact {
    /// Dotted OID.
    pub oid: String,
    /// OpenSSL's label, e.g. `X509v3 Key Usage`, or the OID.
    pub name: String,
    pub critical: bool,
}

/// What kubeadm and its users look at in a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFacts {
    /// Big-endian magnitude, no leading zeros.
    pub serial: Vec<u8>,
    pub signature_algorithm: SignatureAlgorithm,
    pub issuer: Name,
    pub subject: Name,
    pub not_before: SystemTime,
    pub not_after: SystemTime,
    /// `None` for keys kubeadm would not generate.
    pub key_algorithm: Option<KeyAlgorithm>,
    /// The whole `SubjectPublicKeyInfo` DER.
    pub spki_der: Vec<u8>,
    /// Basic constraints present and CA:TRUE.
    pub is_ca: bool,
    pub key_usages: Vec<KeyUsage>,
    /// In certificate order; purposes other than server/client auth are omitted.
    pub ext_key_usages: Vec<ExtKeyUsage>,
    pub subject_key_id: Option<Vec<u8>>,
    pub authority_key_id: Option<Vec<u8>>,
    pub dns_names: Vec<String>,
    pub ips: Vec<IpAddr>,
    pub extensions: Vec<ExtensionFact>,
}

/// An X.509 certificate: its DER plus the parsed facts.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    subject_raw: Vec<u8>,
    issuer_raw: Vec<u8>,
    facts: CertFacts,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.facts.subject.text)
            .field("issuer", &self.facts.issuer.text)
            .field("serial", &hex::encode(&self.facts.serial))
            .field("not_after", &self.facts.not_after)
            .finish_non_exhaustive()
    }
}

impl Certificate {
    /// Parses DER; trailing bytes are rejected.
    pub fn from_der(der: &[u8]) -> Result<Self, PkiError> {
        let (rest, x509) = X509Certificate::from_der(der)
            .map_err(|e| PkiError::InvalidCertificate(e.to_string()))?;
        if !rest.is_empty() {
            return Err(PkiError::InvalidCertificate(
                "trailing data after certificate".into(),
            ));
        }
        Ok(Certificate {
            der: der.to_vec(),
            subject_raw: x509.subject().as_raw().to_vec(),
            issuer_raw: x509.issuer().as_raw().to_vec(),
            facts: facts_of(&x509),
        })
    }

    /// The first `CERTIFICATE` block of a PEM file, as kubeadm's
    /// `TryLoadCertFromDisk` takes the first certificate of a bundle.
    pub fn parse_pem(pem_text: &[u8]) -> Result<Self, PkiError> {
        let blocks =
            pem::parse_many(pem_text).map_err(|e| PkiError::InvalidCertificate(e.to_string()))?;
        let block = blocks
            .iter()
            .find(|b| b.tag() == PEM_CERTIFICATE)
            .ok_or_else(|| PkiError::InvalidCertificate("no CERTIFICATE PEM block".into()))?;
        Self::from_der(block.contents())
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// `CERTIFICATE` PEM, the `.crt` file content.
    pub fn to_pem(&self) -> String {
        encode_pem(PEM_CERTIFICATE, self.der.clone())
    }

    pub fn facts(&self) -> &CertFacts {
        &self.facts
    }

    /// Whether `key` is this certificate's private key (same public key).
    pub fn matches_key(&self, key: &KeyPair) -> bool {
        self.facts.spki_der == key.public_key_der()
    }

    /// kubeadm's "is this signed by that CA" check (Go's
    /// `CheckSignatureFrom`: the parent must be a CA allowed to sign
    /// certificates, and the signature must verify), plus the issuer name
    /// must equal the CA's subject, without which TLS chain building fails.
    pub fn verify_signed_by(&self, ca: &Certificate) -> Result<(), PkiError> {
        let fail = |why: &str| Err(PkiError::NotSignedByCa(why.to_string()));
        if !ca.facts.is_ca {
            return fail("the parent certificate is not a CA");
        }
        if !ca.facts.key_usages.is_empty() && !ca.facts.key_usages.contains(&KeyUsage::CertSign) {
            return fail("the parent certificate may not sign certificates");
        }
        if self.issuer_raw != ca.subject_raw {
            return fail("issuer name does not match the CA subject");
        }
        let (_, cert) = X509Certificate::from_der(&self.der)
            .map_err(|e| PkiError::InvalidCertificate(e.to_string()))?;
        let (_, ca_cert) = X509Certificate::from_der(&ca.der)
            .map_err(|e| PkiError::InvalidCertificate(e.to_string()))?;
        cert.verify_signature(Some(ca_cert.public_key()))
            .or_else(|e| fail(&e.to_string()))
    }

    /// Go's `VerifyHostname` as kubeadm uses it to decide whether an existing
    /// certificate still covers a SAN: IPs against IP SANs, names against DNS
    /// SANs case-insensitively, with left-most-label wildcards.
    pub fn verify_hostname(&self, host: &str) -> bool {
        let candidate = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if let Ok(ip) = candidate.parse::<IpAddr>() {
            return self.facts.ips.contains(&ip.to_canonical());
        }
        let name = host.to_ascii_lowercase();
        let name = name.trim_end_matches('.');
        self.facts
            .dns_names
            .iter()
            .any(|pattern| hostname_matches(&pattern.to_ascii_lowercase(), name))
    }

    /// The SANs of `spec` this certificate does not cover; kubeadm refuses
    /// to reuse an existing certificate when this is not empty.
    pub fn uncovered_names(&self, spec: &CertSpec) -> Vec<String> {
        let names = spec
            .dns_names
            .iter()
            .cloned()
            .chain(spec.ips.iter().map(IpAddr::to_string));
        names.filter(|n| !self.verify_hostname(n)).collect()
    }

    /// Within NotBefore..=NotAfter; kubeadm only warns when this is false.
    pub fn is_valid_at(&self, time: SystemTime) -> bool {
        self.facts.not_before <= time && time <= self.facts.not_after
    }

    /// This certificate's `--discovery-token-ca-cert-hash` value.
    pub fn ca_cert_hash(&self) -> String {
        spki_hash(&self.facts.spki_der)
    }
}

fn hostname_matches(pattern: &str, name: &str) -> bool {
    let pattern = pattern.trim_end_matches('.');
    if pattern == name {
        return true;
    }
    match (pattern.strip_prefix("*."), name.split_once('.')) {
        (Some(rest), Some((first, name_rest))) => {
            !first.is_empty() && !first.contains('*') && rest == name_rest
        }
        _ => false,
    }
}

/// `sha256:<hex>` of the certificate's SubjectPublicKeyInfo, the value of
/// `kubeadm join --discovery-token-ca-cert-hash`.
pub fn ca_cert_hash(ca_cert_der: &[u8]) -> Result<String, PkiError> {
    Ok(Certificate::from_der(ca_cert_der)?.ca_cert_hash())
}

fn spki_hash(spki_der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, spki_der);
    format!("sha256:{}", hex::encode(digest.as_ref()))
}

/// A self-signed CA as client-go's `NewSelfSignedCACert` makes it for
/// kubeadm: key usage digitalSignature+keyEncipherment+keyCertSign
/// (critical), CA:TRUE (critical), SHA-1 subject key id, DNS SAN = CN.
///
/// `now` is the creation time; pass the same instant for every certificate
/// of one run, as kubeadm does, so leaves start when their CA starts.
pub fn new_ca(spec: &CertSpec, key: &KeyPair, now: SystemTime) -> Result<Certificate, PkiError> {
    check_spec(spec, false)?;
    let (dns, ips) = normalize_alt_names(&spec.dns_names, &spec.ips);
    let mut extensions = vec![
        key_usage_ext(&[
            KeyUsage::DigitalSignature,
            KeyUsage::KeyEncipherment,
            KeyUsage::CertSign,
        ]),
        basic_constraints_ext(true),
        subject_key_id_ext(&subject_key_id(key)),
    ];
    extensions.extend(san_ext(&dns, &ips)?);
    let params = cert_params(spec, now, extensions)?;
    let cert = params
        .self_signed(key)
        .map_err(|e| PkiError::Signing(e.to_string()))?;
    Certificate::from_der(cert.der())
}

/// A leaf signed by `ca_cert`/`ca_key` as kubeadm's `NewSignedCert`:
/// key usage digitalSignature+keyEncipherment (critical), the spec's
/// extended key usages, CA:FALSE (critical), authority key id = the CA's
/// subject key id, SANs sorted/de-duplicated as kubeadm does.
///
/// NotBefore is `now` minus [`CERT_BACKDATE`] as in current kubeadm, not the
/// CA's NotBefore as in v1.24: the same instant for a CA created with the
/// same `now`, and a sensible one when renewing under an old CA.
pub fn new_signed(
    spec: &CertSpec,
    key: &KeyPair,
    ca_cert: &Certificate,
    ca_key: &KeyPair,
    now: SystemTime,
) -> Result<Certificate, PkiError> {
    check_spec(spec, true)?;
    if !ca_cert.facts.is_ca {
        return Err(PkiError::InvalidSpec(format!(
            "certificate {:?} is not a CA",
            ca_cert.facts.subject.text
        )));
    }
    if !ca_cert.matches_key(ca_key) {
        return Err(PkiError::InvalidSpec(
            "the CA key does not match the CA certificate".into(),
        ));
    }
    let (dns, ips) = normalize_alt_names(&spec.dns_names, &spec.ips);
    let mut extensions = vec![
        key_usage_ext(&[KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment]),
        ext_key_usage_ext(&spec.usages),
        basic_constraints_ext(false),
    ];
    extensions.extend(
        ca_cert
            .facts
            .subject_key_id
            .as_deref()
            .map(authority_key_id_ext),
    );
    extensions.extend(san_ext(&dns, &ips)?);
    let params = cert_params(spec, now, extensions)?;
    let issuer = Issuer::new(issuer_params(ca_cert)?, ca_key);
    let der = params
        .signed_by(key, &issuer)
        .map_err(|e| PkiError::Signing(e.to_string()))?;
    let cert = Certificate::from_der(der.der())?;
    if cert.issuer_raw != ca_cert.subject_raw {
        return Err(PkiError::Signing(
            "the CA subject cannot be reproduced as issuer name".into(),
        ));
    }
    Ok(cert)
}

/// kubeadm's preconditions (texts from `NewSignedCert`).
fn check_spec(spec: &CertSpec, leaf: bool) -> Result<(), PkiError> {
    if spec.common_name.is_empty() {
        return Err(PkiError::InvalidSpec("must specify a CommonName".into()));
    }
    if leaf && spec.ca.is_none() {
        return Err(PkiError::InvalidSpec(format!(
            "{} is a CA spec, not a signed certificate",
            spec.name
        )));
    }
    if leaf && spec.usages.is_empty() {
        return Err(PkiError::InvalidSpec(
            "must specify at least one ExtKeyUsage".into(),
        ));
    }
    if spec.organizations.len() > 1 {
        return Err(PkiError::InvalidSpec(
            "at most one organization is supported".into(),
        ));
    }
    Ok(())
}

fn cert_params(
    spec: &CertSpec,
    now: SystemTime,
    extensions: Vec<CustomExtension>,
) -> Result<CertificateParams, PkiError> {
    let (not_before, not_after) = validity(now, spec.validity)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = subject_name(spec);
    params.serial_number = Some(SerialNumber::from_slice(&random_serial()?.to_be_bytes()));
    params.not_before = not_before;
    params.not_after = not_after;
    params.custom_extensions = extensions;
    Ok(params)
}

const BACKDATE_SECS: i64 = CERT_BACKDATE.as_secs() as i64;

/// kubeadm (1.28+): NotBefore = creation time - 5 min, NotAfter = creation
/// time + validity, whole seconds as Go encodes them.
fn validity(
    now: SystemTime,
    validity: Duration,
) -> Result<(time::OffsetDateTime, time::OffsetDateTime), PkiError> {
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map_err(|_| PkiError::InvalidInput("creation time is before 1970".into()))?
        .as_secs();
    let secs = i64::try_from(secs)
        .map_err(|_| PkiError::InvalidInput("creation time out of range".into()))?;
    let at = |s: i64| {
        time::OffsetDateTime::from_unix_timestamp(s)
            .map_err(|_| PkiError::InvalidInput("certificate validity out of range".into()))
    };
    let validity = i64::try_from(validity.as_secs())
        .map_err(|_| PkiError::InvalidInput("validity too long".into()))?;
    Ok((
        at(secs - BACKDATE_SECS)?,
        at(secs.saturating_add(validity))?,
    ))
}

/// Go's `crypto/rand.Int(MaxInt64-1) + 1` as newer kubeadm does: uniform in [1, 2^63-1).
fn random_serial() -> Result<u64, PkiError> {
    const BOUND: u64 = i64::MAX as u64 - 1;
    loop {
        let mut bytes = [0u8; 8];
        aws_lc_rs::rand::fill(&mut bytes)
            .map_err(|_| PkiError::Signing("no randomness for serial number".into()))?;
        let value = u64::from_be_bytes(bytes) >> 1;
        if value < BOUND {
            return Ok(value + 1);
        }
    }
}

/// Go's `pkix.Name` order (O before CN) and string type choice
/// (PrintableString when every character allows it, else UTF8String).
fn subject_name(spec: &CertSpec) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    for org in &spec.organizations {
        dn.push(DnType::OrganizationName, go_string(org));
    }
    dn.push(DnType::CommonName, go_string(&spec.common_name));
    dn
}

pub(crate) fn go_string(s: &str) -> DnValue {
    match rcgen::string::PrintableString::try_from(s) {
        Ok(p) => DnValue::PrintableString(p),
        Err(_) => DnValue::Utf8String(s.to_string()),
    }
}

/// The CA's subject with its string types preserved, so the leaf's issuer
/// bytes equal the CA's subject bytes as Go copies them.
fn issuer_params(ca_cert: &Certificate) -> Result<CertificateParams, PkiError> {
    let (_, x509) = X509Certificate::from_der(&ca_cert.der)
        .map_err(|e| PkiError::InvalidCertificate(e.to_string()))?;
    let mut params = CertificateParams::default();
    params.distinguished_name = distinguished_name_of(x509.subject())?;
    Ok(params)
}

fn distinguished_name_of(name: &X509Name) -> Result<DistinguishedName, PkiError> {
    let unsupported =
        |why: &str| PkiError::Signing(format!("cannot reproduce the CA subject as issuer: {why}"));
    let mut dn = DistinguishedName::new();
    for rdn in name.iter() {
        let mut attrs = rdn.iter();
        let (Some(attr), None) = (attrs.next(), attrs.next()) else {
            return Err(unsupported("multi-valued RDN"));
        };
        let oid: Vec<u64> = attr
            .attr_type()
            .iter()
            .ok_or_else(|| unsupported("OID"))?
            .collect();
        let ty = DnType::from_oid(&oid);
        if dn.get(&ty).is_some() {
            return Err(unsupported("repeated attribute type"));
        }
        let text = || {
            attr.as_str()
                .map(str::to_string)
                .map_err(|_| unsupported("string"))
        };
        let value = match attr.attr_value().header.tag() {
            Tag::PrintableString => {
                DnValue::PrintableString(text()?.try_into().map_err(|_| unsupported("string"))?)
            }
            Tag::Ia5String => {
                DnValue::Ia5String(text()?.try_into().map_err(|_| unsupported("string"))?)
            }
            Tag::Utf8String => DnValue::Utf8String(text()?),
            _ => return Err(unsupported("string type")),
        };
        dn.push(ty, value);
    }
    Ok(dn)
}

fn extension(oid: &[u64], critical: bool, value: Vec<u8>) -> CustomExtension {
    let mut ext = CustomExtension::from_oid_content(oid, value);
    ext.set_criticality(critical);
    ext
}

/// Go's `marshalKeyUsage`: bit-reversed bytes, trailing zero bits dropped, critical.
fn key_usage_ext(usages: &[KeyUsage]) -> CustomExtension {
    let bits = usages.iter().fold(0u16, |acc, u| acc | u.bit());
    let bytes = [
        (bits as u8).reverse_bits(),
        ((bits >> 8) as u8).reverse_bits(),
    ];
    let bytes = if bytes[1] != 0 {
        &bytes[..]
    } else {
        &bytes[..1]
    };
    let last = bytes[bytes.len() - 1];
    let unused = if last == 0 {
        0
    } else {
        last.trailing_zeros() as u8
    };
    extension(OID_KEY_USAGE, true, der::bit_string(unused, bytes))
}

fn ext_key_usage_ext(usages: &[ExtKeyUsage]) -> CustomExtension {
    let oids: Vec<Vec<u8>> = usages
        .iter()
        .map(|u| {
            der::tlv(
                TAG_OID,
                if *u == ExtKeyUsage::ServerAuth {
                    DER_SERVER_AUTH
                } else {
                    DER_CLIENT_AUTH
                },
            )
        })
        .collect();
    extension(OID_EXT_KEY_USAGE, false, der::sequence(&oids))
}

/// Critical; CA:FALSE is the empty SEQUENCE (DER omits the default).
fn basic_constraints_ext(is_ca: bool) -> CustomExtension {
    let body = if is_ca {
        vec![der::tlv(TAG_BOOLEAN, &[0xff])]
    } else {
        vec![]
    };
    extension(OID_BASIC_CONSTRAINTS, true, der::sequence(&body))
}

/// Go 1.17: SHA-1 over the subjectPublicKey bits (RFC 5280 method 1).
fn subject_key_id(key: &KeyPair) -> Vec<u8> {
    aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
        key.public_key_bits(),
    )
    .as_ref()
    .to_vec()
}

fn subject_key_id_ext(id: &[u8]) -> CustomExtension {
    extension(OID_SUBJECT_KEY_ID, false, der::tlv(TAG_OCTET_STRING, id))
}

/// `SEQUENCE { [0] IMPLICIT keyIdentifier }`.
fn authority_key_id_ext(id: &[u8]) -> CustomExtension {
    extension(
        OID_AUTHORITY_KEY_ID,
        false,
        der::sequence(&[der::tlv(0x80, id)]),
    )
}

/// DNS names first, then IPs (4 bytes for IPv4), as Go's `marshalSANs`;
/// absent when there are none. Never critical: kubeadm subjects always have a CN.
fn san_ext(dns: &[String], ips: &[IpAddr]) -> Result<Option<CustomExtension>, PkiError> {
    if dns.is_empty() && ips.is_empty() {
        return Ok(None);
    }
    let mut names = Vec::new();
    for name in dns {
        if !name.is_ascii() {
            return Err(PkiError::InvalidSpec(format!(
                "SAN dNSName {name:?} cannot be encoded as an IA5String"
            )));
        }
        names.push(der::tlv(0x82, name.as_bytes()));
    }
    for ip in ips {
        let bytes = match ip.to_canonical() {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.octets().to_vec(),
        };
        names.push(der::tlv(0x87, &bytes));
    }
    Ok(Some(extension(
        OID_SUBJECT_ALT_NAME,
        false,
        der::sequence(&names),
    )))
}

fn facts_of(x509: &X509Certificate) -> CertFacts {
    let serial: Vec<u8> = x509
        .raw_serial()
        .iter()
        .copied()
        .skip_while(|b| *b == 0)
        .collect();
    let spki = x509.public_key();
    let mut facts = CertFacts {
        serial,
        signature_algorithm: SignatureAlgorithm::from_oid(
            &x509.signature_algorithm.algorithm.to_id_string(),
        ),
        issuer: name_of(x509.issuer()),
        subject: name_of(x509.subject()),
        not_before: system_time(x509.validity().not_before.timestamp()),
        not_after: system_time(x509.validity().not_after.timestamp()),
        key_algorithm: key_algorithm_of(spki),
        spki_der: spki.raw.to_vec(),
        is_ca: false,
        key_usages: Vec::new(),
        ext_key_usages: Vec::new(),
        subject_key_id: None,
        authority_key_id: None,
        dns_names: Vec::new(),
        ips: Vec::new(),
        extensions: Vec::new(),
    };
    for ext in x509.extensions() {
        let oid = ext.oid.to_id_string();
        facts.extensions.push(ExtensionFact {
            name: extension_label(&oid),
            oid,
            critical: ext.critical,
        });
        apply_extension(&mut facts, ext.parsed_extension(), ext.value);
    }
    facts
}

fn apply_extension(facts: &mut CertFacts, parsed: &ParsedExtension, raw: &[u8]) {
    match parsed {
        ParsedExtension::BasicConstraints(bc) => facts.is_ca = bc.ca,
        ParsedExtension::KeyUsage(ku) => {
            facts.key_usages = KeyUsage::ALL
                .into_iter()
                .filter(|u| ku.flags & u.bit() != 0)
                .collect();
        }
        ParsedExtension::ExtendedKeyUsage(_) => facts.ext_key_usages = ext_key_usages_in_order(raw),
        ParsedExtension::SubjectKeyIdentifier(id) => facts.subject_key_id = Some(id.0.to_vec()),
        ParsedExtension::AuthorityKeyIdentifier(akid) => {
            facts.authority_key_id = akid.key_identifier.as_ref().map(|id| id.0.to_vec());
        }
        ParsedExtension::SubjectAlternativeName(san) => {
            for name in &san.general_names {
                match name {
                    GeneralName::DNSName(d) => facts.dns_names.push(d.to_string()),
                    GeneralName::IPAddress(b) => facts.ips.extend(ip_from_bytes(b)),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// x509-parser's EKU struct loses the order, which kubeadm's certificates
/// show (server before client), so read the OIDs ourselves.
fn ext_key_usages_in_order(raw: &[u8]) -> Vec<ExtKeyUsage> {
    let Some((TAG_SEQUENCE, mut body, _)) = der::read_tlv(raw) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while let Some((tag, oid, rest)) = der::read_tlv(body) {
        match (tag, oid) {
            (TAG_OID, DER_SERVER_AUTH) => out.push(ExtKeyUsage::ServerAuth),
            (TAG_OID, DER_CLIENT_AUTH) => out.push(ExtKeyUsage::ClientAuth),
            _ => {}
        }
        body = rest;
    }
    out
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?))),
        16 => Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?)).to_canonical()),
        _ => None,
    }
}

fn key_algorithm_of(spki: &x509_parser::x509::SubjectPublicKeyInfo) -> Option<KeyAlgorithm> {
    match spki.parsed().ok()? {
        PublicKey::RSA(rsa) => KeyAlgorithm::from_rsa_bits(rsa.key_size()),
        PublicKey::EC(point) => match point.key_size() {
            256 => Some(KeyAlgorithm::EcdsaP256),
            384 => Some(KeyAlgorithm::EcdsaP384),
            _ => None,
        },
        _ => None,
    }
}

fn system_time(unix: i64) -> SystemTime {
    if unix >= 0 {
        UNIX_EPOCH + Duration::from_secs(unix as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(unix.unsigned_abs())
    }
}

fn name_of(name: &X509Name) -> Name {
    let mut out = Name::default();
    let mut parts = Vec::new();
    for rdn in name.iter() {
        for attr in rdn.iter() {
            let oid = attr.attr_type().to_id_string();
            let value = attr.as_str().unwrap_or("<non-string>").to_string();
            match oid.as_str() {
                "2.5.4.3" if out.common_name.is_empty() => out.common_name = value.clone(),
                "2.5.4.10" => out.organizations.push(value.clone()),
                _ => {}
            }
            parts.push(format!("{} = {value}", attribute_label(&oid)));
        }
    }
    out.text = parts.join(", ");
    out
}

fn attribute_label(oid: &str) -> String {
    match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        other => other,
    }
    .to_string()
}

fn extension_label(oid: &str) -> String {
    match oid {
        "2.5.29.15" => "X509v3 Key Usage",
        "2.5.29.37" => "X509v3 Extended Key Usage",
        "2.5.29.19" => "X509v3 Basic Constraints",
        "2.5.29.14" => "X509v3 Subject Key Identifier",
        "2.5.29.35" => "X509v3 Authority Key Identifier",
        "2.5.29.17" => "X509v3 Subject Alternative Name",
        other => other,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::spec::tests::reference_inputs;
    use crate::pki::{cert_specs, generate_key, DEFAULT_CA_VALIDITY, DEFAULT_CERT_VALIDITY};

    /// The reference run's creation time: Nov 22 12:07:48 2026 GMT.
    fn reference_now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_795_349_268)
    }

    fn ecdsa_specs() -> Vec<CertSpec> {
        cert_specs(&reference_inputs()).unwrap()
    }

    fn ext_labels(cert: &Certificate) -> Vec<(String, bool)> {
        cert.facts()
            .extensions
            .iter()
            .map(|e| (e.name.clone(), e.critical))
            .collect()
    }

    fn label(name: &str, critical: bool) -> (String, bool) {
        (name.to_string(), critical)
    }

    #[test]
    fn ca_matches_reference_profile() {
        let spec = &ecdsa_specs()[0];
        let key = generate_key(KeyAlgorithm::EcdsaP256).unwrap();
        let ca = new_ca(spec, &key, reference_now()).unwrap();
        let f = ca.facts();
        assert_eq!(f.subject.text, "CN = kubernetes");
        assert_eq!(f.issuer.text, "CN = kubernetes");
        assert!(f.is_ca);
        assert_eq!(
            f.key_usages,
            [
                KeyUsage::DigitalSignature,
                KeyUsage::KeyEncipherment,
                KeyUsage::CertSign
            ]
        );
        assert_eq!(
            ext_labels(&ca),
            [
                label("X509v3 Key Usage", true),
                label("X509v3 Basic Constraints", true),
                label("X509v3 Subject Key Identifier", false),
                label("X509v3 Subject Alternative Name", false),
            ]
        );
        assert_eq!(f.dns_names, ["kubernetes"]);
        assert_eq!(f.subject_key_id.as_ref().unwrap().len(), 20);
        assert_eq!(f.authority_key_id, None);
        assert_eq!(f.signature_algorithm, SignatureAlgorithm::EcdsaWithSha256);
        assert_eq!(f.not_before, reference_now() - CERT_BACKDATE);
        assert_eq!(f.not_after, reference_now() + DEFAULT_CA_VALIDITY);
        assert!(!f.serial.is_empty() && f.serial.len() <= 8 && f.serial[0] != 0);
        assert!(ca.matches_key(&key));
        ca.verify_signed_by(&ca).unwrap();
    }

    #[test]
    fn leaves_match_reference_profile() {
        let specs = ecdsa_specs();
        let now = reference_now();
        let ca_key = generate_key(KeyAlgorithm::EcdsaP256).unwrap();
        let ca = new_ca(&specs[5], &ca_key, now).unwrap();
        let key = generate_key(KeyAlgorithm::EcdsaP256).unwrap();
        let server = new_signed(&specs[6], &key, &ca, &ca_key, now).unwrap();
        let f = server.facts();
        assert_eq!(f.subject.text, "CN = cp1");
        assert_eq!(f.issuer.text, "CN = etcd-ca");
        assert!(!f.is_ca);
        assert_eq!(
            f.key_usages,
            [KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment]
        );
        assert_eq!(
            f.ext_key_usages,
            [ExtKeyUsage::ServerAuth, ExtKeyUsage::ClientAuth]
        );
        assert_eq!(
            ext_labels(&server),
            [
                label("X509v3 Key Usage", true),
                label("X509v3 Extended Key Usage", false),
                label("X509v3 Basic Constraints", true),
                label("X509v3 Authority Key Identifier", false),
                label("X509v3 Subject Alternative Name", false),
            ]
        );
        assert_eq!(f.authority_key_id, ca.facts().subject_key_id);
        assert_eq!(f.subject_key_id, None);
        assert_eq!(f.dns_names, ["cp1", "localhost"]);
        assert_eq!(
            f.ips,
            [
                "10.211.0.2".parse::<IpAddr>().unwrap(),
                "127.0.0.1".parse().unwrap(),
                "::1".parse().unwrap()
            ]
        );
        assert_eq!(f.not_before, ca.facts().not_before);
        assert_eq!(f.not_after, now + DEFAULT_CERT_VALIDITY);
        server.verify_signed_by(&ca).unwrap();
        assert!(server.matches_key(&key) && !server.matches_key(&ca_key));
        assert!(server.uncovered_names(&specs[6]).is_empty());
    }

    #[test]
    fn client_leaf_has_org_before_cn_and_no_san() {
        let specs = ecdsa_specs();
        let ca_key = generate_key(KeyAlgorithm::EcdsaP256).unwrap();
        let ca = new_ca(&specs[5], &ca_key, reference_now()).unwrap();
        let key = generate_key(KeyAlgorithm::EcdsaP256).unwrap();
        let client = new_signed(&specs[9], &key, &ca, &ca_key, reference_now()).unwrap();
        assert_eq!(
            client.facts().subject.text,
            "O = system:masters, CN = kube-apiserver-etcd-client"
        );
        assert_eq!(client.facts().ext_key_usages, [ExtKeyUsage::ClientAuth]);
        assert_eq!(ext_labels(&client).len(), 4);
        assert!(client.facts().dns_names.is_empty());
    }

    #[test]
    fn p384_signs_with_sha384() {
        let specs = ecdsa_specs();
        let ca_key = generate_key(KeyAlgorithm::EcdsaP384).unwrap();
        let ca = new_ca(&specs[0], &ca_key, reference_now()).unwrap();
        assert_eq!(
            ca.facts().signature_algorithm,
            SignatureAlgorithm::EcdsaWithSha384
        );
        assert_eq!(ca.facts().key_algorithm, Some(KeyAlgorithm::EcdsaP384));
        let key = generate_key(KeyAlgorithm::EcdsaP256).unwrap();
        let leaf = new_signed(&specs[1], &key, &ca, &ca_key, reference_now()).unwrap();
        assert_eq!(
            leaf.facts().signature_algorithm,
            SignatureAlgorithm::EcdsaWithSha384
        );
        assert_eq!(leaf.facts().key_algorithm, Some(KeyAlgorithm::EcdsaP256));
        leaf.verify_signed_by(&ca).unwrap();
    }

    #[test]
    fn wrong_ca_or_key_is_detected() {
        let specs = ecdsa_specs();
        let (k1, k2) = (
            generate_key(KeyAlgorithm::EcdsaP256).unwrap(),
            generate_key(KeyAlgorithm::EcdsaP256).unwrap(),
        );
        let ca1 = new_ca(&specs[0], &k1, reference_now()).unwrap();
        let ca2 = new_ca(&specs[0], &k2, reference_now()).unwrap();
        let leaf = new_signed(&specs[2], &k2, &ca1, &k1, reference_now()).unwrap();
        assert!(matches!(
            leaf.verify_signed_by(&ca2),
            Err(PkiError::NotSignedByCa(_))
        ));
        assert!(matches!(
            leaf.verify_signed_by(&leaf),
            Err(PkiError::NotSignedByCa(_))
        ));
        assert!(matches!(
            new_signed(&specs[2], &k2, &ca1, &k2, reference_now()),
            Err(PkiError::InvalidSpec(_))
        ));
        assert!(matches!(
            new_signed(&specs[0], &k2, &ca1, &k1, reference_now()),
            Err(PkiError::InvalidSpec(_))
        ));
    }

    #[test]
    fn spec_preconditions_use_kubeadm_texts() {
        let specs = ecdsa_specs();
        let key = generate_key(KeyAlgorithm::EcdsaP256).unwrap();
        let ca = new_ca(&specs[0], &key, reference_now()).unwrap();
        let mut s = specs[2].clone();
        s.usages.clear();
        assert_eq!(
            new_signed(&s, &key, &ca, &key, reference_now())
                .unwrap_err()
                .to_string(),
            "must specify at least one ExtKeyUsage"
        );
        s.common_name.clear();
        assert_eq!(
            new_signed(&s, &key, &ca, &key, reference_now())
                .unwrap_err()
                .to_string(),
            "must specify a CommonName"
        );
    }

    #[test]
    fn pem_round_trip_and_hash() {
        let key = generate_key(KeyAlgorithm::EcdsaP256).unwrap();
        let ca = new_ca(&ecdsa_specs()[0], &key, reference_now()).unwrap();
        let pem_text = ca.to_pem();
        assert!(
            pem_text.starts_with("-----BEGIN CERTIFICATE-----\n")
                && pem_text.ends_with("-----END CERTIFICATE-----\n")
        );
        let back = Certificate::parse_pem(pem_text.as_bytes()).unwrap();
        assert_eq!(back, ca);
        let hash = ca_cert_hash(ca.der()).unwrap();
        assert!(hash.starts_with("sha256:") && hash.len() == 7 + 64);
        assert_eq!(hash, spki_hash(&key.public_key_der()));
        assert!(Certificate::parse_pem(b"nothing").is_err());
        assert!(ca_cert_hash(&[0x30, 0x00]).is_err());
    }

    #[test]
    fn hostname_verification_like_go() {
        let mut spec = ecdsa_specs()[1].clone();
        spec.dns_names.push("*.apps.example.com".into());
        let ca_key = generate_key(KeyAlgorithm::EcdsaP256).unwrap();
        let ca = new_ca(&ecdsa_specs()[0], &ca_key, reference_now()).unwrap();
        let leaf = new_signed(&spec, &ca_key, &ca, &ca_key, reference_now()).unwrap();
        for yes in [
            "kubernetes",
            "KUBERNETES.default.",
            "x.apps.example.com",
            "10.96.0.1",
            "[10.211.0.2]",
            "*.apps.example.com",
        ] {
            assert!(leaf.verify_hostname(yes), "{yes}");
        }
        for no in [
            "apps.example.com",
            "a.b.apps.example.com",
            "10.96.0.2",
            "cp2",
        ] {
            assert!(!leaf.verify_hostname(no), "{no}");
        }
        let mut wider = spec.clone();
        wider.ips.push("192.0.2.1".parse().unwrap());
        wider.dns_names.push("lb.example.com".into());
        assert_eq!(
            leaf.uncovered_names(&wider),
            ["lb.example.com", "192.0.2.1"]
        );
        assert!(
            leaf.is_valid_at(reference_now())
                && !leaf.is_valid_at(reference_now() - Duration::from_secs(301))
        );
    }

    #[test]
    fn key_usage_encoding_is_gos() {
        let der_of = |u: &[KeyUsage]| key_usage_ext(u).content().to_vec();
        assert_eq!(
            der_of(&[KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment]),
            [0x03, 0x02, 0x05, 0xa0]
        );
        assert_eq!(
            der_of(&[
                KeyUsage::DigitalSignature,
                KeyUsage::KeyEncipherment,
                KeyUsage::CertSign
            ]),
            [0x03, 0x02, 0x02, 0xa4]
        );
        assert_eq!(
            der_of(&[KeyUsage::DecipherOnly]),
            [0x03, 0x03, 0x07, 0x00, 0x80]
        );
        assert_eq!(basic_constraints_ext(false).content(), [0x30, 0x00]);
        assert_eq!(
            basic_constraints_ext(true).content(),
            [0x30, 0x03, 0x01, 0x01, 0xff]
        );
    }

    #[test]
    fn serials_are_in_kubeadm_range() {
        for _ in 0..1000 {
            let s = random_serial().unwrap();
            assert!((1..i64::MAX as u64).contains(&s));
        }
    }

    #[test]
    fn utf8_names_fall_back_like_go() {
        assert!(matches!(
            go_string("system:masters"),
            DnValue::PrintableString(_)
        ));
        assert!(matches!(go_string("*.example"), DnValue::Utf8String(_)));
        assert!(matches!(go_string("nöde"), DnValue::Utf8String(_)));
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::pki::spec::tests::reference_inputs;
    use crate::pki::{cert_specs, generate_key};
    use proptest::prelude::*;
    use std::sync::OnceLock;

    /// One real certificate to mutate; generated once, it is the slow part.
    fn sample_der() -> &'static [u8] {
        static DER: OnceLock<Vec<u8>> = OnceLock::new();
        DER.get_or_init(|| {
            let key = generate_key(KeyAlgorithm::EcdsaP256).unwrap();
            let specs = cert_specs(&reference_inputs()).unwrap();
            let ca = new_ca(&specs[0], &key, SystemTime::now()).unwrap();
            new_signed(&specs[1], &key, &ca, &key, SystemTime::now())
                .unwrap()
                .der()
                .to_vec()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_input_never_panics(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = Certificate::parse_pem(&data);
            let _ = Certificate::from_der(&data);
            let _ = ca_cert_hash(&data);
        }

        #[test]
        fn mutated_certificates_never_panic(idx in any::<usize>(), byte in any::<u8>(), cut in any::<usize>()) {
            let mut der = sample_der().to_vec();
            let i = idx % der.len();
            der[i] = byte;
            if let Ok(cert) = Certificate::from_der(&der) {
                let _ = cert.verify_signed_by(&cert);
                let _ = cert.verify_hostname("kubernetes");
            }
            let _ = Certificate::from_der(&der[..cut % der.len()]);
            let _ = Certificate::parse_pem(encode_pem(PEM_CERTIFICATE, der).as_bytes());
        }
    }
}
