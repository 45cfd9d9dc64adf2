//! What goes into each certificate of kubeadm's `certs` phase, computed from
//! the cluster configuration exactly as kubeadm's `certlist.go` and
//! `pki_helpers.go` do (v1.24 subjects, SAN rules and order).

use super::names::{
    is_dns1123_subdomain, is_wildcard_dns1123_subdomain, parse_host_port, parse_ip_sloppy,
};
use super::{KeyAlgorithm, PkiError};
use ipnet::IpNet;
use std::collections::{BTreeSet, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// kubeadm's super-user group, the `O` of the API server's client certificates.
const SYSTEM_MASTERS: &str = "system:masters";

/// Everything of the cluster configuration that certificate contents depend on.
///
/// Values are taken as already defaulted by the config layer (node name
/// lower-cased, `certSANs` lower-cased); the API server SANs are lower-cased
/// here again because kubeadm does it and it is idempotent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiInputs {
    /// `nodeRegistration.name`: a DNS SAN everywhere and the etcd certificates' CN.
    pub node_name: String,
    /// `localAPIEndpoint.advertiseAddress`.
    pub advertise_address: IpAddr,
    /// `controlPlaneEndpoint`, `host` or `host:port`; `None` or empty when unset.
    pub control_plane_endpoint: Option<String>,
    /// `networking.serviceSubnet` split on commas; the API VIP is the first
    /// address of the first subnet.
    pub service_subnets: Vec<IpNet>,
    /// `networking.dnsDomain`.
    pub dns_domain: String,
    /// `apiServer.certSANs`.
    pub api_server_cert_sans: Vec<String>,
    /// `etcd.local.serverCertSANs`.
    pub etcd_server_cert_sans: Vec<String>,
    /// `etcd.local.peerCertSANs`.
    pub etcd_peer_cert_sans: Vec<String>,
    /// `etcd.external` is set: kubeadm then creates no etcd certificates.
    pub external_etcd: bool,
    /// `encryptionAlgorithm`.
    pub algorithm: KeyAlgorithm,
    /// `certificateValidityPeriod` (leaves).
    pub cert_validity: Duration,
    /// `caCertificateValidityPeriod`.
    pub ca_validity: Duration,
}

/// The extended key usages kubeadm puts on its leaf certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtKeyUsage {
    /// `TLS Web Server Authentication`.
    ServerAuth,
    /// `TLS Web Client Authentication`.
    ClientAuth,
}

/// One certificate of the `certs` phase: identity, file name and contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSpec {
    /// kubeadm's phase name, e.g. `etcd-server` (`kubeadm init phase certs etcd-server`).
    pub name: &'static str,
    /// kubeadm's phase description, for help text.
    pub long_name: &'static str,
    /// File base name relative to `certificatesDir`, e.g. `etcd/server`.
    pub base_name: &'static str,
    /// `base_name` of the signing CA; `None` for a self-signed CA.
    pub ca: Option<&'static str>,
    pub common_name: String,
    pub organizations: Vec<String>,
    /// DNS SANs, sorted and de-duplicated as kubeadm does.
    pub dns_names: Vec<String>,
    /// IP SANs, de-duplicated in first-seen order as kubeadm does.
    pub ips: Vec<IpAddr>,
    /// Empty for CAs.
    pub usages: Vec<ExtKeyUsage>,
    pub algorithm: KeyAlgorithm,
    /// NotAfter minus creation time.
    pub validity: Duration,
    /// kubeadm's warnings for `certSANs` entries that were skipped; the
    /// caller prints them (kubeadm prints them while computing SANs).
    pub warnings: Vec<String>,
}

impl CertSpec {
    /// Whether this is a self-signed CA.
    pub fn is_ca(&self) -> bool {
        self.ca.is_none()
    }

    /// `<base_name>.crt`, relative to `certificatesDir`.
    pub fn cert_file(&self) -> String {
        format!("{}.crt", self.base_name)
    }

    /// `<base_name>.key`, relative to `certificatesDir`.
    pub fn key_file(&self) -> String {
        format!("{}.key", self.base_name)
    }
}

/// Whose name is the CN: fixed, or the node's (the etcd certificates).
#[derive(Clone, Copy)]
enum CommonName {
    Fixed(&'static str),
    NodeName,
}

/// Which of kubeadm's SAN computations a certificate gets.
#[derive(Clone, Copy)]
enum Sans {
    None,
    ApiServer,
    EtcdServer,
    EtcdPeer,
}

/// One row of kubeadm's `certlist.go`.
struct Profile {
    name: &'static str,
    long_name: &'static str,
    base_name: &'static str,
    ca: Option<&'static str>,
    common_name: CommonName,
    organization: Option<&'static str>,
    usages: &'static [ExtKeyUsage],
    sans: Sans,
}

use CommonName::{Fixed, NodeName};
use ExtKeyUsage::{ClientAuth, ServerAuth};

const fn ca_profile(
    name: &'static str,
    long_name: &'static str,
    base_name: &'static str,
    cn: &'static str,
) -> Profile {
    Profile {
        name,
        long_name,
        base_name,
        ca: None,
        common_name: Fixed(cn),
        organization: None,
        usages: &[],
        sans: Sans::None,
    }
}

/// kubeadm's certificate list in `certs` phase order; the last five exist
/// only with local etcd.
const PROFILES: [Profile; 10] = [
    ca_profile(
        "ca",
        "self-signed Kubernetes CA to provision identities for other Kubernetes components",
        "ca",
        "kubernetes",
    ),
    Profile {
        name: "apiserver",
        long_name: "certificate for serving the Kubernetes API",
        base_name: "apiserver",
        ca: Some("ca"),
        common_name: Fixed("kube-apiserver"),
        organization: None,
        usages: &[ServerAuth],
        sans: Sans::ApiServer,
    },
    Profile {
        name: "apiserver-kubelet-client",
        long_name: "certificate for the API server to connect to kubelet",
        base_name: "apiserver-kubelet-client",
        ca: Some("ca"),
        common_name: Fixed("kube-apiserver-kubelet-client"),
        organization: Some(SYSTEM_MASTERS),
        usages: &[ClientAuth],
        sans: Sans::None,
    },
    ca_profile(
        "front-proxy-ca",
        "self-signed CA to provision identities for front proxy",
        "front-proxy-ca",
        "front-proxy-ca",
    ),
    Profile {
        name: "front-proxy-client",
        long_name: "certificate for the front proxy client",
        base_name: "front-proxy-client",
        ca: Some("front-proxy-ca"),
        common_name: Fixed("front-proxy-client"),
        organization: None,
        usages: &[ClientAuth],
        sans: Sans::None,
    },
    ca_profile(
        "etcd-ca",
        "self-signed CA to provision identities for etcd",
        "etcd/ca",
        "etcd-ca",
    ),
    Profile {
        name: "etcd-server",
        long_name: "certificate for serving etcd",
        base_name: "etcd/server",
        ca: Some("etcd/ca"),
        common_name: NodeName,
        organization: None,
        usages: &[ServerAuth, ClientAuth],
        sans: Sans::EtcdServer,
    },
    Profile {
        name: "etcd-peer",
        long_name: "certificate for etcd nodes to communicate with each other",
        base_name: "etcd/peer",
        ca: Some("etcd/ca"),
        common_name: NodeName,
        organization: None,
        usages: &[ServerAuth, ClientAuth],
        sans: Sans::EtcdPeer,
    },
    Profile {
        name: "etcd-healthcheck-client",
        long_name: "certificate for liveness probes to healthcheck etcd",
        base_name: "etcd/healthcheck-client",
        ca: Some("etcd/ca"),
        common_name: Fixed("kube-etcd-healthcheck-client"),
        organization: Some(SYSTEM_MASTERS),
        usages: &[ClientAuth],
        sans: Sans::None,
    },
    Profile {
        name: "apiserver-etcd-client",
        long_name: "certificate the apiserver uses to access etcd",
        base_name: "apiserver-etcd-client",
        ca: Some("etcd/ca"),
        common_name: Fixed("kube-apiserver-etcd-client"),
        organization: Some(SYSTEM_MASTERS),
        usages: &[ClientAuth],
        sans: Sans::None,
    },
];

/// How many of [`PROFILES`] do not involve etcd.
const NON_ETCD_PROFILES: usize = 5;

impl Profile {
    fn spec(&self, inputs: &PkiInputs) -> Result<CertSpec, PkiError> {
        let common_name = match self.common_name {
            Fixed(cn) => cn.to_string(),
            NodeName => inputs.node_name.clone(),
        };
        let alt = self.alt_names(&common_name, inputs)?;
        let (dns_names, ips) = normalize_alt_names(&alt.dns, &alt.ips);
        Ok(CertSpec {
            name: self.name,
            long_name: self.long_name,
            base_name: self.base_name,
            ca: self.ca,
            common_name,
            organizations: self.organization.map(str::to_string).into_iter().collect(),
            dns_names,
            ips,
            usages: self.usages.to_vec(),
            algorithm: inputs.algorithm,
            validity: if self.ca.is_none() {
                inputs.ca_validity
            } else {
                inputs.cert_validity
            },
            warnings: alt.warnings,
        })
    }

    /// CAs carry their CN as the only DNS SAN (client-go's `NewSelfSignedCACert`).
    fn alt_names(&self, common_name: &str, inputs: &PkiInputs) -> Result<AltNames, PkiError> {
        Ok(match (self.ca, self.sans) {
            (None, _) => AltNames {
                dns: vec![common_name.to_string()],
                ..AltNames::default()
            },
            (_, Sans::None) => AltNames::default(),
            (_, Sans::ApiServer) => apiserver_alt_names(inputs)?,
            (_, Sans::EtcdServer) => {
                etcd_alt_names(inputs, &inputs.etcd_server_cert_sans, "etcd/server.crt")
            }
            (_, Sans::EtcdPeer) => {
                etcd_alt_names(inputs, &inputs.etcd_peer_cert_sans, "etcd/peer.crt")
            }
        })
    }
}

/// The certificates of kubeadm's `certs` phase, in its order: ca, apiserver,
/// apiserver-kubelet-client, front-proxy-ca, front-proxy-client, etcd-ca,
/// etcd-server, etcd-peer, etcd-healthcheck-client, apiserver-etcd-client
/// (the last five only with local etcd).
pub fn cert_specs(inputs: &PkiInputs) -> Result<Vec<CertSpec>, PkiError> {
    let count = if inputs.external_etcd {
        NON_ETCD_PROFILES
    } else {
        PROFILES.len()
    };
    PROFILES[..count].iter().map(|p| p.spec(inputs)).collect()
}

/// SANs before kubeadm's sort/de-duplication, plus skip warnings.
#[derive(Debug, Default)]
struct AltNames {
    dns: Vec<String>,
    ips: Vec<IpAddr>,
    warnings: Vec<String>,
}

impl AltNames {
    /// kubeadm's `appendSANsToAltNames`: IP, else subdomain, else wildcard
    /// subdomain, else skipped with kubeadm's warning.
    fn append_sans(&mut self, sans: &[String], cert_file: &str) {
        for san in sans {
            if let Some(ip) = parse_ip_sloppy(san) {
                self.ips.push(ip);
            } else if is_dns1123_subdomain(san) || is_wildcard_dns1123_subdomain(san) {
                self.dns.push(san.clone());
            } else {
                self.warnings.push(format!(
                    "[certificates] WARNING: '{san}' was not added to the '{cert_file}' SAN, because it is not a valid IP or RFC-1123 compliant DNS entry"
                ));
            }
        }
    }
}

/// kubeadm's `GetAPIServerAltNames`.
fn apiserver_alt_names(inputs: &PkiInputs) -> Result<AltNames, PkiError> {
    let dns_domain = &inputs.dns_domain;
    let mut alt = AltNames {
        dns: vec![
            inputs.node_name.clone(),
            "kubernetes".into(),
            "kubernetes.default".into(),
            "kubernetes.default.svc".into(),
            format!("kubernetes.default.svc.{dns_domain}"),
        ],
        ips: vec![
            api_server_virtual_ip(&inputs.service_subnets)?,
            inputs.advertise_address.to_canonical(),
        ],
        warnings: Vec::new(),
    };
    if let Some(endpoint) = inputs
        .control_plane_endpoint
        .as_deref()
        .filter(|e| !e.is_empty())
    {
        let (host, _) = parse_host_port(endpoint).map_err(|e| {
            PkiError::InvalidInput(format!(
                "error parsing cluster controlPlaneEndpoint {endpoint:?}: {e}"
            ))
        })?;
        match parse_ip_sloppy(&host) {
            Some(ip) => alt.ips.push(ip),
            None => alt.dns.push(host),
        }
    }
    let sans: Vec<String> = inputs
        .api_server_cert_sans
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
    alt.append_sans(&sans, "apiserver.crt");
    Ok(alt)
}

/// kubeadm's `getAltNames` for the etcd server and peer certificates
/// (their extra SANs are not lower-cased, as in kubeadm).
fn etcd_alt_names(inputs: &PkiInputs, extra: &[String], cert_file: &str) -> AltNames {
    let mut alt = AltNames {
        dns: vec![inputs.node_name.clone(), "localhost".into()],
        ips: vec![
            inputs.advertise_address.to_canonical(),
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ],
        warnings: Vec::new(),
    };
    alt.append_sans(extra, cert_file);
    alt
}

/// kubeadm's `GetAPIServerVirtualIP`: network address + 1 of the first
/// service subnet, which must still lie inside the subnet.
fn api_server_virtual_ip(subnets: &[IpNet]) -> Result<IpAddr, PkiError> {
    let subnet = subnets.first().ok_or_else(|| {
        PkiError::InvalidInput("unable to get internal Kubernetes Service IP from the given service CIDR: no service subnet".into())
    })?;
    let vip = match subnet.network() {
        IpAddr::V4(n) => IpAddr::V4(Ipv4Addr::from(u32::from(n).wrapping_add(1))),
        IpAddr::V6(n) => IpAddr::V6(Ipv6Addr::from(u128::from(n).wrapping_add(1))),
    };
    if subnet.contains(&vip) {
        return Ok(vip);
    }
    Err(PkiError::InvalidInput(format!(
        "unable to get the first IP address from the given CIDR: {subnet}: can't generate IP with index 1 from subnet. subnet too small. subnet: \"{subnet}\""
    )))
}

/// kubeadm's `RemoveDuplicateAltNames`: DNS names sorted (byte order) and
/// unique, IPs unique in first-seen order.
pub(crate) fn normalize_alt_names(dns: &[String], ips: &[IpAddr]) -> (Vec<String>, Vec<IpAddr>) {
    let dns: Vec<String> = dns
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut seen = HashSet::new();
    let ips = ips
        .iter()
        .map(IpAddr::to_canonical)
        .filter(|ip| seen.insert(*ip))
        .collect();
    (dns, ips)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The inputs of the golden reference: shared/reference/kubeadm-v1.24/config/input-kubeadm.yaml.
    pub(crate) fn reference_inputs() -> PkiInputs {
        PkiInputs {
            node_name: "cp1".into(),
            advertise_address: "10.211.0.2".parse().unwrap(),
            control_plane_endpoint: None,
            service_subnets: vec!["10.96.0.0/12".parse().unwrap()],
            dns_domain: "cluster.local".into(),
            api_server_cert_sans: vec![],
            etcd_server_cert_sans: vec![],
            etcd_peer_cert_sans: vec![],
            external_etcd: false,
            algorithm: KeyAlgorithm::EcdsaP256,
            cert_validity: crate::pki::DEFAULT_CERT_VALIDITY,
            ca_validity: crate::pki::DEFAULT_CA_VALIDITY,
        }
    }

    fn spec<'a>(specs: &'a [CertSpec], name: &str) -> &'a CertSpec {
        specs.iter().find(|s| s.name == name).unwrap()
    }

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn order_names_and_files_match_kubeadm() {
        let specs = cert_specs(&reference_inputs()).unwrap();
        let got: Vec<_> = specs.iter().map(|s| (s.name, s.base_name, s.ca)).collect();
        assert_eq!(
            got,
            vec![
                ("ca", "ca", None),
                ("apiserver", "apiserver", Some("ca")),
                (
                    "apiserver-kubelet-client",
                    "apiserver-kubelet-client",
                    Some("ca")
                ),
                ("front-proxy-ca", "front-proxy-ca", None),
                (
                    "front-proxy-client",
                    "front-proxy-client",
                    Some("front-proxy-ca")
                ),
                ("etcd-ca", "etcd/ca", None),
                ("etcd-server", "etcd/server", Some("etcd/ca")),
                ("etcd-peer", "etcd/peer", Some("etcd/ca")),
                (
                    "etcd-healthcheck-client",
                    "etcd/healthcheck-client",
                    Some("etcd/ca")
                ),
                (
                    "apiserver-etcd-client",
                    "apiserver-etcd-client",
                    Some("etcd/ca")
                ),
            ]
        );
        assert_eq!(specs[6].cert_file(), "etcd/server.crt");
        assert_eq!(specs[6].key_file(), "etcd/server.key");
    }

    /// Subjects and usages as in the reference `openssl x509 -text` output.
    #[test]
    fn subjects_and_usages_match_reference() {
        use ExtKeyUsage::*;
        let specs = cert_specs(&reference_inputs()).unwrap();
        let want: [(&str, &str, &[&str], &[ExtKeyUsage]); 10] = [
            ("ca", "kubernetes", &[], &[]),
            ("apiserver", "kube-apiserver", &[], &[ServerAuth]),
            (
                "apiserver-kubelet-client",
                "kube-apiserver-kubelet-client",
                &["system:masters"],
                &[ClientAuth],
            ),
            ("front-proxy-ca", "front-proxy-ca", &[], &[]),
            (
                "front-proxy-client",
                "front-proxy-client",
                &[],
                &[ClientAuth],
            ),
            ("etcd-ca", "etcd-ca", &[], &[]),
            ("etcd-server", "cp1", &[], &[ServerAuth, ClientAuth]),
            ("etcd-peer", "cp1", &[], &[ServerAuth, ClientAuth]),
            (
                "etcd-healthcheck-client",
                "kube-etcd-healthcheck-client",
                &["system:masters"],
                &[ClientAuth],
            ),
            (
                "apiserver-etcd-client",
                "kube-apiserver-etcd-client",
                &["system:masters"],
                &[ClientAuth],
            ),
        ];
        for (name, cn, orgs, usages) in want {
            let s = spec(&specs, name);
            assert_eq!(s.common_name, cn, "{name}");
            assert_eq!(s.organizations, orgs, "{name}");
            assert_eq!(s.usages, usages, "{name}");
            assert!(s.warnings.is_empty());
        }
    }

    #[test]
    fn sans_match_reference() {
        let specs = cert_specs(&reference_inputs()).unwrap();
        let api = spec(&specs, "apiserver");
        assert_eq!(
            api.dns_names,
            [
                "cp1",
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local"
            ]
        );
        assert_eq!(api.ips, ips(&["10.96.0.1", "10.211.0.2"]));
        for name in ["etcd-server", "etcd-peer"] {
            assert_eq!(spec(&specs, name).dns_names, ["cp1", "localhost"]);
            assert_eq!(
                spec(&specs, name).ips,
                ips(&["10.211.0.2", "127.0.0.1", "::1"])
            );
        }
        for (name, dns) in [
            ("ca", "kubernetes"),
            ("front-proxy-ca", "front-proxy-ca"),
            ("etcd-ca", "etcd-ca"),
        ] {
            assert_eq!(spec(&specs, name).dns_names, [dns]);
        }
        for name in [
            "apiserver-kubelet-client",
            "front-proxy-client",
            "etcd-healthcheck-client",
            "apiserver-etcd-client",
        ] {
            assert!(spec(&specs, name).dns_names.is_empty() && spec(&specs, name).ips.is_empty());
        }
    }

    #[test]
    fn endpoint_and_cert_sans_follow_kubeadm_rules() {
        let mut inputs = reference_inputs();
        inputs.control_plane_endpoint = Some("lb.example.com:6443".into());
        inputs.api_server_cert_sans = vec![
            "10.211.0.2".into(),
            "API.Example.com".into(),
            "*.apps.example.com".into(),
            "bad_name".into(),
            "fd00::10".into(),
        ];
        inputs.service_subnets = vec![
            "10.96.5.0/12".parse().unwrap(),
            "fd00:10::/108".parse().unwrap(),
        ];
        inputs.dns_domain = "corp.local".into();
        let specs = cert_specs(&inputs).unwrap();
        let api = spec(&specs, "apiserver");
        assert_eq!(
            api.dns_names,
            [
                "*.apps.example.com",
                "api.example.com",
                "cp1",
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "kubernetes.default.svc.corp.local",
                "lb.example.com",
            ]
        );
        assert_eq!(api.ips, ips(&["10.96.0.1", "10.211.0.2", "fd00::10"]));
        assert_eq!(
            api.warnings,
            ["[certificates] WARNING: 'bad_name' was not added to the 'apiserver.crt' SAN, because it is not a valid IP or RFC-1123 compliant DNS entry"]
        );
    }

    #[test]
    fn ip_endpoint_becomes_ip_san() {
        let mut inputs = reference_inputs();
        inputs.control_plane_endpoint = Some("[fd00::5]:6443".into());
        assert_eq!(
            spec(&cert_specs(&inputs).unwrap(), "apiserver").ips,
            ips(&["10.96.0.1", "10.211.0.2", "fd00::5"])
        );
        inputs.control_plane_endpoint = Some("192.168.9.9".into());
        assert_eq!(
            spec(&cert_specs(&inputs).unwrap(), "apiserver").ips,
            ips(&["10.96.0.1", "10.211.0.2", "192.168.9.9"])
        );
        inputs.control_plane_endpoint = Some(String::new());
        assert_eq!(
            spec(&cert_specs(&inputs).unwrap(), "apiserver").ips.len(),
            2
        );
    }

    #[test]
    fn bad_inputs_are_errors() {
        let mut inputs = reference_inputs();
        inputs.control_plane_endpoint = Some("Bad_Host:6443".into());
        assert!(cert_specs(&inputs)
            .unwrap_err()
            .to_string()
            .contains("controlPlaneEndpoint"));
        let mut inputs = reference_inputs();
        inputs.service_subnets = vec!["10.96.0.7/32".parse().unwrap()];
        assert!(cert_specs(&inputs)
            .unwrap_err()
            .to_string()
            .contains("subnet too small"));
        inputs.service_subnets = vec![];
        assert!(cert_specs(&inputs).is_err());
    }

    #[test]
    fn etcd_sans_are_appended_not_lowercased() {
        let mut inputs = reference_inputs();
        inputs.etcd_server_cert_sans =
            vec!["etcd.local".into(), "127.0.0.1".into(), "Upper.Case".into()];
        inputs.etcd_peer_cert_sans = vec!["10.0.0.9".into()];
        let specs = cert_specs(&inputs).unwrap();
        let server = spec(&specs, "etcd-server");
        assert_eq!(server.dns_names, ["cp1", "etcd.local", "localhost"]);
        assert_eq!(server.ips, ips(&["10.211.0.2", "127.0.0.1", "::1"]));
        assert_eq!(server.warnings.len(), 1);
        assert!(
            server.warnings[0].contains("'Upper.Case' was not added to the 'etcd/server.crt' SAN")
        );
        assert_eq!(
            spec(&specs, "etcd-peer").ips,
            ips(&["10.211.0.2", "127.0.0.1", "::1", "10.0.0.9"])
        );
    }

    #[test]
    fn external_etcd_drops_etcd_certs_and_settings_flow_through() {
        let mut inputs = reference_inputs();
        inputs.external_etcd = true;
        inputs.algorithm = KeyAlgorithm::Rsa4096;
        inputs.cert_validity = Duration::from_secs(3600);
        let specs = cert_specs(&inputs).unwrap();
        assert_eq!(
            specs.iter().map(|s| s.name).collect::<Vec<_>>(),
            [
                "ca",
                "apiserver",
                "apiserver-kubelet-client",
                "front-proxy-ca",
                "front-proxy-client"
            ]
        );
        assert!(specs.iter().all(|s| s.algorithm == KeyAlgorithm::Rsa4096));
        assert_eq!(specs[1].validity, Duration::from_secs(3600));
        assert_eq!(specs[0].validity, crate::pki::DEFAULT_CA_VALIDITY);
    }

    #[test]
    fn ipv6_single_stack_vip() {
        let mut inputs = reference_inputs();
        inputs.service_subnets = vec!["fd00:10:96::/112".parse().unwrap()];
        inputs.advertise_address = "::ffff:10.211.0.2".parse().unwrap();
        let api = cert_specs(&inputs).unwrap().remove(1);
        assert_eq!(api.ips, ips(&["fd00:10:96::1", "10.211.0.2"]));
    }
}
