//! `certs renew NAME|all`: reissue certificates from the local CAs with the
//! subject, SANs and usages of the certificate being replaced (kubeadm's
//! `certToConfig`), valid for `certificateValidityPeriod` from now.
//!
//! Unlike kubeadm, the existing private key is kept unless `--new-key` is
//! given: a component that reads its certificate and key at different
//! moments can never see a mismatched pair, and nothing that pinned the
//! public key breaks. Every new certificate is computed before the first
//! file is written, so a failure leaves the node as it was.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Serialize;
use serde_yaml::Value;
use std::collections::{BTreeSet, HashMap};
use std::time::SystemTime;

use super::inventory::items;
use super::{is_external, load_ca, read, read_item, CertsSettings, Item, LoadedCa, Problem, Source};
use crate::engine::{FileClass, WriteGate};
use crate::pki::{self, CertSpec, Certificate, KeyAlgorithm, KeyPair};

#[derive(Debug, Clone, Copy, Default)]
pub struct RenewOptions {
    /// Make a new key too, as kubeadm does.
    pub new_key: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyDisposition {
    Kept,
    New,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum RenewOutcome {
    Renewed { expires: String, key: KeyDisposition },
    /// The file is not there; kubeadm prints `MISSING!` and goes on.
    Missing,
    /// The CA key is not on this node (external CA mode).
    ExternalCa { ca_certificate: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenewResult {
    pub name: String,
    #[serde(skip)]
    pub long_name: String,
    pub file: String,
    #[serde(flatten)]
    pub outcome: RenewOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenewReport {
    pub schema: &'static str,
    pub dry_run: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run_dir: Option<String>,
    pub certificates: Vec<RenewResult>,
    /// Static Pods that must restart to load what was renewed.
    pub restart: Vec<String>,
    /// Those kubelift restarted by touching their manifests (the others are not on this node).
    pub restarted: Vec<String>,
    pub warnings: Vec<String>,
}

impl RenewReport {
    /// Whether every selected certificate was renewed.
    pub fn complete(&self) -> bool {
        self.certificates.iter().all(|r| matches!(r.outcome, RenewOutcome::Renewed { .. }))
    }
}

/// A certificate ready to be reissued.
struct Prepared {
    item: Item,
    file: String,
    old: Certificate,
    old_key: Option<KeyPair>,
    /// The parsed kubeconfig, for kubeconfig items.
    kubeconfig: Option<Value>,
}

/// Renews `name` (an item name, or `all`) and writes the results through `gate`.
pub fn renew(gate: &WriteGate, s: &CertsSettings, name: &str, opts: RenewOptions, now: SystemTime) -> Result<RenewReport, Problem> {
    let gathered = gather(gate, s, select(gate, s, name)?, opts)?;
    let keys = new_keys(&gathered.prepared, s, opts)?;
    let mut results = gathered.skipped;
    let mut warnings = Vec::new();
    let mut writes = Vec::new();
    for (p, new_key) in gathered.prepared.iter().zip(keys) {
        let ca = &gathered.cas[p.item.ca.name];
        warnings.extend(ca_warnings(p, ca));
        let cert = reissue(p, new_key.as_ref(), ca, s, now)?;
        writes.extend(files_for(p, s, &cert, new_key.as_ref())?);
        let key = if new_key.is_some() { KeyDisposition::New } else { KeyDisposition::Kept };
        results.push(RenewResult { name: p.item.name.into(), long_name: p.item.long_name.into(), file: p.file.clone(), outcome: RenewOutcome::Renewed { expires: rfc3339(cert.facts().not_after), key } });
    }
    write_all(gate, &writes)?;
    results.sort_by(|a, b| a.name.cmp(&b.name));
    let restart: BTreeSet<String> = gathered.prepared.iter().flat_map(|p| p.item.read_by.iter().map(|c| c.to_string())).collect();
    let restarted = restart_static_pods(gate, &restart, now)?;
    Ok(RenewReport {
        schema: "kubelift.certs.renew/v1",
        dry_run: gate.is_dry_run(),
        dry_run_dir: gate.dry_run_dir().map(|d| d.display().to_string()),
        certificates: results,
        restart: restart.into_iter().collect(),
        restarted,
        warnings,
    })
}

/// The annotation whose change makes the kubelet recreate a static Pod.
pub const RESTARTED_AT: &str = "kubelift.io/restarted-at";

/// Restarts the static Pods that read renewed files the way the kubelet
/// allows: a changed manifest is a new Pod. Each manifest gets the renewal
/// time in an annotation, written through the gate (journaled). Manifests that
/// are not on this node are left alone and not listed.
fn restart_static_pods(gate: &WriteGate, components: &BTreeSet<String>, now: SystemTime) -> Result<Vec<String>, Problem> {
    let stamp = rfc3339(now);
    let mut restarted = Vec::new();
    for component in components {
        let path = format!("{}/manifests/{component}.yaml", super::KUBERNETES_DIR);
        let Some(text) = gate.read(&path).map_err(Problem::from_gate)? else { continue };
        let mut pod: serde_json::Value = serde_yaml::from_slice(&text).map_err(|e| Problem::new(format!("{path} is not YAML: {e}"), "restore the manifest (kubelift phase control-plane) and run renew again"))?;
        pod["metadata"]["annotations"][RESTARTED_AT] = serde_json::Value::String(stamp.clone());
        gate.write("certs-renew", &path, crate::goyaml::to_string(&pod).as_bytes(), 0o600, FileClass::Plain).map_err(Problem::from_gate)?;
        restarted.push(component.clone());
    }
    Ok(restarted)
}

/// What was read before anything is signed.
struct Gathered {
    prepared: Vec<Prepared>,
    /// The CAs that sign them, by name.
    cas: HashMap<&'static str, LoadedCa>,
    /// Items that will not be renewed: missing, or signed by an external CA.
    skipped: Vec<RenewResult>,
}

/// Reads every selected certificate, its key and its CA; nothing is written.
fn gather(gate: &WriteGate, s: &CertsSettings, selected: Vec<Item>, opts: RenewOptions) -> Result<Gathered, Problem> {
    let mut out = Gathered { prepared: Vec::new(), cas: HashMap::new(), skipped: Vec::new() };
    for item in selected {
        let file = item.file(s);
        let skip = |outcome| RenewResult { name: item.name.into(), long_name: item.long_name.into(), file: file.clone(), outcome };
        if is_external(gate, s, &item.ca) {
            out.skipped.push(skip(RenewOutcome::ExternalCa { ca_certificate: s.cert_path(item.ca.base) }));
            continue;
        }
        let Some(old) = read_item(gate, s, &item)? else {
            out.skipped.push(skip(RenewOutcome::Missing));
            continue;
        };
        if !out.cas.contains_key(item.ca.name) {
            out.cas.insert(item.ca.name, load_ca(gate, s, &item.ca)?);
        }
        out.prepared.push(prepare(gate, s, item, file, old, opts)?);
    }
    Ok(out)
}

/// Writes every renewed file, made durable together (see `WriteGate::commit`).
fn write_all(gate: &WriteGate, writes: &[Write]) -> Result<(), Problem> {
    let gate_problem = |e: crate::engine::gate::GateError| Problem::new(e.to_string(), e.hint());
    gate.defer_durability(true).map_err(gate_problem)?;
    let written = writes.iter().try_for_each(|w| gate.write(&w.phase, &w.path, &w.contents, w.mode, FileClass::Sensitive).map(|_| ()));
    gate.defer_durability(false).map_err(gate_problem)?;
    written.map_err(gate_problem)
}

fn rfc3339(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The items `name` stands for; an unknown name lists the known ones.
fn select(gate: &WriteGate, s: &CertsSettings, name: &str) -> Result<Vec<Item>, Problem> {
    let all = items(gate, s);
    if name == "all" {
        return Ok(all);
    }
    match all.iter().find(|i| i.name == name) {
        Some(item) => Ok(vec![*item]),
        None => Err(Problem::new(
            format!("{name:?} is not a certificate of this node"),
            format!("use one of: {}, or all", all.iter().map(|i| i.name).collect::<Vec<_>>().join(", ")),
        )),
    }
}

/// Reads the key (and the kubeconfig document) that go with a certificate.
fn prepare(gate: &WriteGate, s: &CertsSettings, item: Item, file: String, old: Certificate, opts: RenewOptions) -> Result<Prepared, Problem> {
    let (old_key, kubeconfig) = match item.source {
        Source::Pki { base } => {
            let path = s.key_path(base);
            let key = read(gate, &path)?.map(|pem| KeyPair::from_pem(&pem).map_err(|e| Problem::new(format!("{path}: {e}"), "restore the key from a backup, or pass --new-key to make a new one")))
                .transpose()?;
            (key, None)
        }
        Source::Kubeconfig { .. } => {
            let bytes = read(gate, &file)?.unwrap_or_default();
            let doc: Value = serde_yaml::from_slice(&bytes).map_err(|e| Problem::new(format!("{file}: {e}"), "restore it from a backup"))?;
            let key = user_of(&doc).and_then(|u| u["client-key-data"].as_str()).map(|data| {
                let pem = STANDARD.decode(data.trim()).map_err(|e| Problem::new(format!("{file}: client-key-data is not base64: {e}"), "restore it from a backup, or pass --new-key"))?;
                KeyPair::from_pem(&pem).map_err(|e| Problem::new(format!("{file}: client-key-data: {e}"), "restore it from a backup, or pass --new-key"))
            });
            (key.transpose()?, Some(doc))
        }
    };
    if !opts.new_key {
        match &old_key {
            None => return Err(Problem::new(format!("the private key of {} ({file}) is missing", item.name), "restore it from a backup, or pass --new-key to make a new one")),
            Some(k) if !old.matches_key(k) => return Err(Problem::new(format!("{file} and its private key do not belong together"), "restore the matching key from a backup, or pass --new-key to make a new one")),
            Some(_) => {}
        }
    }
    Ok(Prepared { item, file, old, old_key, kubeconfig })
}

/// With `--new-key`, one key per certificate, made on every core at once.
fn new_keys(prepared: &[Prepared], s: &CertsSettings, opts: RenewOptions) -> Result<Vec<Option<KeyPair>>, Problem> {
    if !opts.new_key {
        return Ok(prepared.iter().map(|_| None).collect());
    }
    // The configured algorithm, else the one the certificate has (a cluster
    // made with ECDSA keeps ECDSA without being told again).
    let algorithms: Vec<KeyAlgorithm> = prepared.iter().map(|p| s.algorithm.or(p.old.facts().key_algorithm).unwrap_or_default()).collect();
    let keys = pki::generate_keys(&algorithms).map_err(|e| Problem::new(e.to_string(), "check that the system's random source works"))?;
    Ok(keys.into_iter().map(Some).collect())
}

/// kubeadm's `certToConfig`: CN, O, DNS and IP SANs and usages of the old certificate.
fn spec_from(old: &Certificate, algorithm: KeyAlgorithm, s: &CertsSettings) -> CertSpec {
    let f = old.facts();
    CertSpec {
        name: "renewed",
        long_name: "renewed certificate",
        base_name: "renewed",
        ca: Some("ca"),
        common_name: f.subject.common_name.clone(),
        organizations: f.subject.organizations.clone(),
        dns_names: f.dns_names.clone(),
        ips: f.ips.clone(),
        usages: f.ext_key_usages.clone(),
        algorithm,
        validity: s.validity,
        warnings: vec![],
    }
}

/// Signs the new certificate with the new key, or with the old one.
fn reissue(p: &Prepared, new_key: Option<&KeyPair>, ca: &LoadedCa, s: &CertsSettings, now: SystemTime) -> Result<Certificate, Problem> {
    let ca_key = ca.key.as_ref().expect("external CAs are refused before");
    let key = new_key.or(p.old_key.as_ref()).expect("prepare refuses a missing key without --new-key");
    let spec = spec_from(&p.old, key.algorithm(), s);
    pki::new_signed(&spec, key, &ca.cert, ca_key, now).map_err(|e| Problem::new(format!("cannot renew {} ({}): {e}", p.item.name, p.file), "see the message; nothing was written"))
}

struct Write {
    phase: String,
    path: String,
    contents: Vec<u8>,
    mode: u32,
}

/// The files a renewed certificate goes into: the key (when new) before the
/// certificate, or the whole kubeconfig with both replaced in place.
fn files_for(p: &Prepared, s: &CertsSettings, cert: &Certificate, new_key: Option<&KeyPair>) -> Result<Vec<Write>, Problem> {
    let phase = format!("certs-renew/{}", p.item.name);
    let new_key_pem = new_key.map(|k| k.private_key_pem().map_err(|e| Problem::new(e.to_string(), "this is a kubelift bug; please report it"))).transpose()?;
    match (p.item.source, &p.kubeconfig) {
        (Source::Pki { base }, _) => {
            let mut out = Vec::new();
            if let Some(pem) = new_key_pem {
                out.push(Write { phase: phase.clone(), path: s.key_path(base), contents: pem.into_bytes(), mode: 0o600 });
            }
            out.push(Write { phase, path: p.file.clone(), contents: cert.to_pem().into_bytes(), mode: 0o644 });
            Ok(out)
        }
        (Source::Kubeconfig { .. }, Some(doc)) => {
            let mut doc = doc.clone();
            let user = user_of_mut(&mut doc).ok_or_else(|| Problem::new(format!("{}: the current context's user is gone", p.file), "restore it from a backup"))?;
            user["client-certificate-data"] = Value::String(STANDARD.encode(cert.to_pem()));
            if let Some(pem) = new_key_pem {
                user["client-key-data"] = Value::String(STANDARD.encode(pem));
            }
            let yaml = serde_yaml::to_string(&doc).map_err(|e| Problem::new(e.to_string(), "this is a kubelift bug; please report it"))?;
            Ok(vec![Write { phase, path: p.file.clone(), contents: yaml.into_bytes(), mode: 0o600 }])
        }
        (Source::Kubeconfig { .. }, None) => unreachable!("prepare parses every kubeconfig"),
    }
}

/// What the user should know about the CA a certificate is reissued from.
fn ca_warnings(p: &Prepared, ca: &LoadedCa) -> Vec<String> {
    let mut out = Vec::new();
    if p.old.verify_signed_by(&ca.cert).is_err() {
        out.push(format!("{} was not signed by the current {} ({}); the renewed certificate is", p.file, p.item.ca.name, ca.cert.facts().subject.text));
    }
    if let Some(doc) = &p.kubeconfig {
        let trusted = crate::kubeconfig::current_ca(serde_yaml::to_string(doc).unwrap_or_default().as_bytes());
        if trusted.is_some_and(|pem| pem.trim_ascii() != ca.cert.to_pem().as_bytes().trim_ascii()) {
            out.push(format!("{} trusts another CA than {}: clients using it will not trust the API server until its certificate-authority-data is updated", p.file, ca.cert.facts().subject.text));
        }
    }
    out
}

/// The `user` mapping of the current context's user.
fn user_of(doc: &Value) -> Option<&Value> {
    let name = current_user_name(doc)?;
    doc["users"].as_sequence()?.iter().find(|u| u["name"].as_str() == Some(&name)).map(|u| &u["user"])
}

fn user_of_mut(doc: &mut Value) -> Option<&mut Value> {
    let name = current_user_name(doc)?;
    doc.get_mut("users")?.as_sequence_mut()?.iter_mut().find(|u| u["name"].as_str() == Some(&name))?.get_mut("user")
}

fn current_user_name(doc: &Value) -> Option<String> {
    let context = doc["current-context"].as_str()?;
    let entry = doc["contexts"].as_sequence()?.iter().find(|c| c["name"].as_str() == Some(context))?;
    entry["context"]["user"].as_str().map(String::from)
}
