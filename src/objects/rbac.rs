//! The RBAC objects of kubeadm-facts §6, built one way for every phase.
//!
//! Groups and users carry `apiGroup: rbac.authorization.k8s.io`, service
//! accounts none, as kubeadm writes them. kubeadm also puts a namespace on the
//! cluster-scoped `kubeadm:get-nodes` ClusterRole, which the API server drops;
//! kubelift leaves it out, so the object applied is the object stored.

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject};

use super::{meta, AnyObject, Behaviour, KUBE_PUBLIC, KUBE_SYSTEM, NODES_GROUP, NODE_BOOTSTRAP_GROUP};

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

pub fn group(name: &str) -> Subject {
    Subject { api_group: Some(RBAC_GROUP.into()), kind: "Group".into(), name: name.into(), namespace: None }
}

pub fn user(name: &str) -> Subject {
    Subject { api_group: Some(RBAC_GROUP.into()), kind: "User".into(), name: name.into(), namespace: None }
}

pub fn service_account_subject(name: &str, namespace: &str) -> Subject {
    Subject { api_group: None, kind: "ServiceAccount".into(), name: name.into(), namespace: Some(namespace.into()) }
}

/// A rule on core (`""`) or named API group resources.
pub fn rule(api_groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(strings(api_groups)),
        resources: Some(strings(resources)),
        verbs: strings(verbs),
        ..Default::default()
    }
}

/// `get` on one named core object, the shape of all of kubeadm's reader Roles.
pub fn get_named(resource: &str, name: &str) -> PolicyRule {
    PolicyRule { resource_names: Some(vec![name.into()]), ..rule(&[""], &[resource], &["get"]) }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn role_ref(kind: &str, name: &str) -> RoleRef {
    RoleRef { api_group: RBAC_GROUP.into(), kind: kind.into(), name: name.into() }
}

pub fn cluster_role(name: &str, rules: Vec<PolicyRule>) -> AnyObject {
    AnyObject::ClusterRole(ClusterRole { metadata: meta(name, None), rules: Some(rules), ..Default::default() })
}

pub fn cluster_role_binding(name: &str, cluster_role: &str, subjects: Vec<Subject>) -> AnyObject {
    AnyObject::ClusterRoleBinding(ClusterRoleBinding {
        metadata: meta(name, None),
        role_ref: role_ref("ClusterRole", cluster_role),
        subjects: Some(subjects),
    })
}

pub fn role(name: &str, namespace: &str, rules: Vec<PolicyRule>) -> AnyObject {
    AnyObject::Role(Role { metadata: meta(name, Some(namespace)), rules: Some(rules) })
}

pub fn role_binding(name: &str, namespace: &str, role: &str, subjects: Vec<Subject>) -> AnyObject {
    AnyObject::RoleBinding(RoleBinding {
        metadata: meta(name, Some(namespace)),
        role_ref: role_ref("Role", role),
        subjects: Some(subjects),
    })
}

pub fn service_account(name: &str, namespace: &str) -> AnyObject {
    AnyObject::ServiceAccount(ServiceAccount { metadata: meta(name, Some(namespace)), ..Default::default() })
}

/// A Role allowing `get` on one object and its RoleBinding of the same name.
fn reader(name: &str, namespace: &str, resource: &str, object: &str, subjects: Vec<Subject>) -> Vec<AnyObject> {
    vec![role(name, namespace, vec![get_named(resource, object)]), role_binding(name, namespace, name, subjects)]
}

/// §6.1–6.4, created by the bootstrap-token phase in kubeadm's order: nodes
/// may be read, bootstrap tokens may post CSRs, which are auto-approved, and
/// nodes may renew their client certificates.
pub fn bootstrap_token_rbac() -> Vec<AnyObject> {
    vec![
        cluster_role("kubeadm:get-nodes", vec![rule(&[""], &["nodes"], &["get"])]),
        cluster_role_binding("kubeadm:get-nodes", "kubeadm:get-nodes", vec![group(NODE_BOOTSTRAP_GROUP)]),
        cluster_role_binding("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", vec![group(NODE_BOOTSTRAP_GROUP)]),
        cluster_role_binding(
            "kubeadm:node-autoapprove-bootstrap",
            "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
            vec![group(NODE_BOOTSTRAP_GROUP)],
        ),
        cluster_role_binding(
            "kubeadm:node-autoapprove-certificate-rotation",
            "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
            vec![group(NODES_GROUP)],
        ),
    ]
}

/// §6.5: anonymous users may read cluster-info (token discovery).
pub fn cluster_info_rbac() -> Vec<AnyObject> {
    let name = "kubeadm:bootstrap-signer-clusterinfo";
    reader(name, KUBE_PUBLIC, "configmaps", "cluster-info", vec![user("system:anonymous")])
}

/// §6.6: joining nodes read the ClusterConfiguration.
pub fn kubeadm_config_rbac() -> Vec<AnyObject> {
    let name = "kubeadm:nodes-kubeadm-config";
    reader(name, KUBE_SYSTEM, "configmaps", "kubeadm-config", vec![group(NODE_BOOTSTRAP_GROUP), group(NODES_GROUP)])
}

/// §6.7: nodes read the kubelet configuration (named per version).
pub fn kubelet_config_rbac(b: &Behaviour) -> Vec<AnyObject> {
    let cm = b.kubelet_config_map_name();
    let name = format!("kubeadm:{cm}");
    reader(&name, KUBE_SYSTEM, "configmaps", &cm, vec![group(NODES_GROUP), group(NODE_BOOTSTRAP_GROUP)])
}

/// §6.8, without the ServiceAccount (kube_proxy.rs creates it first, as kubeadm).
pub fn kube_proxy_rbac() -> Vec<AnyObject> {
    let mut objects =
        vec![cluster_role_binding("kubeadm:node-proxier", "system:node-proxier", vec![service_account_subject("kube-proxy", KUBE_SYSTEM)])];
    objects.extend(reader("kube-proxy", KUBE_SYSTEM, "configmaps", "kube-proxy", vec![group(NODE_BOOTSTRAP_GROUP)]));
    objects
}

/// §6.9: what CoreDNS watches; `get nodes` only until 1.28.
pub fn coredns_rbac(b: &Behaviour) -> Vec<AnyObject> {
    let mut rules = vec![rule(&[""], &["endpoints", "services", "pods", "namespaces"], &["list", "watch"])];
    if b.coredns_reads_nodes() {
        rules.push(rule(&[""], &["nodes"], &["get"]));
    }
    rules.push(rule(&["discovery.k8s.io"], &["endpointslices"], &["list", "watch"]));
    vec![
        cluster_role("system:coredns", rules),
        cluster_role_binding("system:coredns", "system:coredns", vec![service_account_subject("coredns", KUBE_SYSTEM)]),
    ]
}

/// §6.10 (upload-certs only): joining control planes read kubeadm-certs.
pub fn kubeadm_certs_rbac() -> Vec<AnyObject> {
    reader("kubeadm:kubeadm-certs", KUBE_SYSTEM, "secrets", "kubeadm-certs", vec![group(NODE_BOOTSTRAP_GROUP)])
}

/// 1.29+: admin.conf's organization is bound to cluster-admin.
pub fn cluster_admins_binding() -> AnyObject {
    cluster_role_binding("kubeadm:cluster-admins", "cluster-admin", vec![group("kubeadm:cluster-admins")])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(objects: &[AnyObject]) -> Vec<String> {
        objects.iter().map(AnyObject::describe).collect()
    }

    #[test]
    fn kubelet_config_reader_follows_the_config_map_name() {
        assert_eq!(
            names(&kubelet_config_rbac(&Behaviour::minor(24))),
            ["Role kube-system/kubeadm:kubelet-config-1.24", "RoleBinding kube-system/kubeadm:kubelet-config-1.24"]
        );
        assert_eq!(names(&kubelet_config_rbac(&Behaviour::minor(30)))[0], "Role kube-system/kubeadm:kubelet-config");
    }

    #[test]
    fn coredns_stops_reading_nodes_in_1_28() {
        let rules = |minor| match &coredns_rbac(&Behaviour::minor(minor))[0] {
            AnyObject::ClusterRole(r) => r.rules.clone().unwrap().len(),
            other => panic!("{other:?}"),
        };
        assert_eq!((rules(27), rules(28)), (3, 2));
    }

    #[test]
    fn cluster_admins_binding_binds_the_group() {
        let json = cluster_admins_binding().to_json();
        assert_eq!(json["roleRef"]["name"], "cluster-admin");
        assert_eq!(json["subjects"][0]["name"], "kubeadm:cluster-admins");
        assert_eq!(json["subjects"][0]["apiGroup"], "rbac.authorization.k8s.io");
    }
}
