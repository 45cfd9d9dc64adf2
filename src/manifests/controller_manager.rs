//! kube-controller-manager (kubeadm-facts §3.4).

use std::collections::BTreeMap;

use super::{cert_path, control_plane_image, merge_env, probe, probe_host, Endpoint, Flags, HostPathVolume, Inputs, ProbeKind, StaticPod, Volumes, DIRECTORY_OR_CREATE, FILE_OR_CREATE, KUBERNETES_DIR};
use crate::config::InitSettings;

const NAME: &str = "kube-controller-manager";
const PORT: u16 = 10257;
const DEFAULT_FLEXVOLUME_DIR: &str = "/usr/libexec/kubernetes/kubelet-plugins/volume/exec";

pub(super) fn pod(settings: &InitSettings, inputs: &Inputs<'_>) -> StaticPod {
    let cm = &settings.cluster.controller_manager;
    let kubeconfig = format!("{KUBERNETES_DIR}/controller-manager.conf");
    let mut volumes = Volumes::default();
    volumes.add_ca_certs(settings, inputs.host);
    volumes.add(HostPathVolume::new("k8s-certs", &settings.cluster.certificates_dir, true, DIRECTORY_OR_CREATE));
    volumes.add(HostPathVolume::new("kubeconfig", &kubeconfig, true, FILE_OR_CREATE));
    // The flexvolume plugin dir is the one volume the controller-manager may write.
    let flex = cm.extra_args.get("flex-volume-plugin-dir").unwrap_or(DEFAULT_FLEXVOLUME_DIR);
    volumes.add(HostPathVolume::new("flexvolume-dir", flex, false, DIRECTORY_OR_CREATE));
    volumes.add_extra(&cm.extra_volumes);

    let endpoint = Endpoint { host: probe_host(cm.extra_args.get("bind-address").unwrap_or("127.0.0.1")), port: PORT, scheme: "HTTPS" };
    StaticPod {
        name: NAME,
        image: control_plane_image(settings, NAME),
        command: flags(settings, inputs, &kubeconfig).command(NAME, &cm.extra_args),
        env: merge_env(&inputs.proxy_env, &cm.extra_envs),
        liveness: Some(probe(ProbeKind::Liveness, &endpoint, "/healthz", settings)),
        readiness: None,
        startup: Some(probe(ProbeKind::Startup, &endpoint, "/healthz", settings)),
        requests: serde_json::json!({"cpu": "200m"}),
        mounts: volumes.sorted().into_iter().cloned().collect(),
        volumes,
        annotations: BTreeMap::new(),
    }
}

fn flags(s: &InitSettings, inputs: &Inputs<'_>, kubeconfig: &str) -> Flags {
    let mut f = Flags::default();
    f.set("authentication-kubeconfig", kubeconfig);
    f.set("authorization-kubeconfig", kubeconfig);
    f.set("bind-address", "127.0.0.1");
    f.set("client-ca-file", cert_path(s, "ca.crt"));
    f.set("cluster-name", s.cluster.cluster_name.clone());
    // With an external CA (ca.crt without ca.key) the controller-manager signs nothing.
    let external_ca = inputs.host.exists(&cert_path(s, "ca.crt")) && !inputs.host.exists(&cert_path(s, "ca.key"));
    let (signing_cert, signing_key) = if external_ca { (String::new(), String::new()) } else { (cert_path(s, "ca.crt"), cert_path(s, "ca.key")) };
    f.set("cluster-signing-cert-file", signing_cert);
    f.set("cluster-signing-key-file", signing_key);
    f.set("controllers", "*,bootstrapsigner,tokencleaner");
    f.set("kubeconfig", kubeconfig);
    f.set("leader-elect", "true");
    f.set("requestheader-client-ca-file", cert_path(s, "front-proxy-ca.crt"));
    f.set("root-ca-file", cert_path(s, "ca.crt"));
    f.set("service-account-private-key-file", cert_path(s, "sa.key"));
    f.set("use-service-account-credentials", "true");
    // Node CIDR allocation only when the Pod network's range is known.
    let net = &s.cluster.networking;
    if !net.pod_subnet.is_empty() {
        f.set("allocate-node-cidrs", "true");
        f.set("cluster-cidr", net.pod_subnet.clone());
        if !net.service_subnet.is_empty() {
            f.set("service-cluster-ip-range", net.service_subnet.clone());
        }
    }
    f
}
