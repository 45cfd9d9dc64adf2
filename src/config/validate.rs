//! kubeadm's validation rules (kubeadm-facts §11.6), plus the mistakes kubeadm
//! lets through and users pay for later (overlapping pod and service ranges,
//! unsupported versions). Every rule runs; every failure is reported.

use ipnet::IpNet;
use std::net::IpAddr;

use super::duration;
use super::error::FieldError;
use super::types::*;
use crate::versions;

const TOKEN_HELP: &str = "a bootstrap token is 6 and 16 characters of [a-z0-9] joined by a dot, e.g. abcdef.0123456789abcdef (`kubelift token generate` makes one)";
const KNOWN_FEATURE_GATES: &[&str] = &[
    "IPv6DualStack",
    "PublicKeysECDSA",
    "RootlessControlPlane",
    "UnversionedKubeletConfigMap",
    "EtcdLearnerMode",
    "WaitForAllControlPlaneComponents",
    "ControlPlaneKubeletLocalMode",
    "NodeLocalCRISocket",
];
pub const ENCRYPTION_ALGORITHMS: &[&str] = &["RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384"];
const TAINT_EFFECTS: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];
const PULL_POLICIES: &[&str] = &["Always", "IfNotPresent", "Never"];
const PATH_TYPES: &[&str] = &["", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"];

/// Collects the errors of one document.
pub(crate) struct Check {
    doc: &'static str,
    pub errors: Vec<FieldError>,
}

impl Check {
    pub fn new(doc: &'static str) -> Self {
        Check { doc, errors: Vec::new() }
    }

    pub fn fail(&mut self, path: &str, value: &str, problem: impl Into<String>, fix: impl Into<String>) {
        self.errors.push(FieldError::new(self.doc, path, problem, fix).with_value(value));
    }

    fn required(&mut self, path: &str, value: &str, fix: &str) -> bool {
        if value.is_empty() {
            self.errors.push(FieldError::new(self.doc, path, "is required", fix));
        }
        !value.is_empty()
    }

    fn absolute_path(&mut self, path: &str, value: &str) {
        if !value.is_empty() && !value.starts_with('/') {
            self.fail(path, value, "is not an absolute path", "write the path from the root, starting with /");
        }
    }

    fn duration(&mut self, path: &str, value: &str) {
        if !value.is_empty() {
            if let Err(e) = duration::parse(value) {
                self.fail(path, value, e, "write a duration such as 24h0m0s, 4m or 90s");
            }
        }
    }

    fn one_of(&mut self, path: &str, value: &str, allowed: &[&str]) {
        if !value.is_empty() && !allowed.contains(&value) {
            self.fail(path, value, "is not a supported value", format!("use one of {}", allowed.join(", ")));
        }
    }
}

pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

pub fn is_bootstrap_token(s: &str) -> bool {
    let ok = |part: &str, n: usize| part.len() == n && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    matches!(s.split_once('.'), Some((id, secret)) if ok(id, 6) && ok(secret, 16))
}

pub fn is_token_group(s: &str) -> bool {
    s.strip_prefix("system:bootstrappers:").is_some_and(|rest| {
        !rest.is_empty()
            && rest.len() <= 256
            && rest.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b':' || b == b'-')
            && rest.bytes().last().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_san(s: &str) -> bool {
    s.parse::<IpAddr>().is_ok()
        || is_dns1123_subdomain(s)
        || s.strip_prefix("*.").is_some_and(is_dns1123_subdomain)
}

/// Splits `host:port` (IPv6 hosts in brackets); the port is optional.
pub fn split_host_port(s: &str) -> Option<(String, Option<u16>)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, tail) = rest.split_once(']')?;
        let port = match tail.strip_prefix(':') {
            Some(p) => Some(p.parse().ok().filter(|p| *p > 0)?),
            None if tail.is_empty() => None,
            None => return None,
        };
        return Some((host.to_string(), port));
    }
    match s.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => Some((host.to_string(), Some(port.parse().ok().filter(|p| *p > 0)?))),
        _ => Some((s.to_string(), None)),
    }
}

fn is_endpoint_host(host: &str) -> bool {
    host.parse::<IpAddr>().is_ok() || is_dns1123_subdomain(host)
}

/// Parses a comma-separated CIDR list as kubeadm does for dual stack.
pub fn parse_cidrs(s: &str) -> Result<Vec<IpNet>, String> {
    s.split(',').map(|c| c.trim().parse::<IpNet>().map_err(|_| format!("{:?} is not a CIDR", c.trim()))).collect()
}

fn host_bits(net: &IpNet) -> u8 {
    net.max_prefix_len() - net.prefix_len()
}

impl Check {
    fn cidrs(&mut self, path: &str, value: &str, min_addresses: u32, max_host_bits: Option<u8>) -> Vec<IpNet> {
        let nets = match parse_cidrs(value) {
            Ok(n) => n,
            Err(e) => {
                self.fail(path, value, format!("couldn't parse subnet: {e}"), "write a CIDR such as 10.96.0.0/12");
                return vec![];
            }
        };
        let families_ok = match nets.as_slice() {
            [_] => true,
            [a, b] => matches!((a, b), (IpNet::V4(_), IpNet::V6(_)) | (IpNet::V6(_), IpNet::V4(_))),
            _ => false,
        };
        if !families_ok {
            self.fail(path, value, "expected one (IPv4 or IPv6) CIDR or two CIDRs from each family for dual-stack networking", "give one CIDR, or one IPv4 and one IPv6 CIDR separated by a comma");
        }
        for net in &nets {
            let bits = host_bits(net);
            if bits < 32 && (1u64 << bits) < u64::from(min_addresses) {
                self.fail(path, value, format!("subnet {net} with {} address(es) is too small, the minimum is {min_addresses}", 1u64 << bits), "use a shorter prefix (a larger range)");
            }
            if let Some(max) = max_host_bits.filter(|m| bits > *m) {
                let min_mask = net.max_prefix_len() - max;
                self.fail(path, value, format!("subnet {net} is too large; for {}-bit addresses the mask must be >= {min_mask}", net.max_prefix_len()), format!("use a prefix of /{min_mask} or longer"));
            }
        }
        nets
    }
}

/// Validates the InitConfiguration of an init run.
pub fn init_configuration(init: &InitConfiguration) -> Vec<FieldError> {
    let mut c = Check::new("InitConfiguration");
    node_registration(&mut c, &init.node_registration);
    for (i, t) in init.bootstrap_tokens.iter().enumerate() {
        bootstrap_token(&mut c, &format!("bootstrapTokens[{i}]"), t);
    }
    api_endpoint(&mut c, "localAPIEndpoint", &init.local_api_endpoint);
    certificate_key(&mut c, "certificateKey", init.certificate_key.expose());
    if let Some(t) = &init.timeouts {
        timeouts(&mut c, t);
    }
    c.errors
}

fn node_registration(c: &mut Check, n: &NodeRegistration) {
    let fix = "set nodeRegistration.name or pass --node-name (lower-case letters, digits, '-' and '.')";
    if c.required("nodeRegistration.name", &n.name, fix) && !is_dns1123_subdomain(&n.name) {
        c.fail("nodeRegistration.name", &n.name, "is not a valid node name (a DNS-1123 subdomain)", fix);
    }
    cri_socket(c, &n.cri_socket);
    if let Some(taints) = &n.taints {
        for (i, t) in taints.iter().enumerate() {
            let path = format!("nodeRegistration.taints[{i}]");
            if t.key.is_empty() {
                c.fail(&format!("{path}.key"), "", "is required", "give the taint a key, e.g. node-role.kubernetes.io/control-plane");
            }
            c.one_of(&format!("{path}.effect"), &t.effect, TAINT_EFFECTS);
            if t.effect.is_empty() {
                c.fail(&format!("{path}.effect"), "", "is required", format!("use one of {}", TAINT_EFFECTS.join(", ")));
            }
        }
    }
    c.one_of("nodeRegistration.imagePullPolicy", &n.image_pull_policy, PULL_POLICIES);
}

fn cri_socket(c: &mut Check, s: &str) {
    if s.is_empty() {
        return;
    }
    let path = match s.split_once("://") {
        Some(("unix", rest)) => rest,
        Some((scheme, _)) => {
            return c.fail("nodeRegistration.criSocket", s, format!("URL scheme {scheme} is not supported"), "use a unix socket, e.g. unix:///run/containerd/containerd.sock");
        }
        None => s,
    };
    if !path.starts_with('/') {
        c.fail("nodeRegistration.criSocket", s, "path is not absolute", "use an absolute socket path, e.g. unix:///run/containerd/containerd.sock");
    }
}

fn bootstrap_token(c: &mut Check, path: &str, t: &BootstrapToken) {
    if !t.token.is_empty() && !is_bootstrap_token(t.token.expose()) {
        // The value is a secret: say what is wrong without repeating it.
        c.errors.push(FieldError::new(c.doc, &format!("{path}.token"), "the bootstrap token is invalid", TOKEN_HELP));
    }
    for u in &t.usages {
        if u != "signing" && u != "authentication" {
            c.fail(&format!("{path}.usages"), u, "invalid bootstrap token usage", "valid usages are signing and authentication");
        }
    }
    if !t.groups.is_empty() && !t.usages.is_empty() && !t.usages.iter().any(|u| u == "authentication") {
        c.fail(&format!("{path}.groups"), &t.groups.join(","), "token groups cannot be specified unless usages include \"authentication\"", "add authentication to usages or remove the groups");
    }
    for g in &t.groups {
        if !is_token_group(g) {
            c.fail(&format!("{path}.groups"), g, "bootstrap group is invalid (must match system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9])", "use a group such as system:bootstrappers:kubeadm:default-node-token");
        }
    }
    if !t.ttl.is_empty() && !t.expires.is_empty() {
        c.fail(&format!("{path}.ttl"), &t.ttl, "ttl and expires are mutually exclusive", "keep one of them");
    }
    c.duration(&format!("{path}.ttl"), &t.ttl);
    if !t.expires.is_empty() && chrono::DateTime::parse_from_rfc3339(&t.expires).is_err() {
        c.fail(&format!("{path}.expires"), &t.expires, "is not an RFC 3339 time", "write it like 2030-01-02T15:04:05Z");
    }
}

fn api_endpoint(c: &mut Check, path: &str, e: &ApiEndpoint) {
    let addr_path = format!("{path}.advertiseAddress");
    let fix = "use an IP address of this machine, or pass --apiserver-advertise-address";
    if c.required(&addr_path, &e.advertise_address, fix) {
        match e.advertise_address.parse::<IpAddr>() {
            Err(_) => c.fail(&addr_path, &e.advertise_address, "ip address is not valid", fix),
            Ok(ip) if ip.is_unspecified() || ip.is_multicast() => {
                c.fail(&addr_path, &e.advertise_address, "cannot be used as the bind address for the API server", fix)
            }
            Ok(_) => {}
        }
    }
    if !(1..=65535).contains(&e.bind_port) {
        c.fail(&format!("{path}.bindPort"), &e.bind_port.to_string(), "port number is not valid", "use a port from 1 to 65535 (6443 is the default)");
    }
}

fn certificate_key(c: &mut Check, path: &str, key: &str) {
    if !key.is_empty() && !is_hex(key, 64) {
        c.errors.push(FieldError::new(c.doc, path, "is not 64 hexadecimal characters (an AES-256 key)", "generate one with `kubelift certs certificate-key` or leave it empty"));
    }
}

fn timeouts(c: &mut Check, t: &Timeouts) {
    for (name, value) in [
        ("controlPlaneComponentHealthCheck", &t.control_plane_component_health_check),
        ("kubeletHealthCheck", &t.kubelet_health_check),
        ("kubernetesAPICall", &t.kubernetes_api_call),
        ("etcdAPICall", &t.etcd_api_call),
        ("tlsBootstrap", &t.tls_bootstrap),
        ("discovery", &t.discovery),
        ("upgradeManifests", &t.upgrade_manifests),
    ] {
        c.duration(&format!("timeouts.{name}"), value);
    }
}

/// Validates a ClusterConfiguration.
pub fn cluster_configuration(cl: &ClusterConfiguration) -> Vec<FieldError> {
    let mut c = Check::new("ClusterConfiguration");
    networking(&mut c, cl);
    kubernetes_version(&mut c, &cl.kubernetes_version);
    control_plane_endpoint(&mut c, &cl.control_plane_endpoint);
    for san in &cl.api_server.cert_sans {
        if !is_san(san) {
            c.fail("apiServer.certSANs", san, "altname is not a valid IP address, DNS label or a DNS label with subdomain wildcards", "use an IP, a DNS name or *.domain");
        }
    }
    etcd(&mut c, &cl.etcd);
    c.absolute_path("certificatesDir", &cl.certificates_dir);
    for name in cl.feature_gates.keys() {
        if !KNOWN_FEATURE_GATES.contains(&name.as_str()) {
            c.fail("featureGates", name, "is not a valid feature name", format!("known gates: {}", KNOWN_FEATURE_GATES.join(", ")));
        }
    }
    c.one_of("encryptionAlgorithm", &cl.encryption_algorithm, ENCRYPTION_ALGORITHMS);
    c.duration("certificateValidityPeriod", &cl.certificate_validity_period);
    c.duration("caCertificateValidityPeriod", &cl.ca_certificate_validity_period);
    c.duration("apiServer.timeoutForControlPlane", &cl.api_server.timeout_for_control_plane);
    for (path, comp) in [
        ("apiServer", &cl.api_server.extra_volumes),
        ("controllerManager", &cl.controller_manager.extra_volumes),
        ("scheduler", &cl.scheduler.extra_volumes),
    ] {
        extra_volumes(&mut c, path, comp);
    }
    c.errors
}

fn networking(c: &mut Check, cl: &ClusterConfiguration) {
    let n = &cl.networking;
    if !n.dns_domain.is_empty() && !is_dns1123_subdomain(&n.dns_domain) {
        c.fail("networking.dnsDomain", &n.dns_domain, "is not a valid DNS-1123 subdomain", "use lower-case labels separated by dots, e.g. cluster.local");
    }
    let services = c.cidrs("networking.serviceSubnet", &n.service_subnet, 10, Some(20));
    if n.pod_subnet.is_empty() {
        return;
    }
    let pods = c.cidrs("networking.podSubnet", &n.pod_subnet, 14, None);
    pod_node_masks(c, cl, &pods);
    for p in &pods {
        for s in services.iter().filter(|s| p.contains(*s) || s.contains(p)) {
            c.fail(
                "networking.podSubnet",
                &n.pod_subnet,
                format!("{p} overlaps networking.serviceSubnet {s}"),
                "choose ranges that do not overlap, e.g. podSubnet 10.244.0.0/16 with serviceSubnet 10.96.0.0/12",
            );
        }
    }
}

fn pod_node_masks(c: &mut Check, cl: &ClusterConfiguration, pods: &[IpNet]) {
    let kcm = &cl.controller_manager.extra_args;
    if kcm.get("allocate-node-cidrs") == Some("false") {
        return;
    }
    for p in pods {
        let (flag, default) = match p {
            IpNet::V4(_) => ("node-cidr-mask-size-ipv4", 24u8),
            IpNet::V6(_) => ("node-cidr-mask-size-ipv6", 64u8),
        };
        let node_mask = kcm.get(flag).or(kcm.get("node-cidr-mask-size")).and_then(|v| v.parse().ok()).unwrap_or(default);
        let pod_mask = p.prefix_len();
        if pod_mask > node_mask {
            c.fail("networking.podSubnet", &p.to_string(), format!("the size of pod subnet with mask {pod_mask} is smaller than the size of node subnet with mask {node_mask}"), format!("use a pod subnet of /{node_mask} or larger, or set controllerManager extraArgs {flag}"));
        } else if node_mask - pod_mask > 16 {
            c.fail("networking.podSubnet", &p.to_string(), format!("pod subnet mask ({pod_mask}) and node-mask ({node_mask}) difference is greater than 16"), "use a smaller pod subnet or a smaller per-node mask");
        }
    }
}

fn kubernetes_version(c: &mut Check, v: &str) {
    if v.is_empty() {
        return;
    }
    match versions::Semver::parse(v) {
        None => c.fail("kubernetesVersion", v, "is not a version like v1.32.0", "write vMAJOR.MINOR.PATCH or leave it empty for the newest supported"),
        Some(_) if versions::lookup(v).is_none() => c.fail("kubernetesVersion", v, format!("is not supported (kubelift installs {})", versions::supported_range()), "pick a supported version"),
        Some(_) => {}
    }
}

fn control_plane_endpoint(c: &mut Check, ep: &str) {
    if ep.is_empty() {
        return;
    }
    if !split_host_port(ep).is_some_and(|(host, _)| is_endpoint_host(&host)) {
        c.fail("controlPlaneEndpoint", ep, "endpoint is not valid", "use a DNS name or IP with an optional port, e.g. k8s-api.example.com:6443");
    }
}

fn etcd(c: &mut Check, e: &Etcd) {
    match (&e.local, &e.external) {
        (Some(_), Some(_)) => c.fail("etcd", "", ".Etcd.Local and .Etcd.External are mutually exclusive", "keep either etcd.local or etcd.external"),
        (None, None) => c.fail("etcd", "", "either .Etcd.Local or .Etcd.External is required", "add etcd.local (stacked etcd) or etcd.external"),
        (Some(local), None) => {
            c.absolute_path("etcd.local.dataDir", &local.data_dir);
            for (path, sans) in [("etcd.local.serverCertSANs", &local.server_cert_sans), ("etcd.local.peerCertSANs", &local.peer_cert_sans)] {
                for san in sans.iter().filter(|s| !is_san(s)) {
                    c.fail(path, san, "altname is not a valid IP address, DNS label or a DNS label with subdomain wildcards", "use an IP, a DNS name or *.domain");
                }
            }
        }
        (None, Some(ext)) => external_etcd(c, ext),
    }
}

fn external_etcd(c: &mut Check, ext: &ExternalEtcd) {
    if ext.endpoints.is_empty() {
        c.fail("etcd.external.endpoints", "", "is required", "list the etcd client URLs, e.g. https://10.0.0.5:2379");
    }
    let tls = !ext.ca_file.is_empty() || !ext.cert_file.is_empty() || !ext.key_file.is_empty();
    for ep in &ext.endpoints {
        match ep.split_once("://") {
            None => c.fail("etcd.external.endpoints", ep, "the URL without scheme is not allowed", "write https://host:2379"),
            Some((scheme, _)) if tls && scheme != "https" => c.fail("etcd.external.endpoints", ep, "the URL must be using the HTTPS scheme", "write https://host:2379"),
            _ => {}
        }
    }
    if ext.cert_file.is_empty() != ext.key_file.is_empty() {
        c.fail("etcd.external", "", "either both or none of .Etcd.External.CertFile and .Etcd.External.KeyFile must be set", "set both certFile and keyFile, or neither");
    }
    if !ext.cert_file.is_empty() && ext.ca_file.is_empty() {
        c.fail("etcd.external.caFile", "", "setting .Etcd.External.CertFile and .Etcd.External.KeyFile requires .Etcd.External.CAFile", "set caFile to the etcd CA");
    }
    for (path, value) in [("etcd.external.caFile", &ext.ca_file), ("etcd.external.certFile", &ext.cert_file), ("etcd.external.keyFile", &ext.key_file)] {
        c.absolute_path(path, value);
    }
}

fn extra_volumes(c: &mut Check, component: &str, volumes: &[HostPathMount]) {
    for (i, v) in volumes.iter().enumerate() {
        let path = format!("{component}.extraVolumes[{i}]");
        c.required(&format!("{path}.name"), &v.name, "give the volume a name");
        c.absolute_path(&format!("{path}.hostPath"), &v.host_path);
        c.absolute_path(&format!("{path}.mountPath"), &v.mount_path);
        c.one_of(&format!("{path}.pathType"), &v.path_type, PATH_TYPES);
    }
}

/// Validates a JoinConfiguration.
pub fn join_configuration(j: &JoinConfiguration) -> Vec<FieldError> {
    let mut c = Check::new("JoinConfiguration");
    node_registration(&mut c, &j.node_registration);
    discovery(&mut c, &j.discovery);
    if !j.ca_cert_path.is_empty() && (!j.ca_cert_path.starts_with('/') || !j.ca_cert_path.ends_with(".crt")) {
        c.fail("caCertPath", &j.ca_cert_path, "the ca certificate path must be an absolute path ending in .crt", "e.g. /etc/kubernetes/pki/ca.crt");
    }
    if let Some(cp) = &j.control_plane {
        api_endpoint(&mut c, "controlPlane.localAPIEndpoint", &cp.local_api_endpoint);
        certificate_key(&mut c, "controlPlane.certificateKey", cp.certificate_key.expose());
    }
    if let Some(t) = &j.timeouts {
        timeouts(&mut c, t);
    }
    c.errors
}

fn discovery(c: &mut Check, d: &Discovery) {
    match (&d.bootstrap_token, &d.file) {
        (None, None) => c.fail("discovery", "", "bootstrapToken or file must be set", "pass --token with --discovery-token-ca-cert-hash, or --discovery-file"),
        (Some(_), Some(_)) => c.fail("discovery", "", "bootstrapToken and file cannot both be set", "keep one discovery method"),
        (Some(bt), None) => token_discovery(c, bt),
        (None, Some(f)) => {
            let p = &f.kube_config_path;
            let ok = p.starts_with('/') || p.starts_with("https://") || p.starts_with("file://");
            if !ok {
                c.fail("discovery.file.kubeConfigPath", p, "not a valid HTTPS URL or an absolute file path", "give an absolute path or an https:// URL");
            }
        }
    }
    if !d.tls_bootstrap_token.is_empty() && !is_bootstrap_token(d.tls_bootstrap_token.expose()) {
        c.errors.push(FieldError::new(c.doc, "discovery.tlsBootstrapToken", "the bootstrap token is invalid", TOKEN_HELP));
    }
    c.duration("discovery.timeout", &d.timeout);
}

fn token_discovery(c: &mut Check, bt: &BootstrapTokenDiscovery) {
    if bt.token.is_empty() {
        c.errors.push(FieldError::new(c.doc, "discovery.bootstrapToken.token", "is required", "pass --token"));
    } else if !is_bootstrap_token(bt.token.expose()) {
        c.errors.push(FieldError::new(c.doc, "discovery.bootstrapToken.token", "the bootstrap token is invalid", TOKEN_HELP));
    }
    let ep = &bt.api_server_endpoint;
    let fix = "give the API server as host:port, e.g. 10.0.0.10:6443";
    if c.required("discovery.bootstrapToken.apiServerEndpoint", ep, fix)
        && !split_host_port(ep).is_some_and(|(h, p)| p.is_some() && is_endpoint_host(&h))
    {
        c.fail("discovery.bootstrapToken.apiServerEndpoint", ep, "is not host:port", fix);
    }
    for h in &bt.ca_cert_hashes {
        let ok = h.strip_prefix("sha256:").is_some_and(|hex| is_hex(hex, 64));
        if !ok {
            c.fail("discovery.bootstrapToken.caCertHashes", h, "is not sha256:<64 hex characters>", "copy the hash printed by `kubelift init` or `kubelift token create --print-join-command`");
        }
    }
    if bt.ca_cert_hashes.is_empty() && !bt.unsafe_skip_ca_verification {
        c.fail("discovery.bootstrapToken.caCertHashes", "", "using token-based discovery without caCertHashes can be unsafe", "pass --discovery-token-ca-cert-hash sha256:<hash> (or, knowingly, --discovery-token-unsafe-skip-ca-verification)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names() {
        assert!(is_dns1123_subdomain("cp1.example.com"));
        for bad in ["", "UPPER", "-a", "a-", "a..b", "under_score"] {
            assert!(!is_dns1123_subdomain(bad), "{bad}");
        }
    }

    #[test]
    fn tokens_and_groups() {
        assert!(is_bootstrap_token("abcdef.0123456789abcdef"));
        assert!(!is_bootstrap_token("abcdef.0123456789ABCDEF"));
        assert!(!is_bootstrap_token("abcde.0123456789abcdef"));
        assert!(is_token_group("system:bootstrappers:kubeadm:default-node-token"));
        assert!(!is_token_group("system:nodes"));
    }

    #[test]
    fn host_ports() {
        assert_eq!(split_host_port("a.b:6443"), Some(("a.b".into(), Some(6443))));
        assert_eq!(split_host_port("[::1]:6443"), Some(("::1".into(), Some(6443))));
        assert_eq!(split_host_port("::1"), Some(("::1".into(), None)));
        assert_eq!(split_host_port("a:0"), None);
        assert_eq!(split_host_port("a:99999"), None);
    }

    #[test]
    fn overlapping_ranges_are_named() {
        let mut cl = ClusterConfiguration::default();
        cl.networking.service_subnet = "10.96.0.0/12".into();
        cl.networking.pod_subnet = "10.96.0.0/16".into();
        cl.etcd.local = Some(LocalEtcd::default());
        let errors = cluster_configuration(&cl);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].path, "networking.podSubnet");
        assert!(errors[0].problem.contains("overlaps networking.serviceSubnet 10.96.0.0/12"));
    }

    #[test]
    fn subnet_sizes() {
        let mut c = Check::new("ClusterConfiguration");
        c.cidrs("s", "10.0.0.0/8", 10, Some(20));
        c.cidrs("s", "10.0.0.0/30", 10, Some(20));
        c.cidrs("s", "10.0.0.0/24,10.1.0.0/24", 10, Some(20));
        assert_eq!(c.errors.len(), 3, "{:?}", c.errors);
        let mut ok = Check::new("ClusterConfiguration");
        ok.cidrs("s", "10.96.0.0/12,fd00::/108", 10, Some(20));
        assert!(ok.errors.is_empty(), "{:?}", ok.errors);
    }
}
