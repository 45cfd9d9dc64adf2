//! A stacked etcd's membership API, through etcd's v3 JSON gateway
//! (`POST https://<member>:2379/v3/cluster/member/{list,add}`, `GET /health`).
//!
//! Why the gateway and not gRPC or etcdctl: the gateway is served on every
//! member's client port since etcd 3.3 (path `/v3/` from 3.4), speaks JSON
//! over the same mutual TLS the API server uses, and needs no new dependency:
//! kube-rs's HTTP stack carries it. etcdctl is rarely installed on kubeadm
//! hosts (etcd runs in a container), so kubelift does not rely on it.
//!
//! The client authenticates with a client certificate signed by the etcd CA
//! (kubeadm uses apiserver-etcd-client for the same calls; reset uses the
//! healthcheck client kept next to the etcd CA).
//!
//! Membership changes are retried while etcd refuses them as unsafe for now
//! ("unhealthy cluster": a member restarted less than etcd's 5-second health
//! interval ago), as kubeadm's etcd client retries them with backoff.

use serde_json::{json, Value};
use std::time::Duration;

use super::{Cluster, ClusterError, ErrorClass};

/// How long a membership call is retried while etcd calls it unsafe for now
/// (kubeadm's etcd backoff allows about 100 s; a restarted member counts after 5 s).
const PATIENCE: Duration = Duration::from_secs(30);
use crate::kubeconfig::{Credentials, Kubeconfig};

pub const CLIENT_PORT: u16 = 2379;
pub const PEER_PORT: u16 = 2380;

/// One etcd member as the membership API reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The member ID in hex, as etcdctl prints it.
    pub id: String,
    /// Empty for a member that was added but has not started yet.
    pub name: String,
    pub peer_urls: Vec<String>,
    pub client_urls: Vec<String>,
}

impl Member {
    /// The gateway prints uint64 IDs as decimal strings (proto3 JSON) or,
    /// from some versions, as numbers; both are accepted.
    fn from_json(v: &Value) -> Member {
        let id = match &v["ID"] {
            Value::String(s) => s.parse::<u64>().map(|n| format!("{n:x}")).unwrap_or_else(|_| s.clone()),
            Value::Number(n) => n.as_u64().map(|n| format!("{n:x}")).unwrap_or_default(),
            _ => String::new(),
        };
        let strings = |key: &str| v[key].as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect()).unwrap_or_default();
        Member { id, name: v["name"].as_str().unwrap_or_default().to_string(), peer_urls: strings("peerURLs"), client_urls: strings("clientURLs") }
    }

    pub fn peer_url(&self) -> &str {
        self.peer_urls.first().map(String::as_str).unwrap_or_default()
    }
}

/// A client of one etcd member.
pub struct EtcdClient {
    cluster: Cluster,
    pub endpoint: String,
}

/// The client credentials and the CA that verifies etcd's serving certificates.
pub struct EtcdCredentials {
    pub ca_pem: Vec<u8>,
    pub cert_pem: String,
    pub key_pem: String,
}

impl EtcdClient {
    /// A client of the member at `endpoint` (`https://ip:2379`). Connects lazily.
    pub async fn new(endpoint: &str, creds: &EtcdCredentials) -> Result<EtcdClient, ClusterError> {
        // kube-rs reads its TLS identity from a kubeconfig; one in memory carries it.
        let yaml = Kubeconfig {
            cluster_name: "etcd",
            server: endpoint,
            ca_pem: &creds.ca_pem,
            user: "etcd-client",
            context: None,
            credentials: Credentials::ClientCertificate { cert_pem: &creds.cert_pem, key_pem: &creds.key_pem },
        }
        .render();
        let cluster = Cluster::from_kubeconfig_yaml(&yaml, PATIENCE).await?;
        Ok(EtcdClient { cluster, endpoint: endpoint.to_string() })
    }

    /// One call; reads are not retried here, as callers try the next member instead.
    async fn post(&self, path: &str, body: Value) -> Result<Value, ClusterError> {
        self.call(path, body, false).await
    }

    /// A membership change: retried while etcd answers that it is unsafe for now.
    async fn change(&self, path: &str, body: Value) -> Result<Value, ClusterError> {
        self.call(path, body, true).await
    }

    async fn call(&self, path: &str, body: Value, retry: bool) -> Result<Value, ClusterError> {
        let action = format!("POST {path} to etcd");
        let body = body.to_string();
        let request = || http::Request::post(path).header(http::header::CONTENT_TYPE, "application/json").body(body.clone().into_bytes()).expect("a POST request builds");
        let client = &self.cluster.client;
        let text = if retry {
            self.cluster.retry(&action, || client.request_text(request())).await?
        } else {
            client.request_text(request()).await.map_err(|e| ClusterError::from_kube(&action, &self.endpoint, &e))?
        };
        serde_json::from_str(&text).map_err(|e| ClusterError::new(ErrorClass::Other, &action, &self.endpoint, format!("the answer is not JSON: {e}")))
    }

    /// Every member of the cluster this member belongs to.
    pub async fn members(&self) -> Result<Vec<Member>, ClusterError> {
        let answer = self.post("/v3/cluster/member/list", json!({})).await?;
        Ok(members_of(&answer))
    }

    /// Adds a voting member with `peer_url`; returns the new member and the
    /// member list after the change (the new one included, without a name).
    pub async fn add_member(&self, peer_url: &str) -> Result<(Member, Vec<Member>), ClusterError> {
        let answer = self.change("/v3/cluster/member/add", json!({ "peerURLs": [peer_url] })).await?;
        Ok((Member::from_json(&answer["member"]), members_of(&answer)))
    }

    /// Removes the member with this (hex) ID; returns the members that remain.
    pub async fn remove_member(&self, id: &str) -> Result<Vec<Member>, ClusterError> {
        let action = format!("remove etcd member {id}");
        let id = u64::from_str_radix(id, 16).map_err(|_| ClusterError::new(ErrorClass::Invalid, &action, &self.endpoint, format!("{id} is not a hexadecimal member ID")))?;
        // proto3 JSON carries a uint64 as a decimal string.
        let answer = self.change("/v3/cluster/member/remove", json!({ "ID": id.to_string() })).await?;
        Ok(members_of(&answer))
    }

    /// etcd's own health endpoint: true when the member has a leader and serves reads.
    pub async fn healthy(&self) -> Result<bool, ClusterError> {
        let text = self.cluster.get_raw("/health").await?;
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(answer["health"] == "true" || answer["health"] == true)
    }
}

fn members_of(answer: &Value) -> Vec<Member> {
    answer["members"].as_array().map(|a| a.iter().map(Member::from_json).collect()).unwrap_or_default()
}

/// kubeadm's `--initial-cluster` for a joining member: the member list in the
/// order etcd returned it, the new member (found by its peer URL) under this
/// node's name, an unnamed other member (a concurrent join) under its hex ID.
pub fn initial_cluster(members: &[Member], node_name: &str, peer_url: &str) -> Vec<(String, String)> {
    members
        .iter()
        .filter(|m| !m.peer_urls.is_empty())
        .map(|m| {
            let name = if m.peer_url() == peer_url {
                node_name.to_string()
            } else if m.name.is_empty() {
                m.id.clone()
            } else {
                m.name.clone()
            };
            (name, m.peer_url().to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_json_is_read_as_etcdctl_prints_it() {
        let answer = json!({
            "header": {"cluster_id": "1", "member_id": "2"},
            "member": {"ID": "12345678901234567890", "peerURLs": ["https://10.0.0.3:2380"]},
            "members": [
                {"ID": "1311953435", "name": "cp1", "peerURLs": ["https://10.0.0.2:2380"], "clientURLs": ["https://10.0.0.2:2379"]},
                {"ID": 4096, "peerURLs": ["https://10.0.0.9:2380"]},
                {"ID": "12345678901234567890", "peerURLs": ["https://10.0.0.3:2380"]}
            ]
        });
        let new = Member::from_json(&answer["member"]);
        assert_eq!(new.id, format!("{:x}", 12345678901234567890u64));
        let members = members_of(&answer);
        assert_eq!(members[0].name, "cp1");
        assert_eq!(members[0].client_urls, ["https://10.0.0.2:2379"]);
        assert_eq!(members[1].id, "1000");
        let initial = initial_cluster(&members, "cp2", "https://10.0.0.3:2380");
        assert_eq!(
            initial,
            [
                ("cp1".to_string(), "https://10.0.0.2:2380".to_string()),
                ("1000".to_string(), "https://10.0.0.9:2380".to_string()),
                ("cp2".to_string(), "https://10.0.0.3:2380".to_string())
            ]
        );
    }
}
