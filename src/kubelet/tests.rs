//! kubeadm-flags.env and config.yaml per version, overrides and the resolvConf rule.

use super::*;
use crate::config::{HostDefaults, InitSettings};
use crate::manifests::PathSet;

const CONFIG: &str = "\
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 10.0.0.5
nodeRegistration:
  name: cp1
  criSocket: unix:///run/containerd/containerd.sock
EXTRA_NODE---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: VERSION
";

fn settings_with(version: &str, extra_node: &str, extra_docs: &str) -> InitSettings {
    let text = CONFIG.replace("VERSION", version).replace("EXTRA_NODE", extra_node) + extra_docs;
    InitSettings::parse(&text, "test").unwrap().resolve(&HostDefaults::placeholder()).unwrap()
}

fn node(hostname: &str, resolved: bool) -> FixedNode {
    FixedNode { hostname: hostname.into(), systemd_resolved_active: resolved }
}

fn flags_of(version: &str) -> String {
    flags::render(&settings_with(version, "", ""), &node("cp1", false))
}

#[test]
fn flags_differ_per_version() {
    assert_eq!(
        flags_of("v1.24.0"),
        "KUBELET_KUBEADM_ARGS=\"--container-runtime=remote --container-runtime-endpoint=unix:///run/containerd/containerd.sock --pod-infra-container-image=k8s.gcr.io/pause:3.6\"\n"
    );
    assert_eq!(
        flags_of("v1.25.0"),
        "KUBELET_KUBEADM_ARGS=\"--container-runtime=remote --container-runtime-endpoint=unix:///run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.8\"\n"
    );
    assert_eq!(
        flags_of("v1.29.0"),
        "KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.9\"\n"
    );
    assert_eq!(
        flags_of("v1.31.0"),
        "KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.10\"\n"
    );
    // v1.34: the endpoint moves to instance-config.yaml; v1.35 drops the pause flag.
    assert_eq!(flags_of("v1.34.0"), "KUBELET_KUBEADM_ARGS=\"--pod-infra-container-image=registry.k8s.io/pause:3.10.1\"\n");
    assert_eq!(flags_of(&crate::versions::newest().release), "KUBELET_KUBEADM_ARGS=\"\"\n");
}

#[test]
fn kubelet_extra_args_override_and_hostname_override() {
    let s = settings_with("v1.31.0", "  kubeletExtraArgs:\n  - {name: pod-infra-container-image, value: my/pause:1}\n  - {name: node-ip, value: 10.0.0.5}\n", "");
    let text = flags::render(&s, &node("other-host", false));
    assert_eq!(
        text,
        "KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///run/containerd/containerd.sock --hostname-override=cp1 --node-ip=10.0.0.5 --pod-infra-container-image=my/pause:1\"\n"
    );
    assert_eq!(flags::go_quote("a \"b\" \\c"), "\"a \\\"b\\\" \\\\c\"");
}

fn config_of(s: &InitSettings, resolved: bool) -> (serde_yaml::Value, Vec<String>) {
    let mut warnings = vec![];
    let text = config::render(s, &node("cp1", resolved), &mut warnings).unwrap();
    (serde_yaml::from_str(&text).unwrap(), warnings)
}

#[test]
fn config_fields_differ_per_version() {
    let (c124, _) = config_of(&settings_with("v1.24.0", "", ""), false);
    assert!(c124.get("containerRuntimeEndpoint").is_none());
    let (c129, _) = config_of(&settings_with("v1.29.0", "", ""), false);
    assert_eq!(c129["containerRuntimeEndpoint"], "");
    assert_eq!(c129["imageMaximumGCAge"], "0s");
    assert!(c129["logging"]["options"].get("text").is_none());
    let (c131, _) = config_of(&settings_with("v1.31.0", "", ""), false);
    assert_eq!(c131["logging"]["options"]["text"]["infoBufferSize"], "0");
    assert_eq!(c131["logging"]["options"]["json"]["infoBufferSize"], "0");
    let (newest, _) = config_of(&settings_with(&crate::versions::newest().release, "", ""), false);
    assert_eq!(newest["containerRuntimeEndpoint"], "unix:///run/containerd/containerd.sock");
}

#[test]
fn resolv_conf_only_with_systemd_resolved() {
    let s = settings_with("v1.31.0", "", "");
    assert!(config_of(&s, false).0.get("resolvConf").is_none());
    assert_eq!(config_of(&s, true).0["resolvConf"], config::SYSTEMD_RESOLVED_CONF);
    let user = "---\napiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nresolvConf: /etc/my-resolv.conf\n";
    assert_eq!(config_of(&settings_with("v1.31.0", "", user), true).0["resolvConf"], "/etc/my-resolv.conf");
}

#[test]
fn user_kubelet_configuration_is_merged_over() {
    let user = "---\napiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: cgroupfs\nmaxPods: 50\nshutdownGracePeriod: 5m\nrotateCertificates: false\nauthentication:\n  webhook:\n    cacheTTL: 2m\nclusterDomain: example.org\n";
    let (c, warnings) = config_of(&settings_with("v1.31.0", "", user), false);
    assert_eq!(c["cgroupDriver"], "cgroupfs");
    assert_eq!(c["maxPods"], 50);
    assert_eq!(c["shutdownGracePeriod"], "5m0s");
    assert_eq!(c["rotateCertificates"], true, "kubeadm forces certificate rotation");
    assert_eq!(c["authentication"]["webhook"]["cacheTTL"], "2m0s");
    assert_eq!(c["authentication"]["webhook"]["enabled"], true, "sibling defaults survive the merge");
    assert_eq!(c["apiVersion"], "kubelet.config.k8s.io/v1beta1");
    assert_eq!(warnings, ["The recommended value for \"clusterDomain\" in \"KubeletConfiguration\" is: cluster.local; the provided value is: example.org"]);
}

#[test]
fn instance_config_and_dropin() {
    let s = settings_with("v1.34.0", "", "");
    let host = PathSet::of(&["/usr/bin/kubelet"]);
    let (files, _) = files(&s, &node("cp1", false), &host).unwrap();
    let paths: Vec<_> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [KUBELET_FLAGS_ENV, KUBELET_INSTANCE_CONFIG, KUBELET_CONFIG, "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf"]
    );
    assert_eq!(files[1].contents, "containerRuntimeEndpoint: \"unix:///run/containerd/containerd.sock\"\n");
    assert!(files[3].contents.contains("ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS"));
    assert_eq!(planned_paths(&s, &host).iter().map(|p| p.0).collect::<Vec<_>>(), paths);
    // A packaged drop-in is left alone; the gate can switch NodeLocalCRISocket off.
    let packaged = PathSet::of(&["/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"]);
    let off = settings_with("v1.34.0", "", "featureGates:\n  NodeLocalCRISocket: false\n");
    let (files, _) = super::files(&off, &node("cp1", false), &packaged).unwrap();
    assert_eq!(files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), [KUBELET_FLAGS_ENV, KUBELET_CONFIG]);
    assert!(files[0].contents.contains("--container-runtime-endpoint="));
}
