//! `kubelift token create|list|delete|generate`, as kubeadm's token commands.
//!
//! The token is printed only by `create` (the user asked for a new one) and by
//! `list --show-secrets`; never into logs. `--dry-run` reads the cluster but
//! changes nothing, and says what it would have done.

use std::path::PathBuf;

use super::args::{Global, Output, TokenCommand, TokenTarget};
use super::workflow;
use crate::cluster::Cluster;
use crate::engine::phase::{ADMIN_CONF, API_PATIENCE};
use crate::exit;
use crate::secret::SecretString;
use crate::tokens::{self, CreateRequest, TokenError, TokenInfo};

pub fn run(g: &Global, command: TokenCommand) -> u8 {
    match command {
        TokenCommand::Generate => {
            println!("{}", crate::config::defaults::random_token().expose());
            exit::OK
        }
        TokenCommand::Create { token, ttl, description, groups, usages, print_join_command, certificate_key, target } => {
            let request = CreateRequest { token: token.as_deref().map(SecretString::from), ttl, description, usages, groups };
            let key = certificate_key.as_deref().map(SecretString::from);
            with_cluster(g, &target, |cluster, kubeconfig| async move { create(g, &cluster, &kubeconfig, &request, print_join_command, key.as_ref()).await })
        }
        TokenCommand::List { show_secrets, clean_expired, target } => with_cluster(g, &target, |cluster, _| async move { list(g, &cluster, show_secrets, clean_expired).await }),
        TokenCommand::Delete { tokens, expired, target } => with_cluster(g, &target, |cluster, _| async move { delete(g, &cluster, &tokens, expired).await }),
    }
}

/// The kubeconfig: `--kubeconfig`, else admin.conf under --root.
fn kubeconfig_path(g: &Global, target: &TokenTarget) -> PathBuf {
    target.kubeconfig.clone().unwrap_or_else(|| g.root.join(ADMIN_CONF.trim_start_matches('/')))
}

fn with_cluster<F, Fut>(g: &Global, target: &TokenTarget, f: F) -> u8
where
    F: FnOnce(Cluster, PathBuf) -> Fut,
    Fut: std::future::Future<Output = Result<(), TokenError>>,
{
    let path = kubeconfig_path(g, target);
    if !path.is_file() {
        eprintln!("error: the kubeconfig {} does not exist\n  hint: run on a control-plane node as root, or pass --kubeconfig FILE (or --root DIR)", path.display());
        return exit::INVALID;
    }
    let result = workflow::runtime().block_on(async {
        let cluster = Cluster::from_kubeconfig(&path, API_PATIENCE).await.map_err(TokenError::from)?;
        f(cluster, path.clone()).await
    });
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("error: {e}\n  hint: {}", e.hint());
            if matches!(e, TokenError::Invalid(_)) {
                exit::INVALID
            } else {
                exit::PHASE_FAILED
            }
        }
    }
}

/// The endpoint and CA pins for the join command, from the kubeconfig
/// (its CA data, else ca.crt next to the cert dir under --root).
fn discovery_info(g: &Global, kubeconfig: &std::path::Path, cluster: &Cluster) -> Result<(String, Vec<String>), TokenError> {
    let yaml = std::fs::read(kubeconfig).map_err(|e| TokenError::Invalid(format!("cannot read {}: {e}", kubeconfig.display())))?;
    let server = crate::kubeconfig::current_server(&yaml).unwrap_or_else(|| cluster.server.clone());
    let ca = match crate::kubeconfig::current_ca(&yaml) {
        Some(ca) => ca,
        None => {
            let file = g.root.join(crate::config::defaults::DEFAULT_CA_CERT_PATH.trim_start_matches('/'));
            std::fs::read(&file).map_err(|e| TokenError::Invalid(format!("{} has no certificate-authority-data and {} cannot be read ({e}); the CA pin cannot be computed", kubeconfig.display(), file.display())))?
        }
    };
    let hashes = tokens::ca_hashes(&ca);
    if hashes.is_empty() {
        return Err(TokenError::Invalid(format!("the CA of {} holds no readable certificate; the CA pin cannot be computed", kubeconfig.display())));
    }
    Ok((tokens::endpoint_of(&server), hashes))
}

async fn create(g: &Global, cluster: &Cluster, kubeconfig: &std::path::Path, request: &CreateRequest, print_join: bool, key: Option<&SecretString>) -> Result<(), TokenError> {
    let spec = tokens::token_spec(request)?;
    let (endpoint, hashes) = discovery_info(g, kubeconfig, cluster)?;
    let now = chrono::Utc::now();
    let id = spec.token.expose().split('.').next().unwrap_or_default().to_string();
    if g.dry_run {
        eprintln!("[dry-run] would create Secret kube-system/bootstrap-token-{id} (ttl {}, usages {}, groups {})", spec.ttl, spec.usages.join(","), spec.groups.join(","));
        return Ok(());
    }
    let created = tokens::create(cluster, &spec, now).await?;
    let join = tokens::join_command(&endpoint, &spec.token, &hashes, key);
    match g.output {
        Output::Json => {
            let out = serde_json::json!({
                "id": created.id,
                // The user asked for a new token by name: this is where it is handed over.
                "token": spec.token.expose(),
                "endpoint": endpoint,
                "ca_cert_hashes": hashes,
                "expires": created.expires.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                "ttl": created.ttl(now),
                "usages": created.usages,
                "groups": created.groups,
                "join_command": join,
            });
            println!("{out}");
        }
        Output::Text if print_join => println!("{join}"),
        Output::Text => println!("{}", spec.token.expose()),
    }
    Ok(())
}

async fn list(g: &Global, cluster: &Cluster, show_secrets: bool, clean_expired: bool) -> Result<(), TokenError> {
    let now = chrono::Utc::now();
    let all = tokens::list(cluster).await?;
    match g.output {
        Output::Json => println!("{}", serde_json::to_string(&all.iter().map(|t| t.to_json(now, show_secrets)).collect::<Vec<_>>()).expect("tokens serialize")),
        Output::Text => print!("{}", tokens::table(&all, now, show_secrets)),
    }
    if clean_expired {
        let expired: Vec<&TokenInfo> = all.iter().filter(|t| t.is_expired(now)).collect();
        delete_each(g, cluster, expired.iter().map(|t| t.id.clone()).collect()).await?;
    }
    Ok(())
}

async fn delete(g: &Global, cluster: &Cluster, args: &[String], expired: bool) -> Result<(), TokenError> {
    let mut ids = args.iter().map(|a| tokens::token_id(a)).collect::<Result<Vec<_>, _>>()?;
    if expired {
        let now = chrono::Utc::now();
        ids.extend(tokens::list(cluster).await?.into_iter().filter(|t| t.is_expired(now)).map(|t| t.id));
    }
    delete_each(g, cluster, ids).await
}

/// Deletes each token, printing kubeadm's line; the first failure stops.
async fn delete_each(g: &Global, cluster: &Cluster, ids: Vec<String>) -> Result<(), TokenError> {
    for id in ids {
        if g.dry_run {
            eprintln!("[dry-run] would delete bootstrap token \"{id}\"");
            continue;
        }
        tokens::delete(cluster, &id).await?;
        // Text and JSON callers both get it on stderr, so --output json stays one document.
        eprintln!("bootstrap token \"{id}\" deleted");
    }
    Ok(())
}
