//! /var/lib/kubelet/kubeadm-flags.env (kubeadm-facts §4.2): one variable,
//! `KUBELET_KUBEADM_ARGS`, Go-quoted, flags sorted with kubeletExtraArgs winning.

use crate::config::InitSettings;
use crate::manifests::arguments_to_command;

use super::{node_local_cri_socket, NodeFacts};

pub const VARIABLE: &str = "KUBELET_KUBEADM_ARGS";

/// The file's contents for this node.
pub fn render(settings: &InitSettings, node: &dyn NodeFacts) -> String {
    let args = arguments_to_command(&defaults(settings, node), &settings.init.node_registration.kubelet_extra_args);
    format!("{VARIABLE}={}\n", go_quote(&args.join(" ")))
}

/// The flags kubeadm sets for the kubelet before kubeletExtraArgs apply.
fn defaults(settings: &InitSettings, node: &dyn NodeFacts) -> Vec<(String, String)> {
    let info = settings.version_info();
    let reg = &settings.init.node_registration;
    let mut flags = vec![];
    if info.kubelet_flags.container_runtime_remote {
        flags.push(("container-runtime".into(), "remote".into()));
    }
    // With NodeLocalCRISocket the endpoint lives in instance-config.yaml instead.
    if !node_local_cri_socket(settings) {
        flags.push(("container-runtime-endpoint".into(), reg.cri_socket.clone()));
    }
    if info.kubelet_flags.pod_infra_container_image {
        let pause = crate::manifests::image(&settings.cluster.image_repository, "pause", &info.pause);
        flags.push(("pod-infra-container-image".into(), pause));
    }
    // Only when the node name differs from what the kubelet would pick itself.
    let node_name = reg.kubelet_extra_args.get("hostname-override").unwrap_or(&reg.name);
    if node_name != node.hostname() {
        flags.push(("hostname-override".into(), node_name.to_string()));
    }
    flags
}

/// Go's `%q` for the characters a flag list can hold.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
