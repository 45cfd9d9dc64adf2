//! `certs/*`: the cluster's CAs, serving and client certificates, and the
//! service-account signing key, as kubeadm writes them.
//!
//! Existing files are kept (kubeadm-facts §1.7): a CA is reused; a CA
//! certificate without its key is an external CA, which signs nothing here;
//! an existing leaf must load, chain to its CA and cover every name it needs.
//! A key is never overwritten: a leaf whose certificate is missing gets a new
//! certificate for its existing key.

use async_trait::async_trait;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use crate::config::InitSettings;
use crate::engine::{Change, Context, FileClass, Phase, PhaseCtx, PhaseError, Settings};
use crate::pki::{self, CertSpec, Certificate, KeyAlgorithm, KeyPair, KeyPool, PkiInputs};

/// kubeadm's certs sub-phases in order: (phase name, file base name under the
/// certificates dir, title). `sa` is the key pair, not a certificate.
pub const CERTS: &[(&str, &str, &str)] = &[
    ("ca", "ca", "Generate the self-signed Kubernetes CA to provision identities for other Kubernetes components"),
    ("apiserver", "apiserver", "Generate the certificate for serving the Kubernetes API"),
    ("apiserver-kubelet-client", "apiserver-kubelet-client", "Generate the certificate for the API server to connect to kubelet"),
    ("front-proxy-ca", "front-proxy-ca", "Generate the self-signed CA to provision identities for front proxy"),
    ("front-proxy-client", "front-proxy-client", "Generate the certificate for the front proxy client"),
    ("etcd-ca", "etcd/ca", "Generate the self-signed CA to provision identities for etcd"),
    ("etcd-server", "etcd/server", "Generate the certificate for serving etcd"),
    ("etcd-peer", "etcd/peer", "Generate the certificate for etcd nodes to communicate with each other"),
    ("etcd-healthcheck-client", "etcd/healthcheck-client", "Generate the certificate for liveness probes to healthcheck etcd"),
    ("apiserver-etcd-client", "apiserver-etcd-client", "Generate the certificate the apiserver uses to access etcd"),
    ("sa", "sa", "Generate a private key for signing service account tokens along with its public key"),
];

pub struct Cert {
    pub id: &'static str,
    pub name: &'static str,
    pub base: &'static str,
    pub title: &'static str,
}

pub fn phases() -> Vec<Box<dyn Phase>> {
    CERTS
        .iter()
        .map(|(name, base, title)| {
            let id: &'static str = Box::leak(format!("certs/{name}").into_boxed_str());
            Box::new(Cert { id, name, base, title }) as Box<dyn Phase>
        })
        .collect()
}

pub fn cert_dir(ctx: &Context) -> String {
    // For join, the cluster's certificatesDir once discovery has read it.
    ctx.cluster_settings().map(|s| s.cluster.certificates_dir.clone()).unwrap_or_else(|| crate::config::defaults::DEFAULT_CERT_DIR.into())
}

/// Which CA signs a certificate (None for CAs and the service-account key).
pub fn signer(name: &str) -> Option<&'static str> {
    match name {
        "apiserver" | "apiserver-kubelet-client" => Some("certs/ca"),
        "front-proxy-client" => Some("certs/front-proxy-ca"),
        "etcd-server" | "etcd-peer" | "etcd-healthcheck-client" | "apiserver-etcd-client" => Some("certs/etcd-ca"),
        _ => None,
    }
}

/// What the PKI needs to know of the configuration.
pub fn pki_inputs(s: &InitSettings) -> Result<PkiInputs, PhaseError> {
    let algorithm: KeyAlgorithm = s.encryption_algorithm().parse().map_err(|e| PhaseError::failed(format!("{e}"), "set encryptionAlgorithm to RSA-2048, RSA-3072, RSA-4096, ECDSA-P256 or ECDSA-P384"))?;
    let advertise_address: IpAddr = s.advertise_address().ok_or_else(|| PhaseError::failed("localAPIEndpoint.advertiseAddress is not an IP address", "set it to an address of this machine"))?;
    let local = s.cluster.etcd.local.as_ref();
    Ok(PkiInputs {
        node_name: s.init.node_registration.name.clone(),
        advertise_address,
        control_plane_endpoint: Some(s.cluster.control_plane_endpoint.clone()).filter(|e| !e.is_empty()),
        service_subnets: s.service_subnets(),
        dns_domain: s.cluster.networking.dns_domain.clone(),
        api_server_cert_sans: s.cluster.api_server.cert_sans.clone(),
        etcd_server_cert_sans: local.map(|l| l.server_cert_sans.clone()).unwrap_or_default(),
        etcd_peer_cert_sans: local.map(|l| l.peer_cert_sans.clone()).unwrap_or_default(),
        external_etcd: s.cluster.etcd.external.is_some(),
        algorithm,
        cert_validity: s.certificate_validity(),
        ca_validity: s.ca_certificate_validity(),
    })
}

/// One creation time for the whole run, so leaves start when their CAs do.
pub struct RunClock(pub SystemTime);

pub fn run_clock(ctx: &Context) -> SystemTime {
    ctx.shared(|| RunClock(SystemTime::now())).0
}

/// The run's key pool: phases reserve keys in `prepare` and take them in `run`.
pub fn key_pool(ctx: &Context, algorithm: KeyAlgorithm) -> Arc<KeyPool> {
    ctx.shared(|| KeyPool::new(algorithm))
}

/// Reserves one key of the run's algorithm, to be made while earlier phases run.
pub fn reserve_key(ctx: &Context) {
    if let Settings::Init(s) = &ctx.settings {
        if let Ok(algorithm) = s.encryption_algorithm().parse::<KeyAlgorithm>() {
            key_pool(ctx, algorithm).reserve(1);
        }
    }
}

struct Specs(Vec<CertSpec>);

fn specs(ctx: &PhaseCtx<'_>) -> Result<Arc<Specs>, PhaseError> {
    if let Some(s) = ctx.ctx.get_shared::<Specs>() {
        return Ok(s);
    }
    let computed = pki::cert_specs(&pki_inputs(&*ctx.init()?)?).map_err(|e| PhaseError::failed(e.to_string(), "check controlPlaneEndpoint, networking.serviceSubnet and apiServer.certSANs"))?;
    for warning in computed.iter().flat_map(|s| &s.warnings) {
        ctx.warn(warning.clone(), None);
    }
    ctx.ctx.set_shared(Specs(computed));
    Ok(ctx.ctx.get_shared::<Specs>().expect("just stored"))
}

fn pki_error(what: &str) -> impl Fn(pki::PkiError) -> PhaseError + '_ {
    move |e| PhaseError::failed(format!("{what}: {e}"), "delete the damaged file to regenerate it, or restore it from /etc/kubernetes/tmp/kubelift-backup-*")
}

/// Reads a certificate and its key, when present.
pub fn load_pair(ctx: &PhaseCtx<'_>, dir: &str, base: &str) -> Result<(Option<Certificate>, Option<KeyPair>), PhaseError> {
    let (crt, key) = (format!("{dir}/{base}.crt"), format!("{dir}/{base}.key"));
    let cert = ctx.gate().read(&crt)?.map(|pem| Certificate::parse_pem(&pem)).transpose().map_err(pki_error(&crt))?;
    let key = ctx.gate().read(&key)?.map(|pem| KeyPair::from_pem(&pem)).transpose().map_err(pki_error(&key))?;
    Ok((cert, key))
}

impl Cert {
    fn dir_changes(&self, ctx: &Context, dir: &str) -> Vec<Change> {
        let mut plan = vec![];
        if !ctx.gate.exists(dir) {
            plan.push(Change::dir(dir, 0o755));
        }
        if self.base.starts_with("etcd/") && !ctx.gate.exists(&format!("{dir}/etcd")) {
            plan.push(Change::dir(format!("{dir}/etcd"), 0o755));
        }
        plan
    }

    fn files(&self, dir: &str) -> [(String, u32); 2] {
        if self.name == "sa" {
            [(format!("{dir}/sa.key"), 0o600), (format!("{dir}/sa.pub"), 0o600)]
        } else {
            [(format!("{dir}/{}.crt", self.base), 0o644), (format!("{dir}/{}.key", self.base), 0o600)]
        }
    }

    fn applies(&self, ctx: &Context) -> bool {
        let external_etcd = ctx.cluster_settings().is_some_and(|s| s.cluster.etcd.external.is_some());
        !(external_etcd && (self.base.starts_with("etcd/") || self.name == "apiserver-etcd-client"))
    }

    async fn run_sa(&self, ctx: &PhaseCtx<'_>, dir: &str) -> Result<(), PhaseError> {
        let key_path = format!("{dir}/sa.key");
        if let Some(pem) = ctx.gate().read(&key_path)? {
            KeyPair::from_pem(&pem).map_err(pki_error(&key_path))?;
            ctx.log("using the existing \"sa\" key");
            return Ok(());
        }
        let algorithm = pki_inputs(&*ctx.init()?)?.algorithm;
        let key = key_pool(ctx.ctx, algorithm).take().map_err(pki_error("generate the sa key"))?;
        let private = key.private_key_pem().map_err(pki_error("encode sa.key"))?;
        ctx.write(&key_path, private.as_bytes(), 0o600, FileClass::Sensitive)?;
        ctx.write(&format!("{dir}/sa.pub"), key.public_key_pem().as_bytes(), 0o600, FileClass::Sensitive)?;
        Ok(())
    }

    async fn run_cert(&self, ctx: &PhaseCtx<'_>, dir: &str) -> Result<(), PhaseError> {
        let specs = specs(ctx)?;
        let spec = specs.0.iter().find(|s| s.name == self.name).ok_or_else(|| PhaseError::failed(format!("no certificate spec for {}", self.name), "this is a kubelift bug; please report it"))?;
        let (cert, key) = load_pair(ctx, dir, self.base)?;
        let ca = match spec.ca {
            Some(ca_base) => Some(load_pair(ctx, dir, ca_base)?),
            None => None,
        };
        match (cert, key, ca) {
            (Some(cert), key, None) => keep_ca(ctx, spec, &cert, key.as_ref()),
            (Some(cert), Some(key), Some((Some(ca_cert), _))) => keep_leaf(ctx, spec, &cert, &key, &ca_cert),
            (Some(_), None, _) => Err(PhaseError::failed(format!("{dir}/{} exists but its key {dir}/{} does not", spec.cert_file(), spec.key_file()), "restore the key, or delete the certificate to make a new pair")),
            (None, key, ca) => self.create(ctx, dir, spec, key, ca).await,
            (Some(_), Some(_), Some((None, _))) => Err(missing_ca(dir, spec)),
        }
    }

    async fn create(&self, ctx: &PhaseCtx<'_>, dir: &str, spec: &CertSpec, key: Option<KeyPair>, ca: Option<(Option<Certificate>, Option<KeyPair>)>) -> Result<(), PhaseError> {
        let now = run_clock(ctx.ctx);
        let key = match key {
            Some(k) => {
                ctx.log(format!("using the existing key {}", spec.key_file()));
                k
            }
            None => key_pool(ctx.ctx, spec.algorithm).take().map_err(pki_error("generate a key"))?,
        };
        let cert = match ca {
            None => pki::new_ca(spec, &key, now),
            Some((Some(ca_cert), Some(ca_key))) => pki::new_signed(spec, &key, &ca_cert, &ca_key, now),
            Some((Some(_), None)) => return Err(PhaseError::failed(format!("{} is missing and {}/{}.key is not here to sign it (external CA mode)", spec.cert_file(), dir, spec.ca.unwrap_or_default()), format!("provide {dir}/{} and {dir}/{} signed by your CA", spec.cert_file(), spec.key_file()))),
            Some((None, _)) => return Err(missing_ca(dir, spec)),
        }
        .map_err(pki_error(&spec.cert_file()))?;
        let key_pem = key.private_key_pem().map_err(pki_error(&spec.key_file()))?;
        ctx.write(&format!("{dir}/{}", spec.key_file()), key_pem.as_bytes(), 0o600, FileClass::Sensitive)?;
        ctx.write(&format!("{dir}/{}", spec.cert_file()), cert.to_pem().as_bytes(), 0o644, FileClass::Sensitive)?;
        Ok(())
    }
}

fn missing_ca(dir: &str, spec: &CertSpec) -> PhaseError {
    let ca = spec.ca.unwrap_or_default();
    PhaseError::failed(format!("the CA {dir}/{ca}.crt that signs {} is missing", spec.cert_file()), format!("run `kubelift phase certs/{}` first", ca.replace('/', "-")))
}

fn keep_ca(ctx: &PhaseCtx<'_>, spec: &CertSpec, cert: &Certificate, key: Option<&KeyPair>) -> Result<(), PhaseError> {
    if !cert.facts().is_ca {
        return Err(PhaseError::failed(format!("{} exists but is not a CA certificate", spec.cert_file()), "move it aside; kubelift will make a new CA"));
    }
    match key {
        Some(k) if !cert.matches_key(k) => Err(PhaseError::failed(format!("{} and {} do not belong together", spec.cert_file(), spec.key_file()), "restore the matching key from a backup")),
        Some(_) => {
            ctx.log(format!("using the existing {} certificate and key", spec.name));
            Ok(())
        }
        None => {
            ctx.warn(format!("using the existing {} certificate without its key: external CA mode, nothing will be signed with it", spec.name), Some("every certificate it signs must already exist".into()));
            Ok(())
        }
    }
}

fn keep_leaf(ctx: &PhaseCtx<'_>, spec: &CertSpec, cert: &Certificate, key: &KeyPair, ca: &Certificate) -> Result<(), PhaseError> {
    let fix = format!("delete {} and {} and run `kubelift phase certs/{}` to make new ones", spec.cert_file(), spec.key_file(), spec.name);
    if !cert.matches_key(key) {
        return Err(PhaseError::failed(format!("certificate {} does not match its key", spec.name), fix));
    }
    cert.verify_signed_by(ca).map_err(|_| PhaseError::failed(format!("certificate {} is not signed by corresponding CA", spec.name), fix.clone()))?;
    let uncovered = cert.uncovered_names(spec);
    if !uncovered.is_empty() {
        return Err(PhaseError::failed(format!("certificate {} is invalid: it does not cover {}", spec.name, uncovered.join(", ")), fix));
    }
    if !cert.is_valid_at(SystemTime::now()) {
        ctx.warn(format!("certificate {} is expired or not yet valid", spec.name), Some(format!("renew it with `kubelift certs renew {}`", spec.name)));
    }
    ctx.log(format!("using the existing {} certificate and key", spec.name));
    Ok(())
}

#[async_trait]
impl Phase for Cert {
    fn id(&self) -> &'static str {
        self.id
    }
    fn title(&self) -> &'static str {
        self.title
    }
    fn needs(&self) -> &'static [&'static str] {
        match signer(self.name) {
            Some("certs/ca") => &["certs/ca"],
            Some("certs/front-proxy-ca") => &["certs/front-proxy-ca"],
            Some(_) => &["certs/etcd-ca"],
            None => &[],
        }
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        if !self.applies(ctx) {
            return vec![];
        }
        let dir = cert_dir(ctx);
        let mut plan = self.dir_changes(ctx, &dir);
        // Existing files are kept, so only missing ones are written.
        let missing: Vec<(String, u32)> = self.files(&dir).into_iter().filter(|(p, _)| !ctx.gate.exists(p)).collect();
        let skip_pub = self.name == "sa" && ctx.gate.exists(&format!("{dir}/sa.key"));
        plan.extend(missing.into_iter().filter(|(p, _)| !(skip_pub && p.ends_with(".pub"))).map(|(p, m)| Change::file(p, m)));
        plan
    }
    fn prepare(&self, ctx: &Context) {
        // A key is made only when none is on disk (existing keys are kept).
        let key = if self.name == "sa" { format!("{}/sa.key", cert_dir(ctx)) } else { format!("{}/{}.key", cert_dir(ctx), self.base) };
        if self.applies(ctx) && !ctx.gate.exists(&key) {
            reserve_key(ctx);
        }
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        if !self.applies(ctx.ctx) {
            ctx.log("skipping: etcd is external, so kubelift makes no etcd certificates");
            return Ok(());
        }
        let dir = cert_dir(ctx.ctx);
        ctx.ensure_dir(&dir, 0o755)?;
        if self.base.starts_with("etcd/") {
            ctx.ensure_dir(&format!("{dir}/etcd"), 0o755)?;
        }
        if self.name == "sa" {
            self.run_sa(ctx, &dir).await
        } else {
            self.run_cert(ctx, &dir).await
        }
    }
}
