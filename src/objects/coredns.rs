//! `addon/coredns` (kubeadm-facts §6.9a): the Corefile, RBAC, ServiceAccount,
//! Deployment and the kube-dns Service, from the templates in assets/addons/
//! with the per-version changes of `Behaviour` applied to the typed objects.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{
    Affinity, ConfigMap, ContainerPort, PodAffinityTerm, PodAntiAffinity, Service, WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::behaviour::LABEL_MASTER;
use super::{from_asset, image, meta, rbac, string_map, AnyObject, Behaviour, ObjectError, KUBE_SYSTEM};
use crate::config::InitSettings;

const COREFILE: &str = include_str!("../../assets/addons/Corefile");
const DEPLOYMENT: &str = include_str!("../../assets/addons/coredns-deployment.yaml");
const SERVICE: &str = include_str!("../../assets/addons/coredns-service.yaml");

/// kubeadm's replica count for a new Deployment (a re-apply keeps the
/// cluster's count: the phase passes the existing one).
pub const DEFAULT_REPLICAS: i32 = 2;

/// The objects in kubeadm's order: ConfigMap, ClusterRole, ClusterRoleBinding,
/// ServiceAccount, Deployment, Service.
pub fn objects(s: &InitSettings, b: &Behaviour, replicas: i32) -> Result<Vec<AnyObject>, ObjectError> {
    let mut objects = vec![AnyObject::ConfigMap(config_map(s, b))];
    objects.extend(rbac::coredns_rbac(b));
    objects.push(rbac::service_account("coredns", KUBE_SYSTEM));
    objects.push(AnyObject::Deployment(deployment(s, b, replicas)));
    objects.push(AnyObject::Service(service(s)?));
    Ok(objects)
}

pub fn corefile(s: &InitSettings, b: &Behaviour) -> String {
    let domain = &s.cluster.networking.dns_domain;
    let cache_block = if b.coredns_cache_skips_cluster_domain() {
        format!(" {{\n       disable success {domain}\n       disable denial {domain}\n    }}")
    } else {
        String::new()
    };
    COREFILE.replace("{{ .DNSDomain }}", domain).replace("{{ .CacheBlock }}", &cache_block)
}

pub fn config_map(s: &InitSettings, b: &Behaviour) -> ConfigMap {
    ConfigMap {
        metadata: meta("coredns", Some(KUBE_SYSTEM)),
        data: Some(string_map(&[("Corefile", &corefile(s, b))])),
        ..Default::default()
    }
}

/// kubeadm's `GetDNSImage`: `dns.imageRepository` or the cluster's; that
/// kubeadm's default registry hosts CoreDNS under `coredns/` (a mirror does not); `dns.imageTag` or the
/// CoreDNS release of that Kubernetes minor.
pub fn image_name(s: &InitSettings) -> String {
    let info = s.version_info();
    let dns = &s.cluster.dns;
    let mut repository = if dns.image_repository.is_empty() { s.cluster.image_repository.clone() } else { dns.image_repository.clone() };
    if repository == info.image_repository {
        repository.push_str("/coredns");
    }
    let tag = if dns.image_tag.is_empty() { info.coredns.clone() } else { dns.image_tag.clone() };
    image(&repository, "coredns", &tag)
}

pub fn deployment(s: &InitSettings, b: &Behaviour, replicas: i32) -> Deployment {
    let mut d: Deployment = from_asset("coredns-deployment.yaml", DEPLOYMENT);
    let spec = d.spec.as_mut().expect("the template has a spec");
    spec.replicas = Some(replicas);
    let pod = spec.template.spec.as_mut().expect("the template has a pod spec");
    if b.coredns_anti_affinity() {
        pod.affinity = Some(anti_affinity());
    }
    if !b.coredns_tolerates_master() {
        if let Some(t) = &mut pod.tolerations {
            t.retain(|t| t.key.as_deref() != Some(LABEL_MASTER));
        }
    }
    let c = &mut pod.containers[0];
    c.image = Some(image_name(s));
    if let Some(caps) = c.security_context.as_mut().and_then(|sc| sc.capabilities.as_mut()) {
        caps.drop = Some(vec![b.coredns_drop_capability().into()]);
    }
    if b.coredns_named_probe_ports() {
        let ports = c.ports.get_or_insert_with(Vec::new);
        for (port, name) in [(8080, "liveness-probe"), (8181, "readiness-probe")] {
            ports.push(ContainerPort { container_port: port, name: Some(name.into()), protocol: Some("TCP".into()), ..Default::default() });
        }
        for (probe, name) in [(&mut c.liveness_probe, "liveness-probe"), (&mut c.readiness_probe, "readiness-probe")] {
            if let Some(get) = probe.as_mut().and_then(|p| p.http_get.as_mut()) {
                get.port = IntOrString::String(name.into());
            }
        }
    }
    d
}

/// Prefer spreading replicas over nodes; "preferred", so that a one-node
/// cluster still runs both.
fn anti_affinity() -> Affinity {
    let selector = LabelSelector {
        match_expressions: Some(vec![LabelSelectorRequirement {
            key: "k8s-app".into(),
            operator: "In".into(),
            values: Some(vec!["kube-dns".into()]),
        }]),
        ..Default::default()
    };
    Affinity {
        pod_anti_affinity: Some(PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(vec![WeightedPodAffinityTerm {
                weight: 100,
                pod_affinity_term: PodAffinityTerm {
                    label_selector: Some(selector),
                    topology_key: "kubernetes.io/hostname".into(),
                    ..Default::default()
                },
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// `kube-dns` at the tenth address of the first service subnet.
pub fn service(s: &InitSettings) -> Result<Service, ObjectError> {
    let ip = s.dns_service_ip().ok_or_else(|| ObjectError::NoDnsIp(s.cluster.networking.service_subnet.clone()))?;
    let mut svc: Service = from_asset("coredns-service.yaml", SERVICE);
    svc.spec.as_mut().expect("the template has a spec").cluster_ip = Some(ip.to_string());
    Ok(svc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HostDefaults;

    fn settings(version: &str) -> InitSettings {
        let text = format!("apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nkubernetesVersion: {version}\n");
        InitSettings::parse(&text, "test").unwrap().resolve(&HostDefaults::placeholder()).unwrap()
    }

    fn pod_json(version: &str, minor: u32) -> serde_json::Value {
        let d = deployment(&settings(version), &Behaviour::minor(minor), 2);
        serde_json::to_value(d).unwrap()["spec"]["template"]["spec"].clone()
    }

    #[test]
    fn tolerations_per_version() {
        let keys = |v: serde_json::Value| -> Vec<String> {
            v["tolerations"].as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap().to_string()).collect()
        };
        assert_eq!(keys(pod_json("v1.24.0", 24)), ["CriticalAddonsOnly", LABEL_MASTER, "node-role.kubernetes.io/control-plane"]);
        assert_eq!(keys(pod_json("v1.25.0", 25)).len(), 3);
        assert_eq!(keys(pod_json("v1.26.0", 26)), ["CriticalAddonsOnly", "node-role.kubernetes.io/control-plane"]);
    }

    #[test]
    fn newer_deployments() {
        let old = pod_json("v1.24.0", 24);
        assert!(old.get("affinity").is_none());
        let new = pod_json("v1.34.0", 34);
        assert_eq!(new["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["weight"], 100);
        let c = &new["containers"][0];
        assert_eq!(c["securityContext"]["capabilities"]["drop"][0], "ALL");
        assert_eq!(c["livenessProbe"]["httpGet"]["port"], "liveness-probe");
        assert_eq!(c["ports"].as_array().unwrap().len(), 5);
        assert_eq!(c["image"], "registry.k8s.io/coredns/coredns:v1.12.1");
    }

    #[test]
    fn corefile_skips_caching_the_cluster_domain_from_1_32() {
        let s = settings("v1.32.0");
        assert!(!corefile(&s, &Behaviour::minor(31)).contains("disable"));
        assert!(corefile(&s, &Behaviour::minor(32)).contains(
            "    cache 30 {\n       disable success cluster.local\n       disable denial cluster.local\n    }\n    loop\n"
        ));
    }

    #[test]
    fn image_overrides() {
        let mut s = settings("v1.24.0");
        assert_eq!(image_name(&s), "k8s.gcr.io/coredns/coredns:v1.8.6");
        s.cluster.image_repository = "mirror.example/k8s".into();
        assert_eq!(image_name(&s), "mirror.example/k8s/coredns:v1.8.6");
        s.cluster.dns.image_tag = "v1.9.9".into();
        s.cluster.dns.image_repository = "other.example".into();
        assert_eq!(image_name(&s), "other.example/coredns:v1.9.9");
    }
}
