//! kube-apiserver (kubeadm-facts §3.3).

use std::collections::BTreeMap;

use super::{cert_path, control_plane_image, merge_env, probe, probe_host, Endpoint, Flags, HostPathVolume, Inputs, ManifestError, ProbeKind, StaticPod, Volumes, DIRECTORY_OR_CREATE};
use crate::config::{join_host_port, ExternalEtcd, InitSettings};

const NAME: &str = "kube-apiserver";
pub const ADVERTISE_ENDPOINT_ANNOTATION: &str = "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint";

/// Authorization modes kubeadm accepts in `authorization-mode`.
const KNOWN_AUTHZ_MODES: &[&str] = &["Node", "RBAC", "Webhook", "ABAC", "AlwaysAllow", "AlwaysDeny"];
const DEFAULT_AUTHZ_MODE: &str = "Node,RBAC";

/// Directories whose contents are mounted already, so external etcd
/// certificates under them need no volume of their own.
const CA_CERTS_DIR: &str = "/etc/ssl/certs";

pub(super) fn pod(settings: &InitSettings, inputs: &Inputs<'_>, warnings: &mut Vec<String>) -> Result<StaticPod, ManifestError> {
    let advertise = &settings.init.local_api_endpoint.advertise_address;
    if settings.advertise_address().is_none() {
        return Err(ManifestError {
            component: NAME,
            message: format!("localAPIEndpoint.advertiseAddress {advertise:?} is not an IP address"),
            fix: "set InitConfiguration localAPIEndpoint.advertiseAddress (or --apiserver-advertise-address) to this node's IP".into(),
        });
    }
    let api = &settings.cluster.api_server;
    let mut volumes = Volumes::default();
    volumes.add_ca_certs(settings, inputs.host);
    volumes.add(HostPathVolume::new("k8s-certs", &settings.cluster.certificates_dir, true, DIRECTORY_OR_CREATE));
    if let Some(external) = &settings.cluster.etcd.external {
        for v in external_etcd_volumes(external, settings) {
            volumes.add(v);
        }
    }
    volumes.add_extra(&api.extra_volumes);

    let mut overrides = api.extra_args.clone();
    let mode = authorization_mode(api.extra_args.get("authorization-mode"), warnings);
    if api.extra_args.get("authorization-mode").is_some() {
        overrides.set("authorization-mode", &mode);
    }
    let endpoint = Endpoint { host: probe_host(advertise), port: settings.bind_port(), scheme: "HTTPS" };
    Ok(StaticPod {
        name: NAME,
        image: control_plane_image(settings, NAME),
        command: flags(settings, &mode).command(NAME, &overrides),
        env: merge_env(&inputs.proxy_env, &api.extra_envs),
        liveness: Some(probe(ProbeKind::Liveness, &endpoint, "/livez", settings)),
        readiness: Some(probe(ProbeKind::Readiness, &endpoint, "/readyz", settings)),
        startup: Some(probe(ProbeKind::Startup, &endpoint, "/livez", settings)),
        requests: serde_json::json!({"cpu": "250m"}),
        mounts: volumes.sorted().into_iter().cloned().collect(),
        volumes,
        annotations: BTreeMap::from([(ADVERTISE_ENDPOINT_ANNOTATION.to_string(), join_host_port(advertise, settings.bind_port()))]),
    })
}

fn flags(s: &InitSettings, authorization_mode: &str) -> Flags {
    let pki = |f: &str| cert_path(s, f);
    let mut f = Flags::default();
    f.set("advertise-address", s.init.local_api_endpoint.advertise_address.clone());
    f.set("allow-privileged", "true");
    f.set("authorization-mode", authorization_mode);
    f.set("client-ca-file", pki("ca.crt"));
    f.set("enable-admission-plugins", "NodeRestriction");
    f.set("enable-bootstrap-token-auth", "true");
    f.set("kubelet-client-certificate", pki("apiserver-kubelet-client.crt"));
    f.set("kubelet-client-key", pki("apiserver-kubelet-client.key"));
    f.set("kubelet-preferred-address-types", "InternalIP,ExternalIP,Hostname");
    f.set("proxy-client-cert-file", pki("front-proxy-client.crt"));
    f.set("proxy-client-key-file", pki("front-proxy-client.key"));
    f.set("requestheader-allowed-names", "front-proxy-client");
    f.set("requestheader-client-ca-file", pki("front-proxy-ca.crt"));
    f.set("requestheader-extra-headers-prefix", "X-Remote-Extra-");
    f.set("requestheader-group-headers", "X-Remote-Group");
    f.set("requestheader-username-headers", "X-Remote-User");
    f.set("secure-port", s.bind_port().to_string());
    f.set("service-account-issuer", format!("https://kubernetes.default.svc.{}", s.cluster.networking.dns_domain));
    f.set("service-account-key-file", pki("sa.pub"));
    f.set("service-account-signing-key-file", pki("sa.key"));
    f.set("service-cluster-ip-range", s.cluster.networking.service_subnet.clone());
    f.set("tls-cert-file", pki("apiserver.crt"));
    f.set("tls-private-key-file", pki("apiserver.key"));
    etcd_flags(s, &mut f);
    f
}

/// Where the API server finds etcd: the stacked member on this node, or the
/// external cluster's endpoints and client certificate.
fn etcd_flags(s: &InitSettings, f: &mut Flags) {
    match (&s.cluster.etcd.external, &s.cluster.etcd.local) {
        (Some(ext), _) => {
            f.set("etcd-servers", ext.endpoints.join(","));
            if !ext.ca_file.is_empty() {
                f.set("etcd-cafile", ext.ca_file.clone());
            }
            if !ext.cert_file.is_empty() && !ext.key_file.is_empty() {
                f.set("etcd-certfile", ext.cert_file.clone());
                f.set("etcd-keyfile", ext.key_file.clone());
            }
        }
        (None, local) => {
            let loopback = if s.advertise_address().is_some_and(|a| a.is_ipv6()) { "[::1]" } else { "127.0.0.1" };
            let servers = local
                .as_ref()
                .and_then(|l| l.extra_args.get("advertise-client-urls"))
                .map(str::to_string)
                .unwrap_or_else(|| format!("https://{loopback}:2379"));
            f.set("etcd-servers", servers);
            f.set("etcd-cafile", cert_path(s, "etcd/ca.crt"));
            f.set("etcd-certfile", cert_path(s, "apiserver-etcd-client.crt"));
            f.set("etcd-keyfile", cert_path(s, "apiserver-etcd-client.key"));
        }
    }
}

/// kubeadm keeps only the modes it knows from a user's `authorization-mode`,
/// and falls back to Node,RBAC when none is left.
fn authorization_mode(user: Option<&str>, warnings: &mut Vec<String>) -> String {
    let Some(user) = user else { return DEFAULT_AUTHZ_MODE.into() };
    let mut kept = vec![];
    for mode in user.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        if KNOWN_AUTHZ_MODES.contains(&mode) {
            if !kept.contains(&mode) {
                kept.push(mode);
            }
        } else {
            warnings.push(format!("ignoring unknown kube-apiserver authorization-mode {mode:?} (known: {})", KNOWN_AUTHZ_MODES.join(", ")));
        }
    }
    if kept.is_empty() {
        return DEFAULT_AUTHZ_MODE.into();
    }
    let mode = kept.join(",");
    if mode != DEFAULT_AUTHZ_MODE {
        warnings.push(format!("the recommended kube-apiserver authorization-mode is {DEFAULT_AUTHZ_MODE}; using {mode}"));
    }
    mode
}

/// Volumes `etcd-certs-<i>` for the directories of an external etcd's
/// certificate files, except where a default volume already mounts them and
/// keeping only the outermost of nested directories (kubeadm's getEtcdCertVolumes).
fn external_etcd_volumes(ext: &ExternalEtcd, s: &InitSettings) -> Vec<HostPathVolume> {
    let covered: Vec<&str> = std::iter::once(CA_CERTS_DIR)
        .chain(std::iter::once(s.cluster.certificates_dir.as_str()))
        .chain(s.version_info().ca_cert_volumes.values().map(String::as_str))
        .collect();
    let mut dirs: std::collections::BTreeSet<String> = Default::default();
    for file in [&ext.ca_file, &ext.cert_file, &ext.key_file] {
        let dir = match std::path::Path::new(file).parent().and_then(|p| p.to_str()) {
            Some(d) if !d.is_empty() => d.to_string(),
            _ => continue,
        };
        if covered.iter().any(|c| dir.starts_with(c)) {
            continue;
        }
        if dirs.iter().any(|existing| dir.starts_with(existing.as_str())) {
            continue;
        }
        dirs.retain(|existing| !existing.starts_with(dir.as_str()));
        dirs.insert(dir);
    }
    dirs.iter()
        .enumerate()
        .map(|(i, d)| HostPathVolume::new(&format!("etcd-certs-{i}"), d, true, DIRECTORY_OR_CREATE))
        .collect()
}
