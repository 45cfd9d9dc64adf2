//! `upload-certs`: the shared control-plane certificates, encrypted with the
//! certificate key, in the `kube-system/kubeadm-certs` Secret (only with
//! --upload-certs), owned by a two-hour token so that they vanish with it.

use async_trait::async_trait;

use super::{apply_phase_objects, certs::run_clock, planned_objects};
use crate::config::InitSettings;
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError, Settings};
use crate::objects::upload_certs::{self, CertificateKey, Owner, KUBEADM_CERTS};
use crate::secret::SecretString;

pub struct UploadCerts;

/// The certificate key of this run: from the configuration, else made fresh.
/// Later steps (the printed control-plane join command) read it from here.
pub struct RunCertificateKey(pub SecretString);

fn wanted(ctx: &Context) -> bool {
    matches!(&ctx.settings, Settings::Init(s) if s.upload_certs)
}

fn certificate_key(ctx: &PhaseCtx<'_>, s: &InitSettings) -> Result<CertificateKey, PhaseError> {
    let bad = |e: crate::objects::ObjectError| PhaseError::failed(e.to_string(), "give certificateKey as 64 hexadecimal characters, or leave it empty for a fresh one");
    let key = if s.init.certificate_key.is_empty() { CertificateKey::generate().map_err(bad)? } else { CertificateKey::parse(&s.init.certificate_key).map_err(bad)? };
    ctx.ctx.set_shared(RunCertificateKey(key.to_hex()));
    Ok(key)
}

#[async_trait]
impl Phase for UploadCerts {
    fn id(&self) -> &'static str {
        "upload-certs"
    }
    fn title(&self) -> &'static str {
        "Upload certificates to kubeadm-certs"
    }
    fn needs(&self) -> &'static [&'static str] {
        &["certs", "wait-control-plane"]
    }
    fn plan(&self, ctx: &Context) -> Vec<Change> {
        if !wanted(ctx) {
            return vec![];
        }
        let mut plan = vec![Change::object("v1", "Secret", Some("kube-system"), "bootstrap-token-<new id>"), Change::object("v1", "Secret", Some("kube-system"), KUBEADM_CERTS)];
        plan.extend(planned_objects(ctx, self.id()));
        plan
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        if !wanted(ctx.ctx) {
            ctx.log("skipping: --upload-certs is not set, so joining control-plane nodes bring their own copy of the shared certificates");
            return Ok(());
        }
        let s = ctx.init()?;
        let key = certificate_key(ctx, &s)?;
        let now = chrono::DateTime::<chrono::Utc>::from(run_clock(ctx.ctx));
        let token = crate::config::defaults::random_token();
        let token_secret = upload_certs::token_secret(&token, now).map_err(|e| PhaseError::failed(e.to_string(), "see the message"))?;
        let token_json = serde_json::to_value(&token_secret).expect("Secrets serialize");
        ctx.apply(std::slice::from_ref(&token_json)).await?;
        let owner = match ctx.gate().is_dry_run() {
            true => Owner { name: token_secret.metadata.name.clone().unwrap_or_default(), uid: "<assigned by the API server>".into() },
            false => owner_of(ctx, &token_secret.metadata.name.clone().unwrap_or_default()).await?,
        };
        let mut contents = vec![];
        for file in upload_certs::files(&s) {
            let content = ctx.gate().read(&file.path.to_string_lossy())?;
            contents.push((file, content));
        }
        let secret = upload_certs::certs_secret(&contents, &key, &owner).map_err(|e| PhaseError::failed(e.to_string(), "see the message"))?;
        ctx.apply(&[serde_json::to_value(&secret).expect("Secrets serialize")]).await?;
        apply_phase_objects(ctx).await?;
        ctx.log("uploaded the shared certificates; they are deleted with their token in two hours");
        Ok(())
    }
}

/// The uid the API server gave the owning token Secret.
async fn owner_of(ctx: &PhaseCtx<'_>, name: &str) -> Result<Owner, PhaseError> {
    let cluster = ctx.cluster().await?;
    let api: kube::Api<k8s_openapi::api::core::v1::Secret> = kube::Api::namespaced(cluster.client.clone(), "kube-system");
    let secret = cluster.retry(&format!("get Secret kube-system/{name}"), || api.get(name)).await?;
    let uid = secret.metadata.uid.ok_or_else(|| PhaseError::failed(format!("Secret kube-system/{name} has no uid"), "retry the phase"))?;
    Ok(Owner { name: name.into(), uid })
}
