//! `certs/*`: the cluster's CAs, serving and client certificates, and the
//! service-account signing key, as kubeadm writes them.

use async_trait::async_trait;

use super::files_pending;
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError, Settings};

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
    match &ctx.settings {
        Settings::Init(s) => s.cluster.certificates_dir.clone(),
        Settings::Join(_) => crate::config::defaults::DEFAULT_CERT_DIR.into(),
    }
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
        let dir = cert_dir(ctx);
        let mut plan = vec![Change::dir(&dir, 0o755)];
        if self.base.starts_with("etcd/") {
            plan.push(Change::dir(format!("{dir}/etcd"), 0o755));
        }
        if self.name == "sa" {
            plan.push(Change::file(format!("{dir}/sa.key"), 0o600));
            plan.push(Change::file(format!("{dir}/sa.pub"), 0o600));
        } else {
            plan.push(Change::file(format!("{dir}/{}.crt", self.base), 0o644));
            plan.push(Change::file(format!("{dir}/{}.key", self.base), 0o600));
        }
        plan
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        files_pending(ctx, self.plan(ctx.ctx))
    }
}
