//! `~/.kube/config` after reset: the entries that point at this cluster go,
//! every other cluster, context and user stays.
//!
//! "This cluster" is the cluster entry whose CA is this cluster's CA (by
//! certificate, or by the path of ca.crt); names are not trusted, because
//! every kubeadm cluster is called `kubernetes`.

use base64::Engine;
use serde_yaml::{Mapping, Value};
use std::collections::BTreeSet;

/// How to recognise this cluster's CA.
#[derive(Debug, Clone, Default)]
pub struct ClusterCa {
    /// The CA certificates (DER).
    pub certs: Vec<Vec<u8>>,
    /// Host paths of ca.crt, for entries that name the file instead of embedding it.
    pub paths: Vec<String>,
}

impl ClusterCa {
    pub fn add_pem(&mut self, pem_bytes: &[u8]) {
        for block in pem::parse_many(pem_bytes).unwrap_or_default() {
            if block.tag() == "CERTIFICATE" && !self.certs.contains(&block.contents().to_vec()) {
                self.certs.push(block.contents().to_vec());
            }
        }
    }

    fn matches(&self, cluster: &Value) -> bool {
        if let Some(path) = cluster["certificate-authority"].as_str() {
            if self.paths.iter().any(|p| p == path) {
                return true;
            }
        }
        let Some(data) = cluster["certificate-authority-data"].as_str() else { return false };
        let Ok(pem_bytes) = base64::engine::general_purpose::STANDARD.decode(data.trim()) else { return false };
        let mut theirs = ClusterCa::default();
        theirs.add_pem(&pem_bytes);
        theirs.certs.iter().any(|c| self.certs.contains(c))
    }
}

/// What pruning a kubeconfig gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pruned {
    /// The new content, or `None` when nothing else is left (the file is removed).
    pub content: Option<Vec<u8>>,
    /// The cluster entries removed, by name.
    pub clusters: Vec<String>,
}

fn names(list: &Value) -> Vec<String> {
    list.as_sequence().into_iter().flatten().filter_map(|e| e["name"].as_str().map(String::from)).collect()
}

/// Removes this cluster's entries, the contexts that use them and the users
/// only those contexts use. `Ok(None)`: the file has nothing of this cluster.
pub fn prune(yaml: &[u8], ca: &ClusterCa) -> Result<Option<Pruned>, String> {
    let mut doc: Value = serde_yaml::from_slice(yaml).map_err(|e| format!("it is not a readable kubeconfig ({e})"))?;
    let gone_clusters: BTreeSet<String> = doc["clusters"].as_sequence().into_iter().flatten().filter(|c| ca.matches(&c["cluster"])).filter_map(|c| c["name"].as_str().map(String::from)).collect();
    if gone_clusters.is_empty() {
        return Ok(None);
    }
    let uses_gone = |c: &Value| c["context"]["cluster"].as_str().is_some_and(|n| gone_clusters.contains(n));
    let contexts = doc["contexts"].as_sequence().cloned().unwrap_or_default();
    let gone_contexts: BTreeSet<String> = contexts.iter().filter(|c| uses_gone(c)).filter_map(|c| c["name"].as_str().map(String::from)).collect();
    let kept_users: BTreeSet<String> = contexts.iter().filter(|c| !uses_gone(c)).filter_map(|c| c["context"]["user"].as_str().map(String::from)).collect();
    let gone_users: BTreeSet<String> = contexts.iter().filter(|c| uses_gone(c)).filter_map(|c| c["context"]["user"].as_str().map(String::from)).filter(|u| !kept_users.contains(u)).collect();
    let map = doc.as_mapping_mut().ok_or("it is not a YAML mapping")?;
    retain(map, "clusters", &gone_clusters);
    retain(map, "contexts", &gone_contexts);
    retain(map, "users", &gone_users);
    if map.get("current-context").and_then(Value::as_str).is_some_and(|c| gone_contexts.contains(c)) {
        map.insert("current-context".into(), Value::String(String::new()));
    }
    let clusters = gone_clusters.into_iter().collect();
    if names(&doc["clusters"]).is_empty() {
        return Ok(Some(Pruned { content: None, clusters }));
    }
    let text = serde_yaml::to_string(&doc).map_err(|e| e.to_string())?;
    Ok(Some(Pruned { content: Some(text.into_bytes()), clusters }))
}

fn retain(map: &mut Mapping, key: &str, gone: &BTreeSet<String>) {
    if let Some(Value::Sequence(list)) = map.get_mut(key) {
        list.retain(|e| !e["name"].as_str().is_some_and(|n| gone.contains(n)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA: &str = "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n";
    const OTHER: &str = "-----BEGIN CERTIFICATE-----\nBAUG\n-----END CERTIFICATE-----\n";

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn config() -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: kubernetes\n  cluster:\n    server: https://10.0.0.1:6443\n    certificate-authority-data: {}\n- name: prod\n  cluster:\n    server: https://prod:6443\n    certificate-authority-data: {}\ncontexts:\n- name: kubernetes-admin@kubernetes\n  context:\n    cluster: kubernetes\n    user: kubernetes-admin\n- name: prod\n  context:\n    cluster: prod\n    user: me\ncurrent-context: kubernetes-admin@kubernetes\nusers:\n- name: kubernetes-admin\n  user: {{}}\n- name: me\n  user: {{}}\n",
            b64(CA),
            b64(OTHER)
        )
    }

    fn ours() -> ClusterCa {
        let mut ca = ClusterCa::default();
        ca.add_pem(CA.as_bytes());
        ca
    }

    #[test]
    fn removes_this_cluster_and_keeps_the_others() {
        let pruned = prune(config().as_bytes(), &ours()).unwrap().unwrap();
        assert_eq!(pruned.clusters, ["kubernetes"]);
        let text = String::from_utf8(pruned.content.unwrap()).unwrap();
        assert!(text.contains("name: prod") && text.contains("name: me"), "{text}");
        assert!(!text.contains("kubernetes-admin") && !text.contains("10.0.0.1"), "{text}");
        assert!(text.contains("current-context: ''") || text.contains("current-context: \"\""), "{text}");
    }

    #[test]
    fn a_file_of_only_this_cluster_goes_and_others_are_untouched() {
        let mut only = ClusterCa::default();
        only.add_pem(OTHER.as_bytes());
        only.add_pem(CA.as_bytes());
        assert_eq!(prune(config().as_bytes(), &only).unwrap().unwrap().content, None);
        let mut none = ClusterCa::default();
        none.add_pem(b"-----BEGIN CERTIFICATE-----\nBwgJ\n-----END CERTIFICATE-----\n");
        assert_eq!(prune(config().as_bytes(), &none).unwrap(), None);
        let by_path = ClusterCa { certs: vec![], paths: vec!["/etc/kubernetes/pki/ca.crt".into()] };
        let file = "clusters:\n- name: k\n  cluster:\n    certificate-authority: /etc/kubernetes/pki/ca.crt\n";
        assert!(prune(file.as_bytes(), &by_path).unwrap().is_some());
    }
}
