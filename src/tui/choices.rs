//! Choices: the init form. Defaults come from the config file, the flags and
//! this host; every keystroke re-runs the foundation's validator
//! (`InitSettings::apply` + `resolve`) and puts each error beside its field.

use ratatui::layout::Rect;
use ratatui::Frame;

use super::form::{self, Choice, Field, Form};
use super::host::HostFacts;
use super::theme::Theme;
use crate::config::validate::ENCRYPTION_ALGORITHMS;
use crate::config::{defaults, ConfigErrors, FieldError, InitOverrides, InitSettings};
use crate::versions;

/// The form's fields, in screen order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    NodeName,
    Advertise,
    Endpoint,
    Version,
    PodCidr,
    ServiceCidr,
    Addon,
    KeyType,
    Sans,
    TokenTtl,
}

const SLOTS: [Slot; 10] = [
    Slot::NodeName,
    Slot::Advertise,
    Slot::Endpoint,
    Slot::Version,
    Slot::PodCidr,
    Slot::ServiceCidr,
    Slot::Addon,
    Slot::KeyType,
    Slot::Sans,
    Slot::TokenTtl,
];

/// A pod network add-on kubelift knows how to point at. kubelift does not
/// install it (kubeadm does not either); the Done screen shows the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addon {
    pub name: &'static str,
    /// The pod CIDR the add-on's default manifest expects.
    pub pod_cidr: &'static str,
    pub install: &'static str,
}

pub const ADDONS: &[Addon] = &[
    Addon { name: "Flannel", pod_cidr: "10.244.0.0/16", install: "kubectl apply -f https://github.com/flannel-io/flannel/releases/latest/download/kube-flannel.yml" },
    Addon { name: "Calico", pod_cidr: "192.168.0.0/16", install: "kubectl apply -f https://raw.githubusercontent.com/projectcalico/calico/v3.29.1/manifests/calico.yaml" },
    Addon { name: "Cilium", pod_cidr: "10.244.0.0/16", install: "cilium install --set ipam.mode=kubernetes" },
    Addon { name: "none", pod_cidr: "", install: "" },
];

pub fn addon(name: &str) -> Option<&'static Addon> {
    ADDONS.iter().find(|a| a.name == name)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choices {
    pub form: Form,
}

impl Choices {
    /// The form filled with what the file and flags say, else this host's defaults.
    pub fn new(base: &InitSettings, host: &HostFacts) -> Choices {
        let fields = SLOTS.iter().map(|slot| initial_field(*slot, base, host)).collect();
        Choices { form: Form::new(fields) }
    }

    pub fn get(&self, slot: Slot) -> &str {
        self.form.value(index(slot))
    }

    pub fn focused_slot(&self) -> Slot {
        SLOTS[self.form.focus]
    }

    /// The answers as the flags they stand for.
    pub fn overrides(&self, base: &InitSettings, ignored: &[String]) -> InitOverrides {
        let some = |slot| Some(self.get(slot).trim().to_string());
        let key_type = self.get(Slot::KeyType);
        InitOverrides {
            node_name: some(Slot::NodeName),
            advertise_address: some(Slot::Advertise),
            control_plane_endpoint: some(Slot::Endpoint),
            kubernetes_version: some(Slot::Version),
            pod_network_cidr: some(Slot::PodCidr),
            service_cidr: some(Slot::ServiceCidr),
            cert_sans: split_list(self.get(Slot::Sans)),
            token_ttl: Some(self.get(Slot::TokenTtl).trim()).filter(|t| !t.is_empty()).map(String::from),
            // Set only when changed: a v1beta3 file has no encryptionAlgorithm field.
            encryption_algorithm: (key_type != base.encryption_algorithm()).then(|| key_type.to_string()),
            ignore_preflight_errors: ignored.to_vec(),
            ..InitOverrides::default()
        }
    }

    /// The settings these answers make, through the foundation's validator.
    pub fn settings(&self, base: &InitSettings, host: &HostFacts, ignored: &[String]) -> Result<InitSettings, ConfigErrors> {
        let mut settings = base.clone();
        // The SAN field holds the whole list; `apply` would append to the file's.
        settings.cluster.api_server.cert_sans.clear();
        settings.apply(&self.overrides(base, ignored));
        settings.resolve(&host.defaults)
    }

    /// Re-validates and puts every error beside its field.
    pub fn validate(&mut self, base: &InitSettings, host: &HostFacts, ignored: &[String]) -> Option<InitSettings> {
        self.form.clear_errors();
        match self.settings(base, host, ignored) {
            Ok(settings) => Some(settings),
            Err(errors) => {
                for e in errors.errors {
                    self.place(e);
                }
                None
            }
        }
    }

    fn place(&mut self, e: FieldError) {
        match slot_of(&e.path) {
            Some(slot) => {
                let field = &mut self.form.fields[index(slot)];
                if field.error.is_none() {
                    field.error = Some(e.problem.clone());
                    field.detail = Some(format!("{}: {} (fix: {})", e.path, e.problem, e.fix));
                }
            }
            None => self.form.other_errors.push(e.to_string()),
        }
    }

    /// Picking another add-on moves the pod CIDR along, unless the user typed their own.
    pub fn addon_changed(&mut self, previous: &str) {
        let old_default = addon(previous).map(|a| a.pod_cidr).unwrap_or("");
        let untouched = self.get(Slot::PodCidr) == old_default;
        if let Some(a) = addon(self.get(Slot::Addon)).filter(|_| untouched) {
            self.form.fields[index(Slot::PodCidr)].value = a.pod_cidr.to_string();
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        form::render(&self.form, frame, area, theme);
    }
}

fn index(slot: Slot) -> usize {
    SLOTS.iter().position(|s| *s == slot).expect("every slot is in SLOTS")
}

/// Which field a validator path belongs to.
pub fn slot_of(path: &str) -> Option<Slot> {
    Some(match path {
        "nodeRegistration.name" => Slot::NodeName,
        p if p.starts_with("localAPIEndpoint") => Slot::Advertise,
        "controlPlaneEndpoint" => Slot::Endpoint,
        "kubernetesVersion" => Slot::Version,
        "networking.podSubnet" => Slot::PodCidr,
        "networking.serviceSubnet" => Slot::ServiceCidr,
        "encryptionAlgorithm" => Slot::KeyType,
        "apiServer.certSANs" => Slot::Sans,
        p if p.starts_with("bootstrapTokens[0].ttl") => Slot::TokenTtl,
        _ => return None,
    })
}

fn split_list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
}

fn initial_field(slot: Slot, base: &InitSettings, host: &HostFacts) -> Field {
    let (init, cl) = (&base.init, &base.cluster);
    let or = |value: &str, fallback: &str| if value.is_empty() { fallback.to_string() } else { value.to_string() };
    match slot {
        Slot::NodeName => Field::text("Node name", "this machine's name in the cluster (lower-case letters, digits, '-' and '.'); default: the hostname", or(&init.node_registration.name, &host.defaults.hostname)),
        Slot::Advertise => {
            let choices: Vec<Choice> = host.addresses.iter().map(|a| Choice { value: a.ip.to_string(), note: a.interface.clone() }).collect();
            let detected = host.defaults.default_address.map(|ip| ip.to_string()).unwrap_or_default();
            let value = or(&init.local_api_endpoint.advertise_address, &detected);
            Field::suggest("Advertise address", "the IP other nodes reach the API server on; ←/→ picks one of this host's interfaces", value, choices)
        }
        Slot::Endpoint => Field::text("Control-plane endpoint", "a stable DNS name or IP (optional :port) in front of the control plane: set it now to add control-plane nodes (HA) later", cl.control_plane_endpoint.clone()),
        Slot::Version => {
            let choices = versions::all().iter().rev().map(|v| Choice::plain(v.release.clone())).collect();
            Field::pick("Kubernetes version", "the release to install; ←/→ picks among the versions kubelift supports", defaults::normalize_version(&cl.kubernetes_version), choices)
        }
        Slot::PodCidr => Field::text("Pod CIDR", "the range pod IPs come from; the pod network add-on must use the same one; must not overlap your LAN or the service CIDR", or(&cl.networking.pod_subnet, ADDONS[0].pod_cidr)),
        Slot::ServiceCidr => Field::text("Service CIDR", "the range Service IPs come from (kubeadm's default 10.96.0.0/12)", or(&cl.networking.service_subnet, defaults::DEFAULT_SERVICE_SUBNET)),
        Slot::Addon => {
            let choices = ADDONS.iter().map(|a| Choice::plain(a.name)).collect();
            let pod = &cl.networking.pod_subnet;
            let name = match ADDONS.iter().find(|a| a.pod_cidr == pod) {
                _ if pod.is_empty() => ADDONS[0].name,
                Some(a) => a.name,
                None => "none",
            };
            Field::pick("Pod network add-on", "the network plugin you will install after init (kubelift sets the pod CIDR it expects and shows the command)", name, choices)
        }
        Slot::KeyType => {
            let choices = ENCRYPTION_ALGORITHMS.iter().map(|a| Choice::plain(*a)).collect();
            Field::pick("Key type", "the algorithm of every key and certificate (encryptionAlgorithm); ECDSA-P256 is fastest on small machines", base.encryption_algorithm(), choices)
        }
        Slot::Sans => Field::text("Extra certificate SANs", "more names or IPs clients will use for the API server, comma separated (a load balancer, a public IP)", cl.api_server.cert_sans.join(",")),
        Slot::TokenTtl => {
            let ttl = init.bootstrap_tokens.first().map(|t| t.ttl.as_str()).unwrap_or("");
            Field::text("Token TTL", "how long the join token lives (24h0m0s, 2h, 0 = forever: not recommended)", or(ttl, defaults::DEFAULT_TOKEN_TTL))
        }
    }
}
