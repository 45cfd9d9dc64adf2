//! The checks a CSR must pass before kubelift approves it, per signer, as
//! kube-controller-manager's csrapproving recognizers (kubelet client
//! certificates) and kubelet-csr-approver (kubelet serving certificates)
//! apply them (docs/csr.md lists each check).
//!
//! Judging is pure: the request, the cluster's Nodes as last seen, and the
//! operator's policy go in; a verdict with one result per check comes out.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use ipnet::IpNet;
use k8s_openapi::api::core::v1::Node;
use serde::{Deserialize, Serialize};

use super::{Decoded, KeyInfo, Request, APISERVER_CLIENT, KUBELET_CLIENT, KUBELET_SERVING};

/// The longest lifetime kubelift approves by default: kubeadm's
/// `--cluster-signing-duration` (8760h), so a request cannot ask for more
/// than the signer would give anyway.
pub const DEFAULT_MAX_DURATION: Duration = Duration::from_secs(8760 * 3600);

const SERVING_USAGES: [&str; 3] = ["digital signature", "key encipherment", "server auth"];
const CLIENT_USAGES: [&str; 3] = ["digital signature", "key encipherment", "client auth"];
/// Groups that make any client certificate a cluster administrator.
const PRIVILEGED_GROUPS: [&str; 1] = ["system:masters"];

/// The result of one check, or of a whole verdict (the worst of its checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Pass,
    /// Nothing is wrong that kubelift can see, but a person should look.
    Warn,
    Fail,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Pass => "pass",
            Level::Warn => "warn",
            Level::Fail => "fail",
        }
    }
}

/// One check: a stable id (docs/csr.md), its result and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    #[serde(rename = "check")]
    pub id: &'static str,
    #[serde(rename = "result")]
    pub level: Level,
    pub detail: String,
}

/// Which rule set judged the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    KubeletServing,
    KubeletClient,
    /// A signer kubelift has no rule set for; only the general checks ran.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    #[serde(rename = "result")]
    pub level: Level,
    pub profile: Profile,
    pub checks: Vec<Check>,
}

impl Verdict {
    fn of(profile: Profile, checks: Vec<Check>) -> Verdict {
        let level = checks.iter().map(|c| c.level).max().unwrap_or(Level::Pass);
        Verdict { level, profile, checks }
    }

    pub fn passed(&self) -> bool {
        self.level == Level::Pass
    }

    /// The checks that did not pass, worst first.
    pub fn problems(&self) -> Vec<&Check> {
        let mut out: Vec<&Check> = self.checks.iter().filter(|c| c.level != Level::Pass).collect();
        out.sort_by_key(|c| std::cmp::Reverse(c.level));
        out
    }

    /// One line: "all 11 checks passed", or the problems joined.
    pub fn summary(&self) -> String {
        let problems = self.problems();
        if problems.is_empty() {
            return format!("all {} checks passed", self.checks.len());
        }
        problems.iter().map(|c| format!("{} {}: {}", c.level.label(), c.id, c.detail)).collect::<Vec<_>>().join("; ")
    }
}

/// The operator's settings for the checks (flags, or a policy file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Requests asking (spec.expirationSeconds) for longer fail.
    pub max_duration: Duration,
    /// When set, every IP SAN must also lie in one of these ranges: a node
    /// writes its own status.addresses, so this guards against a node that
    /// claims someone else's address.
    pub allowed_ip_ranges: Vec<IpNet>,
    /// DNS SANs `<node>.<suffix>` are accepted for these suffixes even when
    /// the Node does not list the name (clusters whose node DNS names are
    /// not in status.addresses). A node can never claim a name under another's.
    pub allowed_dns_suffixes: Vec<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { max_duration: DEFAULT_MAX_DURATION, allowed_ip_ranges: Vec::new(), allowed_dns_suffixes: Vec::new() }
    }
}

/// The policy file (YAML or JSON): every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyFile {
    pub max_duration: Option<String>,
    #[serde(rename = "allowedIPRanges")]
    pub allowed_ip_ranges: Option<Vec<String>>,
    #[serde(rename = "allowedDNSSuffixes")]
    pub allowed_dns_suffixes: Option<Vec<String>>,
}

impl Policy {
    /// Reads a policy file; errors name the file, the key and the fix.
    pub fn from_file(path: &Path) -> Result<Policy, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read the policy file {}: {e} (check the path given to --policy-file)", path.display()))?;
        let file: PolicyFile = serde_yaml::from_str(&text).map_err(|e| {
            format!("the policy file {} is invalid: {e} (keys: maxDuration, allowedIPRanges, allowedDNSSuffixes)", path.display())
        })?;
        let mut policy = Policy::default();
        if let Some(d) = &file.max_duration {
            policy.max_duration = parse_duration(d).map_err(|e| format!("{}: maxDuration: {e}", path.display()))?;
        }
        for r in file.allowed_ip_ranges.iter().flatten() {
            policy.allowed_ip_ranges.push(parse_range(r).map_err(|e| format!("{}: allowedIPRanges: {e}", path.display()))?);
        }
        for s in file.allowed_dns_suffixes.iter().flatten() {
            policy.allowed_dns_suffixes.push(parse_suffix(s).map_err(|e| format!("{}: allowedDNSSuffixes: {e}", path.display()))?);
        }
        Ok(policy)
    }
}

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let d = crate::config::duration::parse(text)?;
    if d < Duration::from_secs(600) {
        return Err(format!("{text:?} is under 10m, the shortest certificate the API server lets a request ask for"));
    }
    Ok(d)
}

pub fn parse_range(text: &str) -> Result<IpNet, String> {
    text.trim().parse::<IpNet>().or_else(|_| text.trim().parse::<IpAddr>().map(IpNet::from)).map_err(|_| format!("{text:?} is not a CIDR range like 10.0.0.0/8"))
}

pub fn parse_suffix(text: &str) -> Result<String, String> {
    let s = text.trim().trim_start_matches('.').to_ascii_lowercase();
    if s.is_empty() || s.contains(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.')) {
        return Err(format!("{text:?} is not a DNS suffix like nodes.example.com"));
    }
    Ok(s)
}

/// What kubelift knows of one Node: its name and status.addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFacts {
    pub name: String,
    /// (type, address), e.g. ("InternalIP", "10.0.0.2"), ("Hostname", "cp1").
    pub addresses: Vec<(String, String)>,
}

impl NodeFacts {
    pub fn from_node(node: &Node) -> NodeFacts {
        let addresses = node.status.as_ref().and_then(|s| s.addresses.as_ref()).into_iter().flatten().map(|a| (a.type_.clone(), a.address.clone())).collect();
        NodeFacts { name: node.metadata.name.clone().unwrap_or_default(), addresses }
    }

    /// The node's DNS names: its name, Hostname, InternalDNS and ExternalDNS addresses.
    pub fn dns_names(&self) -> Vec<String> {
        let listed = self.addresses.iter().filter(|(t, _)| matches!(t.as_str(), "Hostname" | "InternalDNS" | "ExternalDNS")).map(|(_, a)| a.to_ascii_lowercase());
        std::iter::once(self.name.to_ascii_lowercase()).chain(listed).collect()
    }

    /// The node's IPs: InternalIP and ExternalIP addresses.
    pub fn ips(&self) -> Vec<IpAddr> {
        self.addresses.iter().filter(|(t, _)| matches!(t.as_str(), "InternalIP" | "ExternalIP")).filter_map(|(_, a)| a.parse().ok()).collect()
    }

    fn describe(&self) -> String {
        if self.addresses.is_empty() {
            return "it lists no addresses yet".into();
        }
        let list: Vec<String> = self.addresses.iter().map(|(t, a)| format!("{a} {t}")).collect();
        format!("its addresses: {}", list.join(", "))
    }
}

/// The cluster's Nodes by name, as last listed or watched.
#[derive(Debug, Clone, Default)]
pub struct Nodes(pub HashMap<String, NodeFacts>);

impl Nodes {
    pub fn from_list(nodes: &[Node]) -> Nodes {
        Nodes(nodes.iter().map(NodeFacts::from_node).map(|n| (n.name.clone(), n)).collect())
    }

    pub fn get(&self, name: &str) -> Option<&NodeFacts> {
        self.0.get(name)
    }

    pub fn insert(&mut self, node: NodeFacts) {
        self.0.insert(node.name.clone(), node);
    }

    pub fn remove(&mut self, name: &str) {
        self.0.remove(name);
    }
}

/// Judges one request.
pub fn judge(req: &Request, nodes: &Nodes, policy: &Policy) -> Verdict {
    let profile = match req.signer.as_str() {
        KUBELET_SERVING => Profile::KubeletServing,
        KUBELET_CLIENT => Profile::KubeletClient,
        _ => Profile::Other,
    };
    let decoded = match req.decoded.as_ref() {
        Ok(d) => d,
        Err(e) => return Verdict::of(profile, vec![fail("decode", format!("{e}"))]),
    };
    let mut checks = vec![pass("decode", "PKCS#10 request".into()), signature(decoded), key_strength(&decoded.key), duration(req.expiration_seconds, policy)];
    match profile {
        Profile::KubeletServing => checks.extend(serving_checks(req, decoded, nodes, policy)),
        Profile::KubeletClient => checks.extend(client_checks(req, decoded, nodes)),
        Profile::Other => checks.extend(other_checks(req, decoded)),
    }
    Verdict::of(profile, checks)
}

fn pass(id: &'static str, detail: String) -> Check {
    Check { id, level: Level::Pass, detail }
}

fn warn(id: &'static str, detail: String) -> Check {
    Check { id, level: Level::Warn, detail }
}

fn fail(id: &'static str, detail: String) -> Check {
    Check { id, level: Level::Fail, detail }
}

fn signature(d: &Decoded) -> Check {
    match &d.signature {
        Ok(()) => pass("signature", "the request is signed by the key it carries".into()),
        Err(e) if e.starts_with("not verifiable") => fail("signature", format!("the self-signature is {e}")),
        Err(e) => fail("signature", format!("the self-signature does not verify ({e}): the requester may not hold the private key")),
    }
}

fn key_strength(key: &KeyInfo) -> Check {
    match key {
        KeyInfo::Rsa { bits } if *bits >= 2048 => pass("key-strength", format!("RSA {bits} bits")),
        KeyInfo::Rsa { bits } => fail("key-strength", format!("RSA {bits} bits is too weak: at least 2048 are required")),
        KeyInfo::Ecdsa { curve, .. } if curve == "P-256" || curve == "P-384" => pass("key-strength", format!("ECDSA {curve}")),
        other => fail("key-strength", format!("{other} is not accepted: use RSA (2048 bits or more) or ECDSA P-256/P-384, the keys kubelets and kubeadm make")),
    }
}

fn duration(expiration_seconds: Option<i32>, policy: &Policy) -> Check {
    let cap = policy.max_duration;
    match expiration_seconds {
        None => pass("duration", "no spec.expirationSeconds: the signer's default (--cluster-signing-duration) applies".into()),
        Some(s) if s > 0 && Duration::from_secs(s as u64) <= cap => pass("duration", format!("{} requested", crate::config::duration::format(Duration::from_secs(s as u64)))),
        Some(s) => fail(
            "duration",
            format!("{s} s requested, over the cap of {}; raise --max-duration if that is intended", crate::config::duration::format(cap)),
        ),
    }
}

// ---- kubelet serving (kubernetes.io/kubelet-serving) ----

fn serving_checks(req: &Request, d: &Decoded, nodes: &Nodes, policy: &Policy) -> Vec<Check> {
    let node = req.requesting_node();
    let mut checks = vec![node_requestor(req), cn_is_requestor(req, d), organization(d), serving_usages(req, d), serving_sans(d)];
    let Some(node_name) = node else {
        checks.push(fail("node", format!("{:?} is no node, so no Node object says which names and addresses it owns", req.username)));
        return checks;
    };
    match nodes.get(node_name) {
        None => checks.push(fail("node", format!("Node {node_name} does not exist: a serving certificate is judged against the Node object of its requester"))),
        Some(n) => {
            checks.push(pass("node", format!("Node {node_name} exists")));
            checks.push(dns_names(d, n, policy));
            checks.push(ip_addresses(d, n, policy));
        }
    }
    checks
}

/// The requester must be a node: `system:node:<name>` in group system:nodes.
fn node_requestor(req: &Request) -> Check {
    let in_group = req.groups.iter().any(|g| g == "system:nodes");
    match req.requesting_node() {
        Some(n) if in_group => pass("requestor", format!("node {n} (system:nodes)")),
        Some(_) => fail("requestor", format!("{} is not in group system:nodes", req.username)),
        None => fail("requestor", format!("{:?} is not a node: only system:node:<name> may ask for its serving certificate", req.username)),
    }
}

fn cn_is_requestor(req: &Request, d: &Decoded) -> Check {
    match d.common_name() {
        Some(cn) if cn == req.username => pass("common-name", format!("CN {cn} is the requester")),
        Some(cn) => fail("common-name", format!("CN {cn} is not the requester {}: a node may only ask for its own name", req.username)),
        None => fail("common-name", format!("the subject has {} CNs, not exactly one", d.common_names.len())),
    }
}

fn organization(d: &Decoded) -> Check {
    if d.organizations == ["system:nodes"] {
        pass("organization", "O system:nodes".into())
    } else {
        fail("organization", format!("O is {:?}; it must be exactly [\"system:nodes\"]", d.organizations))
    }
}

fn serving_usages(req: &Request, d: &Decoded) -> Check {
    usages_check(req, d, &SERVING_USAGES, "server auth")
}

/// The usages must come from `allowed` and include `required`; key
/// encipherment only means something for RSA, but kubelets up to v1.26 ask
/// for it with ECDSA keys too and the v1.24 signer requires it, so it is
/// tolerated for every key (kubeadm-facts §7.2).
fn usages_check(req: &Request, d: &Decoded, allowed: &[&str], required: &str) -> Check {
    let extra: Vec<&String> = req.usages.iter().filter(|u| !allowed.contains(&u.as_str())).collect();
    if !extra.is_empty() {
        return fail("usages", format!("{extra:?} not allowed: only {allowed:?}"));
    }
    if !req.usages.iter().any(|u| u == required) {
        return fail("usages", format!("{:?} lacks {required:?}", req.usages));
    }
    if !req.usages.iter().any(|u| u == "digital signature") {
        return fail("usages", format!("{:?} lacks \"digital signature\"", req.usages));
    }
    let note = if req.usages.iter().any(|u| u == "key encipherment") && !d.key.is_rsa() { " (key encipherment tolerated for a non-RSA key)" } else { "" };
    pass("usages", format!("{}{note}", req.usages.join(", ")))
}

fn serving_sans(d: &Decoded) -> Check {
    let s = &d.sans;
    if !s.emails.is_empty() || !s.uris.is_empty() || !s.other.is_empty() {
        let bad: Vec<String> = s.describe().into_iter().filter(|n| !n.starts_with("DNS:") && !n.starts_with("IP:")).collect();
        return fail("san-types", format!("{} not allowed: a serving certificate names a node by DNS names and IPs only", bad.join(", ")));
    }
    if s.dns.is_empty() && s.ips.is_empty() {
        return fail("san-types", "no DNS or IP SAN: the certificate would name nothing to serve".into());
    }
    pass("san-types", format!("{} DNS, {} IP", s.dns.len(), s.ips.len()))
}

fn dns_names(d: &Decoded, node: &NodeFacts, policy: &Policy) -> Check {
    let own = node.dns_names();
    let under_suffix = |name: &str| own.iter().any(|base| policy.allowed_dns_suffixes.iter().any(|s| name == format!("{base}.{s}")));
    let foreign: Vec<&String> = d.sans.dns.iter().filter(|n| {
        let n = n.to_ascii_lowercase();
        !own.contains(&n) && !under_suffix(&n)
    }).collect();
    if foreign.is_empty() {
        return pass("dns-names", if d.sans.dns.is_empty() { "none requested".into() } else { format!("{} belong to Node {}", d.sans.dns.join(", "), node.name) });
    }
    let names: Vec<&str> = foreign.iter().map(|s| s.as_str()).collect();
    fail("dns-names", format!("{} not a name of Node {} ({}); allow <node>.<suffix> names with --allowed-dns-suffix", names.join(", "), node.name, node.describe()))
}

fn ip_addresses(d: &Decoded, node: &NodeFacts, policy: &Policy) -> Check {
    let own = node.ips();
    let foreign: Vec<String> = d.sans.ips.iter().filter(|ip| !own.contains(ip)).map(|ip| ip.to_string()).collect();
    if !foreign.is_empty() {
        return fail("ip-addresses", format!("{} not an address of Node {} ({})", foreign.join(", "), node.name, node.describe()));
    }
    let ranges = &policy.allowed_ip_ranges;
    let outside: Vec<String> = d.sans.ips.iter().filter(|ip| !ranges.is_empty() && !ranges.iter().any(|r| r.contains(*ip))).map(|ip| ip.to_string()).collect();
    if !outside.is_empty() {
        let list: Vec<String> = ranges.iter().map(|r| r.to_string()).collect();
        return fail("ip-addresses", format!("{} outside the allowed ranges {}", outside.join(", "), list.join(", ")));
    }
    let ips: Vec<String> = d.sans.ips.iter().map(|ip| ip.to_string()).collect();
    pass("ip-addresses", if ips.is_empty() { "none requested".into() } else { format!("{} belong to Node {}", ips.join(", "), node.name) })
}

// ---- kubelet client (kubernetes.io/kube-apiserver-client-kubelet) ----

fn client_checks(req: &Request, d: &Decoded, nodes: &Nodes) -> Vec<Check> {
    vec![client_requestor(req, d), client_common_name(d), organization(d), no_sans(d), client_usages(req, d), node_takeover(req, d, nodes)]
}

/// The controller-manager's two recognizers: a bootstrap token asking for a
/// node identity (nodeclient), or a node renewing its own (selfnodeclient).
fn client_requestor(req: &Request, d: &Decoded) -> Check {
    let in_group = |g: &str| req.groups.iter().any(|x| x == g);
    if let Some(id) = req.username.strip_prefix("system:bootstrap:") {
        return if in_group("system:bootstrappers") {
            pass("requestor", format!("bootstrap token {id} (system:bootstrappers)"))
        } else {
            fail("requestor", format!("{} is not in group system:bootstrappers", req.username))
        };
    }
    if let Some(node) = req.requesting_node() {
        return match (in_group("system:nodes"), d.common_name() == Some(req.username.as_str())) {
            (true, true) => pass("requestor", format!("node {node} renewing its own certificate")),
            (false, _) => fail("requestor", format!("{} is not in group system:nodes", req.username)),
            (true, false) => fail("requestor", format!("node {node} asks for another identity ({:?}); a node may only renew its own", d.common_name().unwrap_or("?"))),
        };
    }
    fail("requestor", format!("{:?} is neither a bootstrap token (system:bootstrap:<id>) nor the node itself", req.username))
}

fn client_common_name(d: &Decoded) -> Check {
    match d.common_name() {
        Some(cn) if cn.strip_prefix("system:node:").is_some_and(|n| !n.is_empty()) => pass("common-name", format!("CN {cn}")),
        Some(cn) => fail("common-name", format!("CN {cn} is not system:node:<name>")),
        None => fail("common-name", format!("the subject has {} CNs, not exactly one", d.common_names.len())),
    }
}

fn no_sans(d: &Decoded) -> Check {
    if d.sans.is_empty() {
        pass("san-types", "no SANs".into())
    } else {
        fail("san-types", format!("{} requested: a node client certificate carries no SANs", d.sans.describe().join(", ")))
    }
}

fn client_usages(req: &Request, d: &Decoded) -> Check {
    usages_check(req, d, &CLIENT_USAGES, "client auth")
}

/// A bootstrap token asking for the identity of a Node that exists may be
/// a re-join, or a takeover; kubeadm join refuses when that Node is Ready.
fn node_takeover(req: &Request, d: &Decoded, nodes: &Nodes) -> Check {
    let target = d.common_name().and_then(|cn| cn.strip_prefix("system:node:")).unwrap_or("");
    let bootstrap = req.username.starts_with("system:bootstrap:");
    match nodes.get(target) {
        Some(_) if bootstrap => warn("existing-node", format!("Node {target} already exists: a bootstrap token asking for its identity re-joins or takes over that node")),
        _ => pass("existing-node", if bootstrap { format!("no Node {target} yet") } else { "renewal".into() }),
    }
}

// ---- other signers ----

fn other_checks(req: &Request, d: &Decoded) -> Vec<Check> {
    let signer = warn("signer", format!("kubelift has no rule set for signer {}: judge the request yourself", req.signer));
    let privileged: Vec<&String> = d.organizations.iter().filter(|o| PRIVILEGED_GROUPS.contains(&o.as_str())).collect();
    let group = if privileged.is_empty() {
        pass("privileged-group", "no administrator group in O".into())
    } else if req.signer == APISERVER_CLIENT || req.signer == "kubernetes.io/legacy-unknown" {
        fail("privileged-group", format!("O {privileged:?} would make the certificate's holder a cluster administrator"))
    } else {
        warn("privileged-group", format!("O {privileged:?} is the administrator group"))
    };
    vec![signer, group]
}
