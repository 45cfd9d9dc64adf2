//! `bootstrap-token`: token Secrets, the RBAC that lets tokens join nodes,
//! and the public cluster-info ConfigMap (kubeadm-facts §5.2, §5.3, §6.1–6.5).
//!
//! The token id appears in names; the secret half only inside the Secret's
//! data. Errors name the token by its index or id, never by its secret.

use chrono::{DateTime, SecondsFormat, Utc};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::ByteString;
use serde_json::json;
use std::collections::BTreeMap;

use crate::goyaml;
use super::{base64, meta, rbac, string_map, AnyObject, ObjectError, KUBE_PUBLIC, KUBE_SYSTEM};
use crate::config::{duration, BootstrapToken, InitSettings};
use crate::secret::SecretString;

pub const TOKEN_SECRET_TYPE: &str = "bootstrap.kubernetes.io/token";
pub const TOKEN_SECRET_PREFIX: &str = "bootstrap-token-";
pub const CLUSTER_INFO: &str = "cluster-info";

/// A token split into its public id and its secret half.
pub struct TokenParts<'a> {
    pub id: &'a str,
    secret: &'a str,
}

/// `[a-z0-9]{6}.[a-z0-9]{16}`; `index` only names the token in the error.
pub fn split_token(token: &SecretString, index: usize) -> Result<TokenParts<'_>, ObjectError> {
    let ok = |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    match token.expose().split_once('.') {
        Some((id, secret)) if ok(id, 6) && ok(secret, 16) => Ok(TokenParts { id, secret }),
        _ => Err(ObjectError::TokenFormat { index }),
    }
}

/// The objects of the bootstrap-token phase in kubeadm's order.
pub fn phase_objects(s: &InitSettings, now: DateTime<Utc>, ca_cert_pem: &[u8]) -> Result<Vec<AnyObject>, ObjectError> {
    let mut objects = Vec::new();
    for (index, token) in s.init.bootstrap_tokens.iter().enumerate() {
        objects.push(AnyObject::Secret(token_secret(token, index, now)?));
    }
    objects.extend(rbac::bootstrap_token_rbac());
    objects.push(AnyObject::ConfigMap(cluster_info_config_map(&server_url(s), ca_cert_pem)));
    objects.extend(rbac::cluster_info_rbac());
    Ok(objects)
}

/// The API server URL kubeconfigs and cluster-info carry.
pub fn server_url(s: &InitSettings) -> String {
    format!("https://{}", s.control_plane_endpoint())
}

/// `kube-system/bootstrap-token-<id>` with exactly kubeadm's data keys.
pub fn token_secret(token: &BootstrapToken, index: usize, now: DateTime<Utc>) -> Result<Secret, ObjectError> {
    let parts = split_token(&token.token, index)?;
    let mut data: BTreeMap<String, ByteString> = BTreeMap::new();
    let mut put = |key: &str, value: &str| data.insert(key.to_string(), ByteString(value.as_bytes().to_vec()));
    put("token-id", parts.id);
    put("token-secret", parts.secret);
    if let Some(expiration) = expiration(token, parts.id, now)? {
        put("expiration", &expiration);
    }
    if !token.description.is_empty() {
        put("description", &token.description);
    }
    for usage in &token.usages {
        put(&format!("usage-bootstrap-{usage}"), "true");
    }
    if !token.groups.is_empty() {
        put("auth-extra-groups", &token.groups.join(","));
    }
    Ok(Secret {
        metadata: meta(&format!("{TOKEN_SECRET_PREFIX}{}", parts.id), Some(KUBE_SYSTEM)),
        type_: Some(TOKEN_SECRET_TYPE.into()),
        data: Some(data),
        ..Default::default()
    })
}

/// RFC 3339 in UTC: `expires` when given, else now + ttl; none for ttl 0.
fn expiration(token: &BootstrapToken, id: &str, now: DateTime<Utc>) -> Result<Option<String>, ObjectError> {
    let field_error = |field, problem: String| ObjectError::TokenField { id: id.to_string(), field, problem };
    let at = if !token.expires.is_empty() {
        let t = DateTime::parse_from_rfc3339(&token.expires).map_err(|e| field_error("expires", format!("is not RFC 3339: {e}")))?;
        t.with_timezone(&Utc)
    } else {
        let ttl = if token.ttl.is_empty() { crate::config::defaults::DEFAULT_TOKEN_TTL } else { &token.ttl };
        let ttl = duration::parse(ttl).map_err(|e| field_error("ttl", e))?;
        if ttl.is_zero() {
            return Ok(None);
        }
        let ttl = chrono::Duration::from_std(ttl).map_err(|e| field_error("ttl", e.to_string()))?;
        now.checked_add_signed(ttl).ok_or_else(|| field_error("ttl", "is too long".into()))?
    };
    Ok(Some(at.to_rfc3339_opts(SecondsFormat::Secs, true)))
}

/// `kube-public/cluster-info`: the only public description of the cluster,
/// read anonymously by joining nodes (the kube-controller-manager adds the
/// `jws-kubeconfig-<id>` signatures).
pub fn cluster_info_config_map(server_url: &str, ca_cert_pem: &[u8]) -> ConfigMap {
    ConfigMap {
        metadata: meta(CLUSTER_INFO, Some(KUBE_PUBLIC)),
        data: Some(string_map(&[("kubeconfig", &cluster_info_kubeconfig(server_url, ca_cert_pem))])),
        ..Default::default()
    }
}

/// admin.conf reduced to its cluster, under the empty name, as client-go's
/// clientcmd writes a Config with no contexts and no users.
pub fn cluster_info_kubeconfig(server_url: &str, ca_cert_pem: &[u8]) -> String {
    goyaml::to_string(&json!({
        "apiVersion": "v1",
        "clusters": [{"cluster": {"certificate-authority-data": base64(ca_cert_pem), "server": server_url}, "name": ""}],
        "contexts": null,
        "current-context": "",
        "kind": "Config",
        "preferences": {},
        "users": null,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn token(text: &str) -> BootstrapToken {
        BootstrapToken {
            token: text.into(),
            ttl: "24h0m0s".into(),
            usages: vec!["signing".into(), "authentication".into()],
            groups: vec!["system:bootstrappers:kubeadm:default-node-token".into()],
            ..Default::default()
        }
    }

    fn data(secret: &Secret) -> BTreeMap<String, String> {
        secret.data.clone().unwrap().into_iter().map(|(k, v)| (k, String::from_utf8(v.0).unwrap())).collect()
    }

    #[test]
    fn token_secret_has_kubeadms_keys() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 10, 17).unwrap();
        let secret = token_secret(&token("abcdef.0123456789abcdef"), 0, now).unwrap();
        assert_eq!(secret.metadata.name.as_deref(), Some("bootstrap-token-abcdef"));
        assert_eq!(secret.type_.as_deref(), Some(TOKEN_SECRET_TYPE));
        let d = data(&secret);
        assert_eq!(d["expiration"], "2026-11-23T12:10:17Z");
        assert_eq!(d["token-secret"], "0123456789abcdef");
        assert_eq!(d["usage-bootstrap-signing"], "true");
        assert!(!d.contains_key("description"));
    }

    #[test]
    fn zero_ttl_never_expires_and_expires_wins() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut t = token("abcdef.0123456789abcdef");
        t.ttl = "0s".into();
        assert!(!data(&token_secret(&t, 0, now).unwrap()).contains_key("expiration"));
        t.expires = "2027-02-03T04:05:06+01:00".into();
        assert_eq!(data(&token_secret(&t, 0, now).unwrap())["expiration"], "2027-02-03T03:05:06Z");
    }

    #[test]
    fn errors_never_show_the_secret() {
        let now = Utc::now();
        let err = token_secret(&token("abcdef.0123456789ABCDEF"), 2, now).unwrap_err();
        assert_eq!(err, ObjectError::TokenFormat { index: 2 });
        let mut t = token("abcdef.0123456789abcdef");
        t.ttl = "soon".into();
        let text = token_secret(&t, 0, now).unwrap_err().to_string();
        assert!(text.contains("abcdef") && !text.contains("0123456789abcdef"), "{text}");
        let secret = AnyObject::Secret(token_secret(&token("abcdef.0123456789abcdef"), 0, now).unwrap());
        assert!(!format!("{secret:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn cluster_info_is_a_bare_kubeconfig() {
        let text = cluster_info_kubeconfig("https://[fd00::1]:6443", b"PEM");
        assert_eq!(
            text,
            "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: UEVN\n    server: https://[fd00::1]:6443\n  name: \"\"\n\
contexts: null\ncurrent-context: \"\"\nkind: Config\npreferences: {}\nusers: null\n"
        );
    }
}
