//! kube-scheduler (kubeadm-facts §3.5).

use std::collections::BTreeMap;

use super::{control_plane_image, merge_env, probe, probe_host, Endpoint, Flags, HostPathVolume, Inputs, ProbeKind, StaticPod, Volumes, FILE_OR_CREATE, KUBERNETES_DIR};
use crate::config::InitSettings;

const NAME: &str = "kube-scheduler";
const PORT: u16 = 10259;

pub(super) fn pod(settings: &InitSettings, inputs: &Inputs<'_>) -> StaticPod {
    let sched = &settings.cluster.scheduler;
    let kubeconfig = format!("{KUBERNETES_DIR}/scheduler.conf");
    let mut volumes = Volumes::default();
    volumes.add(HostPathVolume::new("kubeconfig", &kubeconfig, true, FILE_OR_CREATE));
    volumes.add_extra(&sched.extra_volumes);

    let mut f = Flags::default();
    f.set("authentication-kubeconfig", kubeconfig.as_str());
    f.set("authorization-kubeconfig", kubeconfig.as_str());
    f.set("bind-address", "127.0.0.1");
    f.set("kubeconfig", kubeconfig.as_str());
    f.set("leader-elect", "true");

    let endpoint = Endpoint { host: probe_host(sched.extra_args.get("bind-address").unwrap_or("127.0.0.1")), port: PORT, scheme: "HTTPS" };
    StaticPod {
        name: NAME,
        image: control_plane_image(settings, NAME),
        command: f.command(NAME, &sched.extra_args),
        env: merge_env(&inputs.proxy_env, &sched.extra_envs),
        liveness: Some(probe(ProbeKind::Liveness, &endpoint, "/healthz", settings)),
        readiness: None,
        startup: Some(probe(ProbeKind::Startup, &endpoint, "/healthz", settings)),
        requests: serde_json::json!({"cpu": "100m"}),
        mounts: volumes.sorted().into_iter().cloned().collect(),
        volumes,
        annotations: BTreeMap::new(),
    }
}
