//! This node's etcd member, removed before the node is wiped (kubeadm's
//! `remove-etcd-member`), through the membership client of
//! [`crate::cluster::etcd`] with the `healthcheck-client` certificate kubeadm
//! keeps next to the etcd CA for probes.

use crate::cluster::etcd::Member;

/// kubeadm's etcd listens for clients on loopback as well as on the node's address.
pub const LOCAL_ENDPOINT: &str = "https://127.0.0.1:2379";

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

/// This node's member: by peer URL (what kubeadm matches), else by name.
pub fn this_member<'a>(members: &'a [Member], local: &LocalEtcd) -> Option<&'a Member> {
    members
        .iter()
        .find(|m| m.peer_urls.iter().any(|u| local.peer_urls.contains(u)))
        .or_else(|| members.iter().find(|m| !local.name.is_empty() && m.name == local.name))
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

    fn member(id: &str, name: &str, peer: &[&str]) -> Member {
        Member { id: id.into(), name: name.into(), peer_urls: peer.iter().map(|u| u.to_string()).collect(), client_urls: vec![] }
    }

    #[test]
    fn members_by_peer_url_then_name() {
        let members = [member("b", "cp2", &["https://10.0.0.3:2380"]), member("aaaa", "other", &["https://10.211.0.2:2380"])];
        let local = from_manifest(MANIFEST.as_bytes()).unwrap();
        assert_eq!(this_member(&members, &local).unwrap().id, "aaaa", "the peer URL wins over the name");
        let by_name = [member("5", "cp1", &[])];
        assert_eq!(this_member(&by_name, &local).unwrap().id, "5");
        assert!(this_member(&[member("6", "cp9", &["https://10.0.0.9:2380"])], &local).is_none());
    }
}
