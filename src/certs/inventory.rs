//! Which certificates a control-plane node has, kubeadm's renewal manager's
//! list: names, files, signing CA, and the components that read them.

use super::{CertsSettings, KUBERNETES_DIR};
use crate::engine::WriteGate;

/// One of the cluster's CAs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaInfo {
    /// kubeadm's name (`etcd-ca`).
    pub name: &'static str,
    /// File base name under the certificates dir (`etcd/ca`).
    pub base: &'static str,
}

/// kubeadm's CAs, sorted by name as `check-expiration` lists them.
pub const CAS: [CaInfo; 3] = [
    CaInfo { name: "ca", base: "ca" },
    CaInfo { name: "etcd-ca", base: "etcd/ca" },
    CaInfo { name: "front-proxy-ca", base: "front-proxy-ca" },
];

const CA: CaInfo = CAS[0];
const ETCD_CA: CaInfo = CAS[1];
const FRONT_PROXY_CA: CaInfo = CAS[2];

/// Where an item's certificate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `<certificatesDir>/<base>.crt` with `<base>.key`.
    Pki { base: &'static str },
    /// The client certificate embedded in `/etc/kubernetes/<file>`.
    Kubeconfig { file: &'static str },
}

/// A certificate `check-expiration` lists and `renew` reissues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    /// kubeadm's name: `apiserver`, or the file name for kubeconfigs (`admin.conf`).
    pub name: &'static str,
    /// kubeadm's long name, used in "<long name> renewed".
    pub long_name: &'static str,
    pub ca: CaInfo,
    pub source: Source,
    /// Static Pods that load it at start and must restart to use a renewed one.
    pub read_by: &'static [&'static str],
}

impl Item {
    /// The host file that holds the certificate.
    pub fn file(&self, s: &CertsSettings) -> String {
        match self.source {
            Source::Pki { base } => s.cert_path(base),
            Source::Kubeconfig { file } => format!("{KUBERNETES_DIR}/{file}"),
        }
    }

    fn is_etcd(&self) -> bool {
        self.ca == ETCD_CA
    }
}

const APISERVER: &[&str] = &["kube-apiserver"];
const ETCD: &[&str] = &["etcd"];

const fn pki(name: &'static str, base: &'static str, ca: CaInfo, long_name: &'static str, read_by: &'static [&'static str]) -> Item {
    Item { name, long_name, ca, source: Source::Pki { base }, read_by }
}

const fn kubeconfig(file: &'static str, long_name: &'static str, read_by: &'static [&'static str]) -> Item {
    Item { name: file, long_name, ca: CA, source: Source::Kubeconfig { file }, read_by }
}

/// Every item kubeadm knows, sorted by name (kubeadm sorts them so).
/// The etcd health-check client is read by people and probes with etcdctl,
/// not by a long-running process, so nothing restarts for it.
const ALL: [Item; 11] = [
    kubeconfig("admin.conf", "certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself", &[]),
    pki("apiserver", "apiserver", CA, "certificate for serving the Kubernetes API", APISERVER),
    pki("apiserver-etcd-client", "apiserver-etcd-client", ETCD_CA, "certificate the apiserver uses to access etcd", APISERVER),
    pki("apiserver-kubelet-client", "apiserver-kubelet-client", CA, "certificate for the API server to connect to kubelet", APISERVER),
    kubeconfig("controller-manager.conf", "certificate embedded in the kubeconfig file for the controller manager to use", &["kube-controller-manager"]),
    pki("etcd-healthcheck-client", "etcd/healthcheck-client", ETCD_CA, "certificate for liveness probes to healthcheck etcd", &[]),
    pki("etcd-peer", "etcd/peer", ETCD_CA, "certificate for etcd nodes to communicate with each other", ETCD),
    pki("etcd-server", "etcd/server", ETCD_CA, "certificate for serving etcd", ETCD),
    pki("front-proxy-client", "front-proxy-client", FRONT_PROXY_CA, "certificate for the front proxy client", APISERVER),
    kubeconfig("scheduler.conf", "certificate embedded in the kubeconfig file for the scheduler manager to use", &["kube-scheduler"]),
    kubeconfig("super-admin.conf", "certificate embedded in the kubeconfig file for the super-admin", &[]),
];

/// The items of this node: etcd certificates with local etcd only,
/// super-admin.conf where the version has it.
///
/// Without a config, local etcd is evident from the etcd CA or the etcd
/// static Pod on disk, and super-admin.conf is listed when it exists.
pub fn items(gate: &WriteGate, s: &CertsSettings) -> Vec<Item> {
    let local_etcd = match s.external_etcd {
        Some(external) => !external,
        None => gate.exists(&s.cert_path(ETCD_CA.base)) || gate.exists(&format!("{KUBERNETES_DIR}/manifests/etcd.yaml")),
    };
    let super_admin = s.super_admin.unwrap_or_else(|| gate.exists(&format!("{KUBERNETES_DIR}/super-admin.conf")));
    ALL.iter()
        .filter(|i| local_etcd || !i.is_etcd())
        .filter(|i| super_admin || i.name != "super-admin.conf")
        .copied()
        .collect()
}

/// The CAs of this node (the etcd CA with local etcd only).
pub fn cas(gate: &WriteGate, s: &CertsSettings) -> Vec<CaInfo> {
    let has_etcd = items(gate, s).iter().any(Item::is_etcd);
    CAS.iter().filter(|ca| has_etcd || **ca != ETCD_CA).copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_sorted_by_name_and_names_are_kubeadms() {
        let names: Vec<_> = ALL.iter().map(|i| i.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        // Every certs-phase leaf is here under its phase name and file.
        for (name, base, _) in crate::phases::certs::CERTS.iter().filter(|(n, _, _)| *n != "sa" && !n.ends_with("ca")) {
            let item = ALL.iter().find(|i| i.name == *name).unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!(item.source, Source::Pki { base });
        }
    }

    #[test]
    fn external_etcd_and_old_versions_shrink_the_list() {
        let root = tempfile::tempdir().unwrap();
        let gate = WriteGate::apply(root.path(), "certs").unwrap();
        let mut s = CertsSettings::defaults(None);
        s.external_etcd = Some(true);
        s.super_admin = Some(false);
        let names: Vec<_> = items(&gate, &s).iter().map(|i| i.name).collect();
        assert_eq!(names, ["admin.conf", "apiserver", "apiserver-kubelet-client", "controller-manager.conf", "front-proxy-client", "scheduler.conf"]);
        assert_eq!(cas(&gate, &s).iter().map(|c| c.name).collect::<Vec<_>>(), ["ca", "front-proxy-ca"]);
        // Without a config, an etcd CA on disk means local etcd.
        let s = CertsSettings::defaults(None);
        assert!(!items(&gate, &s).iter().any(|i| i.name == "etcd-server"));
        std::fs::create_dir_all(root.path().join("etc/kubernetes/pki/etcd")).unwrap();
        std::fs::write(root.path().join("etc/kubernetes/pki/etcd/ca.crt"), "x").unwrap();
        assert!(items(&gate, &s).iter().any(|i| i.name == "etcd-server"));
        assert_eq!(items(&gate, &s).len(), 10);
    }
}
