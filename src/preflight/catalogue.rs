//! The check catalogue (assets/preflight-checks.yaml): names, severities,
//! why each check matters and how to fix it. Kept as data so the texts are in
//! one place, documented in docs/preflight.md and checked by a unit test.

use serde::Deserialize;
use std::sync::OnceLock;

use crate::engine::event::Severity;

const TABLE: &str = include_str!("../../assets/preflight-checks.yaml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Flow {
    #[serde(rename = "init")]
    Init,
    #[serde(rename = "join")]
    Join,
    #[serde(rename = "join-control-plane")]
    JoinControlPlane,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub id: String,
    /// The printed name; `{arg}` stands for the port, path or program.
    pub name: String,
    pub kubeadm: bool,
    pub severity: Severity,
    pub workflows: Vec<Flow>,
    pub why: String,
    pub fix: String,
    #[serde(default)]
    pub autofix: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    checks: Vec<Spec>,
}

/// Every check family, in the order the report lists them.
pub fn all() -> &'static [Spec] {
    static PARSED: OnceLock<Vec<Spec>> = OnceLock::new();
    PARSED.get_or_init(|| {
        let table: Table = serde_yaml::from_str(TABLE).expect("assets/preflight-checks.yaml is checked by a unit test");
        table.checks
    })
}

/// The family `id`. Ids are compile-time constants in the check code, and a
/// unit test runs every check, so a missing id cannot reach a user.
pub fn spec(id: &str) -> &'static Spec {
    all().iter().find(|s| s.id == id).unwrap_or_else(|| panic!("check family {id} is missing from assets/preflight-checks.yaml"))
}

/// kubeadm's name for a path-derived check: every `/` becomes `-`.
pub fn path_arg(path: &str) -> String {
    path.replace('/', "-")
}

impl Spec {
    /// The concrete name for one instance (`Port-6443`).
    pub fn name_for(&self, arg: Option<&str>) -> String {
        match arg {
            Some(a) => self.name.replace("{arg}", a),
            None => self.name.clone(),
        }
    }

    /// The fix text with the instance's argument (and package) filled in.
    pub fn fix_for(&self, arg: Option<&str>) -> String {
        let arg = arg.unwrap_or("");
        self.fix.replace("{package}", package_of(arg)).replace("{arg}", arg)
    }
}

/// The distro package that ships a program, for the fix text.
pub fn package_of(program: &str) -> &'static str {
    match program {
        "conntrack" => "conntrack on Debian/Ubuntu, conntrack-tools on RHEL/Fedora",
        "crictl" => "cri-tools",
        "socat" => "socat",
        "ip" => "iproute2, or iproute on RHEL/Fedora",
        "tc" => "iproute2, or iproute-tc on RHEL/Fedora",
        "iptables" => "iptables",
        "mount" | "nsenter" => "util-linux (mount on Debian/Ubuntu)",
        "ebtables" => "ebtables",
        "ethtool" => "ethtool",
        "touch" => "coreutils",
        "kubelet" => "kubelet, from the pkgs.k8s.io repository",
        _ => "that provides it",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_parses_with_unique_ids_and_texts() {
        let all = all();
        assert!(all.len() >= 30);
        let mut ids: Vec<_> = all.iter().map(|s| s.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len(), "ids are unique");
        for s in all {
            assert!(!s.why.is_empty() && !s.fix.is_empty(), "{} has why and fix", s.id);
            assert!(!s.workflows.is_empty(), "{} runs somewhere", s.id);
            assert!(s.why.ends_with('.') && s.fix.ends_with('.'), "{} texts are sentences", s.id);
        }
    }

    #[test]
    fn names_follow_kubeadm() {
        assert_eq!(spec("Port").name_for(Some("6443")), "Port-6443");
        let arg = path_arg("/etc/kubernetes/manifests/etcd.yaml");
        assert_eq!(spec("FileAvailable").name_for(Some(&arg)), "FileAvailable--etc-kubernetes-manifests-etcd.yaml");
        assert!(spec("FileExistingRequired").fix_for(Some("conntrack")).contains("conntrack-tools"));
    }
}
