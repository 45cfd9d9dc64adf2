//! This node's etcd member, removed before the node is wiped (kubeadm's
//! `remove-etcd-member`).
//!
//! kubelift talks to etcd over its v3 JSON gateway (`POST /v3/cluster/member/list`
//! and `/v3/cluster/member/remove`), which every etcd since 3.4 serves on its
//! client port, with the `healthcheck-client` certificate kubeadm makes for
//! probes. Why not etcdctl: it is not installed on a kubeadm node (etcd runs
//! in a container), and the gateway needs nothing but the HTTPS client
//! kubelift already has.

use base64::Engine;
use serde_json::Value;
use std::time::Duration;

use crate::cluster::Cluster;

/// kubeadm's etcd listens for clients on loopback as well as on the node's address.
pub const LOCAL_ENDPOINT: &str = "https://127.0.0.1:2379";
const PATIENCE: Duration = Duration::from_secs(10);

/// A stacked etcd member as its static Pod manifest describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalEtcd {
    pub name: String,
    pub peer_urls: Vec<String>,
    /// The data folder (the `etcd-data` hostPath, else `--data-dir`).
    pub data_dir: String,
    pub ca: String,
    pub client_cert: String,
    pub client_key: String,
}

/// Reads `/etc/kubernetes/manifests/etcd.yaml`; `None` when it is not an etcd Pod.
pub fn from_manifest(yaml: &[u8]) -> Option<LocalEtcd> {
    let pod: serde_yaml::Value = serde_yaml::from_slice(yaml).ok()?;
    let container = pod["spec"]["containers"].as_sequence()?.iter().find(|c| c["name"].as_str() == Some("etcd"))?;
    let words: Vec<&str> = container["command"].as_sequence()?.iter().chain(container["args"].as_sequence().into_iter().flatten()).filter_map(|v| v.as_str()).collect();
    let flag = |name: &str| words.iter().find_map(|w| w.strip_prefix(&format!("--{name}="))).map(String::from);
    let host_path = pod["spec"]["volumes"].as_sequence().into_iter().flatten().find(|v| v["name"].as_str() == Some("etcd-data")).and_then(|v| v["hostPath"]["path"].as_str()).map(String::from);
    let ca = flag("trusted-ca-file")?;
    // kubeadm keeps the healthcheck client next to the etcd CA.
    let dir = ca.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default();
    Some(LocalEtcd {
        name: flag("name").unwrap_or_default(),
        peer_urls: flag("initial-advertise-peer-urls").map(|u| u.split(',').map(String::from).collect()).unwrap_or_default(),
        data_dir: host_path.or_else(|| flag("data-dir")).unwrap_or_else(|| "/var/lib/etcd".into()),
        ca,
        client_cert: format!("{dir}/healthcheck-client.crt"),
        client_key: format!("{dir}/healthcheck-client.key"),
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// A uint64, kept as the gateway prints it (a decimal string).
    pub id: String,
    pub name: String,
    pub peer_urls: Vec<String>,
}

/// The members of a `member/list` answer.
pub fn parse_members(body: &str) -> Result<Vec<Member>, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!("etcd answered with something that is not JSON: {e}"))?;
    let members = v["members"].as_array().ok_or_else(|| format!("etcd's member list has no members field: {}", truncate(body)))?;
    Ok(members
        .iter()
        .map(|m| Member {
            id: match &m["ID"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            },
            name: m["name"].as_str().unwrap_or_default().to_string(),
            peer_urls: m["peerURLs"].as_array().into_iter().flatten().filter_map(|u| u.as_str().map(String::from)).collect(),
        })
        .collect())
}

fn truncate(s: &str) -> String {
    s.chars().take(200).collect()
}

/// This node's member: by peer URL (what kubeadm matches), else by name.
pub fn this_member<'a>(members: &'a [Member], local: &LocalEtcd) -> Option<&'a Member> {
    members
        .iter()
        .find(|m| m.peer_urls.iter().any(|u| local.peer_urls.contains(u)))
        .or_else(|| members.iter().find(|m| !local.name.is_empty() && m.name == local.name))
}

/// The PEM files the client needs, read by the caller (through the gate, under --root).
pub struct ClientFiles {
    pub ca: Vec<u8>,
    pub cert: Vec<u8>,
    pub key: Vec<u8>,
}

/// An HTTPS client for the gateway: trusts only the etcd CA, presents the healthcheck client.
pub async fn client(endpoint: &str, files: &ClientFiles) -> Result<Cluster, String> {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: etcd\n  cluster:\n    server: {endpoint}\n    certificate-authority-data: {}\nusers:\n- name: healthcheck\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\ncontexts:\n- name: etcd\n  context:\n    cluster: etcd\n    user: healthcheck\ncurrent-context: etcd\n",
        b64(&files.ca),
        b64(&files.cert),
        b64(&files.key)
    );
    Cluster::from_kubeconfig_yaml(&kubeconfig, PATIENCE).await.map_err(|e| e.to_string())
}

async fn post(client: &Cluster, path: &str, body: Value) -> Result<String, String> {
    let request = http::Request::post(path).header("content-type", "application/json").body(body.to_string().into_bytes()).expect("a POST request builds");
    client.client.request_text(request).await.map_err(|e| {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(&format!(": {s}"));
            source = s.source();
        }
        format!("POST {}{path}: {text}", client.server.trim_end_matches('/'))
    })
}

pub async fn list_members(client: &Cluster) -> Result<Vec<Member>, String> {
    parse_members(&post(client, "/v3/cluster/member/list", serde_json::json!({})).await?)
}

pub async fn remove_member(client: &Cluster, id: &str) -> Result<(), String> {
    post(client, "/v3/cluster/member/remove", serde_json::json!({ "ID": id })).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd\nspec:\n  containers:\n  - name: etcd\n    command:\n    - etcd\n    - --name=cp1\n    - --data-dir=/var/lib/etcd\n    - --initial-advertise-peer-urls=https://10.211.0.2:2380\n    - --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt\n  volumes:\n  - name: etcd-data\n    hostPath:\n      path: /srv/etcd\n";

    #[test]
    fn manifest_gives_member_and_client_files() {
        let e = from_manifest(MANIFEST.as_bytes()).unwrap();
        assert_eq!(e.name, "cp1");
        assert_eq!(e.peer_urls, ["https://10.211.0.2:2380"]);
        assert_eq!(e.data_dir, "/srv/etcd", "the hostPath is where the data is on the host");
        assert_eq!(e.client_cert, "/etc/kubernetes/pki/etcd/healthcheck-client.crt");
        assert!(from_manifest(b"kind: Pod\nspec: {}\n").is_none());
    }

    #[test]
    fn members_by_peer_url_then_name() {
        let body = r#"{"header":{"cluster_id":"1"},"members":[{"ID":"11","name":"cp2","peerURLs":["https://10.0.0.3:2380"]},{"ID":"12297829382473034410","name":"other","peerURLs":["https://10.211.0.2:2380"]}]}"#;
        let members = parse_members(body).unwrap();
        let local = from_manifest(MANIFEST.as_bytes()).unwrap();
        assert_eq!(this_member(&members, &local).unwrap().id, "12297829382473034410");
        let by_name = vec![Member { id: "5".into(), name: "cp1".into(), peer_urls: vec![] }];
        assert_eq!(this_member(&by_name, &local).unwrap().id, "5");
        assert!(parse_members("{}").is_err());
    }
}
