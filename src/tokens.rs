//! Bootstrap tokens on a running cluster: `kubelift token create|list|delete`.
//!
//! A token is a Secret `kube-system/bootstrap-token-<id>` (kubeadm-facts §5.2),
//! rendered by `objects::bootstrap_token` exactly as `init` renders it. The
//! secret half is a credential that lets anyone join a node: it is printed
//! only where the user asked for it by name (`token create`, `token list
//! --show-secrets`), and never reaches a log line or an error message.

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use serde::Serialize;
use std::collections::BTreeMap;

use crate::cluster::{Cluster, ClusterError, ErrorClass};
use crate::config::defaults::{DEFAULT_TOKEN_GROUP, DEFAULT_TOKEN_TTL, DEFAULT_TOKEN_USAGES};
use crate::config::validate::{is_bootstrap_token, is_token_group};
use crate::config::{duration, BootstrapToken};
use crate::objects::bootstrap_token::{token_secret, TOKEN_SECRET_PREFIX, TOKEN_SECRET_TYPE};
use crate::secret::SecretString;

const KUBE_SYSTEM: &str = "kube-system";
/// What `token list` shows in place of the secret half.
pub const HIDDEN_SECRET: &str = "<hidden>";

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The message names the flag; the token's secret never appears.
    #[error("{0}")]
    Invalid(String),
    #[error("a token with id \"{0}\" already exists")]
    Exists(String),
    #[error("bootstrap token \"{0}\" not found")]
    NotFound(String),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

impl TokenError {
    pub fn hint(&self) -> String {
        match self {
            TokenError::Invalid(_) => "see `kubelift token create --help`".into(),
            TokenError::Exists(id) => format!("choose another token, or delete the old one first with `kubelift token delete {id}`"),
            TokenError::NotFound(_) => "`kubelift token list` shows the tokens the cluster has".into(),
            TokenError::Cluster(e) => e.hint(),
        }
    }
}

/// What `token create` asks for (flags as kubeadm's).
#[derive(Debug, Clone, Default)]
pub struct CreateRequest {
    /// A chosen token, or none for a fresh random one.
    pub token: Option<SecretString>,
    /// Go duration; `0` never expires.
    pub ttl: String,
    pub description: String,
    pub usages: Vec<String>,
    pub groups: Vec<String>,
}

/// Checks a request as kubeadm's token validation does and fills kubeadm's defaults.
pub fn token_spec(req: &CreateRequest) -> Result<BootstrapToken, TokenError> {
    let token = match &req.token {
        Some(t) if !is_bootstrap_token(t.expose()) => {
            return Err(TokenError::Invalid("the token given to `token create` is invalid: a bootstrap token is 6 and 16 characters of [a-z0-9] joined by a dot (`kubelift token generate` makes one)".into()))
        }
        Some(t) => t.clone(),
        None => crate::config::defaults::random_token(),
    };
    let ttl = if req.ttl.is_empty() { DEFAULT_TOKEN_TTL.to_string() } else { req.ttl.clone() };
    duration::parse(&ttl).map_err(|e| TokenError::Invalid(format!("--ttl: {e}")))?;
    let usages: Vec<String> = if req.usages.is_empty() { DEFAULT_TOKEN_USAGES.iter().map(|s| s.to_string()).collect() } else { req.usages.clone() };
    if let Some(bad) = usages.iter().find(|u| *u != "signing" && *u != "authentication") {
        return Err(TokenError::Invalid(format!("--usages: invalid bootstrap token usage {bad:?}; valid usages are signing and authentication")));
    }
    let groups: Vec<String> = if req.groups.is_empty() { vec![DEFAULT_TOKEN_GROUP.to_string()] } else { req.groups.clone() };
    if let Some(bad) = groups.iter().find(|g| !is_token_group(g)) {
        return Err(TokenError::Invalid(format!("--groups: {bad:?} is invalid (must match system:bootstrappers:[a-z0-9:-]{{0,255}}[a-z0-9])")));
    }
    if !req.groups.is_empty() && !usages.iter().any(|u| u == "authentication") {
        return Err(TokenError::Invalid("--groups: token groups cannot be specified unless --usages includes authentication".into()));
    }
    Ok(BootstrapToken { token, description: req.description.clone(), ttl, expires: String::new(), usages, groups })
}

/// The public id of a token or an id (`abcdef.…` → `abcdef`), checked.
pub fn token_id(arg: &str) -> Result<String, TokenError> {
    let id = match arg.split_once('.') {
        Some(_) if !is_bootstrap_token(arg) => return Err(TokenError::Invalid("the argument is neither a token id ([a-z0-9]{6}) nor a token ([a-z0-9]{6}.[a-z0-9]{16})".into())),
        Some((id, _)) => id,
        None => arg,
    };
    if id.len() != 6 || !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
        return Err(TokenError::Invalid(format!("{id:?} is not a token id: expected 6 characters of [a-z0-9]")));
    }
    Ok(id.to_string())
}

/// One token as the cluster holds it.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: String,
    secret: SecretString,
    pub description: String,
    /// `None`: never expires.
    pub expires: Option<DateTime<Utc>>,
    /// Set when `expiration` is present but unreadable: the API server treats it as expired.
    pub bad_expiration: bool,
    pub usages: Vec<String>,
    pub groups: Vec<String>,
}

impl std::fmt::Debug for TokenInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenInfo").field("id", &self.id).field("expires", &self.expires).finish_non_exhaustive()
    }
}

impl TokenInfo {
    /// Reads a token Secret; `None` for a Secret that is not a well-formed token.
    pub fn from_secret(secret: &Secret) -> Option<TokenInfo> {
        let data: BTreeMap<&str, String> = secret.data.as_ref()?.iter().map(|(k, v)| (k.as_str(), String::from_utf8_lossy(&v.0).into_owned())).collect();
        let id = data.get("token-id")?.clone();
        let secret_half = data.get("token-secret")?.clone();
        let (expires, bad_expiration) = match data.get("expiration") {
            None => (None, false),
            Some(text) => match DateTime::parse_from_rfc3339(text) {
                Ok(t) => (Some(t.with_timezone(&Utc)), false),
                Err(_) => (None, true),
            },
        };
        let mut usages: Vec<String> = data.iter().filter(|(_, v)| v.as_str() == "true").filter_map(|(k, _)| k.strip_prefix("usage-bootstrap-")).map(String::from).collect();
        usages.sort();
        let groups = data.get("auth-extra-groups").map(|g| g.split(',').filter(|s| !s.is_empty()).map(String::from).collect()).unwrap_or_default();
        Some(TokenInfo { id, secret: SecretString::new(secret_half), description: data.get("description").cloned().unwrap_or_default(), expires, bad_expiration, usages, groups })
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.bad_expiration || self.expires.is_some_and(|t| t <= now)
    }

    /// The token as shown: whole only when asked for.
    pub fn shown(&self, show_secret: bool) -> String {
        if show_secret {
            format!("{}.{}", self.id, self.secret.expose())
        } else {
            format!("{}.{HIDDEN_SECRET}", self.id)
        }
    }

    /// kubeadm's TTL column: a short duration, `<forever>`, or (kubelift) `<expired>`.
    pub fn ttl(&self, now: DateTime<Utc>) -> String {
        match self.expires {
            _ if self.is_expired(now) => "<expired>".into(),
            None => "<forever>".into(),
            Some(t) => short_human_duration((t - now).num_seconds()),
        }
    }

    /// kubeadm's EXPIRES column: RFC 3339, or `<never>`.
    pub fn expires_text(&self) -> String {
        match (self.expires, self.bad_expiration) {
            (_, true) => "<unreadable>".into(),
            (None, _) => "<never>".into(),
            (Some(t), _) => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }

    pub fn to_json(&self, now: DateTime<Utc>, show_secret: bool) -> ListedToken {
        ListedToken {
            id: self.id.clone(),
            token: self.shown(show_secret),
            description: self.description.clone(),
            expires: self.expires.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            ttl_seconds: self.expires.map(|t| (t - now).num_seconds().max(0)),
            ttl: self.ttl(now),
            expired: self.is_expired(now),
            usages: self.usages.clone(),
            groups: self.groups.clone(),
        }
    }
}

/// A token in `token list --output json`.
#[derive(Debug, Clone, Serialize)]
pub struct ListedToken {
    pub id: String,
    /// `<id>.<hidden>` unless `--show-secrets`.
    pub token: String,
    pub description: String,
    pub expires: Option<String>,
    pub ttl_seconds: Option<i64>,
    pub ttl: String,
    pub expired: bool,
    pub usages: Vec<String>,
    pub groups: Vec<String>,
}

/// Go's `duration.ShortHumanDuration`, which kubeadm's TTL column uses.
pub fn short_human_duration(seconds: i64) -> String {
    match seconds {
        s if s < -1 => "<invalid>".into(),
        s if s < 0 => "0s".into(),
        s if s < 60 => format!("{s}s"),
        s if s < 60 * 60 => format!("{}m", s / 60),
        s if s < 60 * 60 * 48 => format!("{}h", s / 3600),
        s if s < 60 * 60 * 24 * 365 => format!("{}d", s / 86400),
        s => format!("{}y", s / (86400 * 365)),
    }
}

/// kubeadm's table: TOKEN TTL EXPIRES USAGES DESCRIPTION EXTRA GROUPS.
pub fn table(tokens: &[TokenInfo], now: DateTime<Utc>, show_secrets: bool) -> String {
    let none = |s: String| if s.is_empty() { "<none>".to_string() } else { s };
    let mut rows = vec![["TOKEN", "TTL", "EXPIRES", "USAGES", "DESCRIPTION", "EXTRA GROUPS"].map(String::from)];
    for t in tokens {
        rows.push([t.shown(show_secrets), t.ttl(now), t.expires_text(), none(t.usages.join(",")), none(t.description.clone()), none(t.groups.join(","))]);
    }
    let widths: Vec<usize> = (0..6).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row.iter().enumerate().map(|(c, cell)| if c == 5 { cell.clone() } else { format!("{cell:<w$}", w = widths[c]) }).collect();
        out.push_str(cells.join("   ").trim_end());
        out.push('\n');
    }
    out
}

/// `kubeadm join`'s command line, which `kubelift join` accepts as well.
/// One `--discovery-token-ca-cert-hash` per CA in the bundle (during a CA
/// rotation the bundle holds the old and the new CA).
pub fn join_command(endpoint: &str, token: &SecretString, ca_hashes: &[String], certificate_key: Option<&SecretString>) -> String {
    let mut line = format!("kubelift join {endpoint} --token {}", token.expose());
    for h in ca_hashes {
        line.push_str(&format!(" --discovery-token-ca-cert-hash {h}"));
    }
    if let Some(key) = certificate_key {
        line.push_str(&format!(" --control-plane --certificate-key {}", key.expose()));
    }
    line
}

/// `https://10.0.0.1:6443/` → `10.0.0.1:6443`.
pub fn endpoint_of(server: &str) -> String {
    server.trim().trim_start_matches("https://").trim_end_matches('/').to_string()
}

/// The pins of every certificate in a CA bundle (PEM).
pub fn ca_hashes(ca_pem: &[u8]) -> Vec<String> {
    pem::parse_many(ca_pem)
        .unwrap_or_default()
        .into_iter()
        .filter(|b| b.tag() == "CERTIFICATE")
        .filter_map(|b| crate::discovery::pin::hash_string(b.contents()))
        .collect()
}

fn secrets(cluster: &Cluster) -> Api<Secret> {
    Api::namespaced(cluster.client.clone(), KUBE_SYSTEM)
}

/// Creates the token Secret; an existing id is an error, as in kubeadm.
pub async fn create(cluster: &Cluster, spec: &BootstrapToken, now: DateTime<Utc>) -> Result<TokenInfo, TokenError> {
    let secret = token_secret(spec, 0, now).map_err(|e| TokenError::Invalid(e.to_string()))?;
    let name = secret.metadata.name.clone().expect("token Secrets are named");
    let id = name.trim_start_matches(TOKEN_SECRET_PREFIX).to_string();
    let api = secrets(cluster);
    if cluster.retry(&format!("get Secret kube-system/{name}"), || api.get_opt(&name)).await?.is_some() {
        return Err(TokenError::Exists(id));
    }
    match api.create(&PostParams::default(), &secret).await {
        Ok(created) => Ok(TokenInfo::from_secret(&created).expect("kubelift's token Secret is well formed")),
        Err(kube::Error::Api(status)) if status.code == 409 => Err(TokenError::Exists(id)),
        Err(e) => Err(ClusterError::from_kube(&format!("create Secret kube-system/{name}"), &cluster.server, &e).into()),
    }
}

/// Every token Secret, sorted by id.
pub async fn list(cluster: &Cluster) -> Result<Vec<TokenInfo>, TokenError> {
    let api = secrets(cluster);
    let params = ListParams::default().fields(&format!("type={TOKEN_SECRET_TYPE}"));
    let list = cluster.retry("list bootstrap token Secrets in kube-system", || api.list(&params)).await?;
    let mut tokens: Vec<TokenInfo> = list.items.iter().filter_map(TokenInfo::from_secret).collect();
    tokens.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(tokens)
}

/// Deletes `bootstrap-token-<id>`.
pub async fn delete(cluster: &Cluster, id: &str) -> Result<(), TokenError> {
    let api = secrets(cluster);
    let name = format!("{TOKEN_SECRET_PREFIX}{id}");
    let params = DeleteParams::default();
    match cluster.retry(&format!("delete Secret kube-system/{name}"), || api.delete(&name, &params)).await {
        Ok(_) => Ok(()),
        Err(e) if e.class == ErrorClass::NotFound => Err(TokenError::NotFound(id.into())),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use k8s_openapi::ByteString;

    fn secret(pairs: &[(&str, &str)]) -> Secret {
        Secret { data: Some(pairs.iter().map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec()))).collect()), ..Default::default() }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
    }

    #[test]
    fn reads_kubeadms_secret_and_hides_the_secret() {
        let s = secret(&[("token-id", "abcdef"), ("token-secret", "0123456789abcdef"), ("expiration", "2026-11-23T11:00:00Z"), ("usage-bootstrap-signing", "true"), ("usage-bootstrap-authentication", "true"), ("auth-extra-groups", "system:bootstrappers:kubeadm:default-node-token")]);
        let t = TokenInfo::from_secret(&s).unwrap();
        assert_eq!(t.usages, ["authentication", "signing"]);
        assert_eq!(t.ttl(now()), "23h");
        assert!(!t.is_expired(now()));
        assert_eq!(t.shown(false), "abcdef.<hidden>");
        assert_eq!(t.shown(true), "abcdef.0123456789abcdef");
        assert!(!format!("{t:?}").contains("0123456789abcdef"));
        let text = table(std::slice::from_ref(&t), now(), false);
        assert!(text.starts_with("TOKEN "), "{text}");
        assert!(text.contains("abcdef.<hidden>") && text.contains("2026-11-23T11:00:00Z") && text.contains("<none>"), "{text}");
        assert!(!text.contains("0123456789abcdef"));
        let json = serde_json::to_string(&t.to_json(now(), false)).unwrap();
        assert!(!json.contains("0123456789abcdef") && json.contains("\"ttl_seconds\":82800"), "{json}");
    }

    #[test]
    fn expired_forever_and_unreadable() {
        let past = TokenInfo::from_secret(&secret(&[("token-id", "aaaaaa"), ("token-secret", "0123456789abcdef"), ("expiration", "2020-01-01T00:00:00Z")])).unwrap();
        assert!(past.is_expired(now()));
        assert_eq!(past.ttl(now()), "<expired>");
        let forever = TokenInfo::from_secret(&secret(&[("token-id", "bbbbbb"), ("token-secret", "0123456789abcdef")])).unwrap();
        assert_eq!((forever.ttl(now()).as_str(), forever.expires_text().as_str()), ("<forever>", "<never>"));
        let bad = TokenInfo::from_secret(&secret(&[("token-id", "cccccc"), ("token-secret", "0123456789abcdef"), ("expiration", "soon")])).unwrap();
        assert!(bad.is_expired(now()), "the API server treats an unparseable expiration as expired");
        assert!(TokenInfo::from_secret(&secret(&[("token-id", "dddddd")])).is_none());
    }

    #[test]
    fn short_durations_as_go_prints_them() {
        assert_eq!(short_human_duration(-5), "<invalid>");
        assert_eq!(short_human_duration(59), "59s");
        assert_eq!(short_human_duration(3599), "59m");
        assert_eq!(short_human_duration(47 * 3600), "47h");
        assert_eq!(short_human_duration(48 * 3600), "2d");
        assert_eq!(short_human_duration(400 * 86400), "1y");
    }

    #[test]
    fn requests_are_checked_without_echoing_the_token() {
        let spec = token_spec(&CreateRequest::default()).unwrap();
        assert!(is_bootstrap_token(spec.token.expose()));
        assert_eq!((spec.ttl.as_str(), spec.groups.len(), spec.usages.len()), ("24h0m0s", 1, 2));
        let bad = CreateRequest { token: Some("abcdef.0123456789ABCDEF".into()), ..Default::default() };
        let e = token_spec(&bad).unwrap_err().to_string();
        assert!(!e.contains("0123456789ABCDEF"), "{e}");
        assert!(token_spec(&CreateRequest { usages: vec!["signing".into()], groups: vec!["system:bootstrappers:x".into()], ..Default::default() }).is_err());
        assert!(token_spec(&CreateRequest { groups: vec!["system:masters".into()], ..Default::default() }).is_err());
        assert!(token_spec(&CreateRequest { ttl: "soon".into(), ..Default::default() }).is_err());
        assert_eq!(token_spec(&CreateRequest { ttl: "0".into(), ..Default::default() }).unwrap().ttl, "0");
    }

    #[test]
    fn ids_from_ids_or_tokens() {
        assert_eq!(token_id("abcdef").unwrap(), "abcdef");
        assert_eq!(token_id("abcdef.0123456789abcdef").unwrap(), "abcdef");
        assert!(token_id("abcdef.short").is_err());
        assert!(token_id("ABCDEF").is_err());
    }

    #[test]
    fn join_command_carries_every_ca_pin() {
        let line = join_command("10.0.0.1:6443", &"abcdef.0123456789abcdef".into(), &["sha256:aa".into(), "sha256:bb".into()], None);
        assert_eq!(line, "kubelift join 10.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:aa --discovery-token-ca-cert-hash sha256:bb");
        assert_eq!(endpoint_of("https://10.0.0.1:6443/"), "10.0.0.1:6443");
    }
}
