//! `mark-control-plane` (kubeadm-facts §8): the labels and taints kubeadm
//! puts on a control-plane Node, as a pure function over the Node.
//!
//! kubeadm reads the Node, adds its labels and the taints not already there
//! (same key and effect), and patches the difference; taints the node
//! already has are kept. `marked_node` is that mutation, `patch` the JSON
//! merge patch to send (a merge patch replaces the whole taint list, so it
//! carries the union).

use k8s_openapi::api::core::v1::{Node, NodeSpec, Taint};
use serde_json::{json, Value};
use std::collections::BTreeMap;

use super::{Behaviour, ObjectError};
use crate::config::InitSettings;

/// The labels, each with the empty value kubeadm gives them.
pub fn labels(b: &Behaviour) -> BTreeMap<String, String> {
    b.control_plane_labels().iter().map(|l| (l.to_string(), String::new())).collect()
}

/// `nodeRegistration.taints` when set (`[]` means none), else the version's default.
pub fn taints(s: &InitSettings, b: &Behaviour) -> Result<Vec<Taint>, ObjectError> {
    let configured = match &s.init.node_registration.taints {
        Some(t) => t.clone(),
        None => b.default_control_plane_taints(),
    };
    configured.iter().map(to_api_taint).collect()
}

fn to_api_taint(t: &crate::config::Taint) -> Result<Taint, ObjectError> {
    let mut json = json!({"key": t.key, "effect": t.effect});
    if !t.value.is_empty() {
        json["value"] = t.value.clone().into();
    }
    if let Some(at) = &t.time_added {
        json["timeAdded"] = at.clone().into();
    }
    serde_json::from_value(json).map_err(|e| ObjectError::Invalid { what: format!("taint {:?}", t.key), why: e.to_string() })
}

fn same_taint(a: &Taint, b: &Taint) -> bool {
    a.key == b.key && a.effect == b.effect
}

/// The Node after kubeadm's mark-control-plane.
pub fn marked_node(node: &Node, s: &InitSettings, b: &Behaviour) -> Result<Node, ObjectError> {
    let mut n = node.clone();
    n.metadata.labels.get_or_insert_with(BTreeMap::new).extend(labels(b));
    let spec = n.spec.get_or_insert_with(NodeSpec::default);
    let existing = spec.taints.get_or_insert_with(Vec::new);
    for t in taints(s, b)? {
        if !existing.iter().any(|e| same_taint(e, &t)) {
            existing.push(t);
        }
    }
    if existing.is_empty() {
        spec.taints = None;
    }
    Ok(n)
}

/// A JSON merge patch from `node` to `marked_node(node)`: the labels, and
/// the full taint list when it grows.
pub fn patch(node: &Node, s: &InitSettings, b: &Behaviour) -> Result<Value, ObjectError> {
    let marked = marked_node(node, s, b)?;
    let mut patch = json!({"metadata": {"labels": labels(b)}});
    let before = node.spec.as_ref().and_then(|sp| sp.taints.as_ref()).map_or(0, Vec::len);
    let after = marked.spec.as_ref().and_then(|sp| sp.taints.clone()).unwrap_or_default();
    if after.len() != before {
        patch["spec"] = json!({"taints": after});
    }
    Ok(patch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HostDefaults;

    fn settings(extra: &str) -> InitSettings {
        let text = format!("apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\n{extra}");
        InitSettings::parse(&text, "test").unwrap().resolve(&HostDefaults::placeholder()).unwrap()
    }

    fn node_with_taint(key: &str) -> Node {
        serde_json::from_value(json!({"metadata": {"name": "cp1"}, "spec": {"taints": [{"key": key, "effect": "NoExecute"}]}})).unwrap()
    }

    #[test]
    fn taints_per_version_keep_existing_ones() {
        let s = settings("");
        let keys = |minor| -> Vec<String> {
            let n = marked_node(&node_with_taint("node.kubernetes.io/unreachable"), &s, &Behaviour::minor(minor)).unwrap();
            n.spec.unwrap().taints.unwrap().into_iter().map(|t| t.key).collect()
        };
        assert_eq!(keys(24), ["node.kubernetes.io/unreachable", "node-role.kubernetes.io/master"]);
        assert_eq!(keys(25), ["node.kubernetes.io/unreachable", "node-role.kubernetes.io/control-plane"]);
    }

    #[test]
    fn empty_taint_list_means_none() {
        let s = settings("nodeRegistration:\n  taints: []\n");
        let node: Node = serde_json::from_value(json!({"metadata": {"name": "cp1"}})).unwrap();
        let p = patch(&node, &s, &Behaviour::minor(30)).unwrap();
        assert!(p.get("spec").is_none());
        assert_eq!(p["metadata"]["labels"]["node-role.kubernetes.io/control-plane"], "");
    }

    #[test]
    fn patch_is_idempotent_on_taints() {
        let s = settings("");
        let b = Behaviour::minor(30);
        let node = marked_node(&node_with_taint("x"), &s, &b).unwrap();
        assert!(patch(&node, &s, &b).unwrap().get("spec").is_none());
    }
}
