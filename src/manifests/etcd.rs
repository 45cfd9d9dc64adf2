//! etcd, a stacked member on this node (kubeadm-facts §3.6; per-version probes
//! and flags from the version table).

use std::collections::BTreeMap;

use super::{cert_path, image, merge_env, probe, Endpoint, Flags, HostPathVolume, ManifestError, ProbeKind, StaticPod, Volumes, DIRECTORY_OR_CREATE};
use crate::config::{join_host_port, InitSettings, LocalEtcd};
use crate::versions::EtcdProbes;

const NAME: &str = "etcd";
pub const ADVERTISE_CLIENT_URLS_ANNOTATION: &str = "kubeadm.kubernetes.io/etcd.advertise-client-urls";
const CLIENT_PORT: u16 = 2379;
const PEER_PORT: u16 = 2380;
const METRICS_PORT: u16 = 2381;

/// The local etcd's data directory, or None when etcd is external.
pub fn data_dir(settings: &InitSettings) -> Option<&str> {
    settings.cluster.etcd.local.as_ref().map(|l| l.data_dir.as_str())
}

/// How this member starts: the first of a new cluster, or one joining an
/// existing cluster whose members (name, peer URL) it lists, itself included.
#[derive(Debug, Clone, Copy)]
pub enum Membership<'a> {
    New,
    Join(&'a [(String, String)]),
}

pub(super) fn pod(settings: &InitSettings, membership: Membership<'_>) -> Result<StaticPod, ManifestError> {
    let local = settings.cluster.etcd.local.as_ref().ok_or_else(|| ManifestError {
        component: NAME,
        message: "etcd is external (etcd.external is set), so there is no local etcd to run".into(),
        fix: "skip the etcd/local phase, or remove etcd.external from ClusterConfiguration".into(),
    })?;
    let advertise = settings.advertise_address().ok_or_else(|| ManifestError {
        component: NAME,
        message: format!("localAPIEndpoint.advertiseAddress {:?} is not an IP address", settings.init.local_api_endpoint.advertise_address),
        fix: "set InitConfiguration localAPIEndpoint.advertiseAddress to this node's IP".into(),
    })?;
    let ipv6 = advertise.is_ipv6();
    let addr = advertise.to_string();
    let loopback = if ipv6 { "::1" } else { "127.0.0.1" };
    let client_url = format!("https://{}", join_host_port(&addr, CLIENT_PORT));

    let data = HostPathVolume::new("etcd-data", &local.data_dir, false, DIRECTORY_OR_CREATE);
    let certs = HostPathVolume::new("etcd-certs", &cert_path(settings, "etcd"), false, DIRECTORY_OR_CREATE);
    let mut volumes = Volumes::default();
    volumes.add(data.clone());
    volumes.add(certs.clone());

    let endpoint = probe_endpoint(local, loopback);
    let info = settings.version_info();
    let (liveness_path, readiness_path, startup_path) = match info.etcd_probes {
        EtcdProbes::Health => ("/health", None, "/health"),
        EtcdProbes::HealthSerializable => ("/health?exclude=NOSPACE&serializable=true", None, "/health?serializable=false"),
        EtcdProbes::LivezReadyz => ("/livez", Some("/readyz"), "/readyz"),
    };
    Ok(StaticPod {
        name: NAME,
        image: image(etcd_repository(settings, local), NAME, etcd_tag(settings, local)),
        command: flags(settings, local, &addr, loopback, membership).command(NAME, &local.extra_args),
        // etcd gets no proxy variables, only the user's extraEnvs (v1beta4).
        env: merge_env(&[], &local.extra_envs),
        liveness: Some(probe(ProbeKind::Liveness, &endpoint, liveness_path, settings)),
        readiness: readiness_path.map(|p| probe(ProbeKind::Readiness, &endpoint, p, settings)),
        startup: Some(probe(ProbeKind::Startup, &endpoint, startup_path, settings)),
        requests: serde_json::json!({"cpu": "100m", "memory": "100Mi"}),
        // kubeadm lists the data dir first, unlike the other components' sorted mounts.
        mounts: vec![data, certs],
        volumes,
        annotations: BTreeMap::from([(ADVERTISE_CLIENT_URLS_ANNOTATION.to_string(), client_url)]),
    })
}

fn etcd_repository<'a>(s: &'a InitSettings, local: &'a LocalEtcd) -> &'a str {
    if local.image_repository.is_empty() { &s.cluster.image_repository } else { &local.image_repository }
}

fn etcd_tag<'a>(s: &'a InitSettings, local: &'a LocalEtcd) -> &'a str {
    if local.image_tag.is_empty() { &s.version_info().etcd } else { &local.image_tag }
}

fn flags(s: &InitSettings, local: &LocalEtcd, addr: &str, loopback: &str, membership: Membership<'_>) -> Flags {
    let node = &s.init.node_registration.name;
    let client_url = format!("https://{}", join_host_port(addr, CLIENT_PORT));
    let peer_url = format!("https://{}", join_host_port(addr, PEER_PORT));
    let mut f = Flags::default();
    f.set("name", node.clone());
    f.set("listen-client-urls", format!("https://{},{client_url}", join_host_port(loopback, CLIENT_PORT)));
    f.set("advertise-client-urls", client_url);
    f.set("listen-peer-urls", peer_url.clone());
    f.set("initial-advertise-peer-urls", peer_url.clone());
    f.set("data-dir", local.data_dir.clone());
    f.set("cert-file", cert_path(s, "etcd/server.crt"));
    f.set("key-file", cert_path(s, "etcd/server.key"));
    f.set("trusted-ca-file", cert_path(s, "etcd/ca.crt"));
    f.set("client-cert-auth", "true");
    f.set("peer-cert-file", cert_path(s, "etcd/peer.crt"));
    f.set("peer-key-file", cert_path(s, "etcd/peer.key"));
    f.set("peer-trusted-ca-file", cert_path(s, "etcd/ca.crt"));
    f.set("peer-client-cert-auth", "true");
    f.set("snapshot-count", "10000");
    f.set("listen-metrics-urls", format!("http://{}", join_host_port(loopback, METRICS_PORT)));
    match membership {
        Membership::New => f.set("initial-cluster", format!("{node}={peer_url}")),
        // kubeadm (§3.6): the member list MemberAdd returned, and "existing" so
        // that etcd joins the cluster instead of bootstrapping a new one.
        Membership::Join(members) => {
            f.set("initial-cluster", members.iter().map(|(name, url)| format!("{name}={url}")).collect::<Vec<_>>().join(","));
            f.set("initial-cluster-state", "existing");
        }
    }
    for (name, value) in &s.version_info().etcd_extra_args {
        f.set(name, value.clone());
    }
    f
}

/// The probes follow the first `listen-metrics-urls` when the user sets it;
/// otherwise plain HTTP on the loopback metrics port.
fn probe_endpoint(local: &LocalEtcd, loopback: &str) -> Endpoint {
    let default = Endpoint { host: loopback.to_string(), port: METRICS_PORT, scheme: "HTTP" };
    let Some(urls) = local.extra_args.get("listen-metrics-urls") else { return default };
    let first = urls.split(',').next().unwrap_or("").trim();
    let Some((scheme, rest)) = first.split_once("://") else { return default };
    let authority = rest.split('/').next().unwrap_or("");
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, p.parse().ok()),
        _ => (authority, None),
    };
    let scheme = if scheme.eq_ignore_ascii_case("https") { "HTTPS" } else { "HTTP" };
    let port = port.unwrap_or(if scheme == "HTTPS" { 443 } else { 80 });
    Endpoint { host: host.trim_start_matches('[').trim_end_matches(']').to_string(), port, scheme }
}
