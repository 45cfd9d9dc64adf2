//! Ports, addresses, routes, proxies, name resolution and firewalls.

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use super::{Ctx, Finding};
use crate::config::{join_host_port, nth_address};
use crate::preflight::input::EtcdInput;

const COMMAND_TIMEOUT: Duration = Duration::from_secs(3);
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
/// VirtualBox's NAT address: every VM has it, so no other node can reach it.
const VIRTUALBOX_NAT: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 15);
/// Interfaces a pod network creates; their routes are the cluster's own.
const POD_NETWORK_INTERFACES: [&str; 9] = ["cni", "flannel", "cali", "cilium", "vxlan.calico", "tunl", "kube-ipvs", "weave", "lxc"];

pub fn firewalld(c: &Ctx) -> Finding {
    if c.host.find_program("systemctl").is_none() {
        return Finding::skip("not checked: systemctl not found (no systemd)");
    }
    match c.host.run(&["systemctl", "is-active", "firewalld"], COMMAND_TIMEOUT) {
        Ok(out) if matches!(out.stdout.trim(), "active" | "activating") => {
            Finding::problem(format!("firewalld is active, please ensure ports [{} 10250] are open or your cluster may not function correctly", c.input.bind_port))
        }
        Ok(_) => Finding::pass("firewalld is not active"),
        Err(e) => Finding::skip(format!("not checked: {e}")),
    }
}

pub fn port(c: &Ctx, port: u16) -> Finding {
    match c.host.bind_port(port) {
        Ok(()) => Finding::pass(format!("port {port} is free")),
        Err(e) => Finding::problem(format!("Port {port} is in use ({e})")),
    }
}

/// The proxy the environment sets for HTTPS, as Go's ProxyFromEnvironment reads it.
fn https_proxy(c: &Ctx) -> Option<String> {
    ["HTTPS_PROXY", "https_proxy"].iter().find_map(|k| c.host.env(k)).filter(|v| !v.trim().is_empty())
}

fn no_proxy(c: &Ctx) -> String {
    ["NO_PROXY", "no_proxy"].iter().find_map(|k| c.host.env(k)).unwrap_or_default()
}

/// True when NO_PROXY (Go's rules: `*`, IPs, CIDRs, domain suffixes, optional
/// ports) exempts `host`; loopback and localhost never use a proxy.
pub fn exempt_from_proxy(host: &str, no_proxy: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let ip = host.parse::<IpAddr>().ok();
    if host == "localhost" || ip.is_some_and(|ip| ip.is_loopback()) {
        return true;
    }
    no_proxy.split(',').map(str::trim).filter(|e| !e.is_empty()).any(|entry| {
        let entry = entry.to_ascii_lowercase();
        if entry == "*" {
            return true;
        }
        if let (Ok(net), Some(ip)) = (entry.parse::<IpNet>(), ip) {
            return net.contains(&ip);
        }
        let bare = strip_port(&entry);
        if let (Ok(e), Some(ip)) = (bare.parse::<IpAddr>(), ip) {
            return e == ip;
        }
        let domain = bare.trim_start_matches('*').trim_start_matches('.');
        ip.is_none() && !domain.is_empty() && (host == domain || host.ends_with(&format!(".{domain}")))
    })
}

fn strip_port(entry: &str) -> &str {
    let e = entry.trim_start_matches('[');
    if let Some(end) = e.find(']') {
        return &e[..end];
    }
    match entry.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.parse::<u16>().is_ok() => h,
        _ => entry,
    }
}

/// `http://user:secret@proxy:3128` → `http://***@proxy:3128`: proxy URLs often carry passwords.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (authority, path) = rest.split_once('/').map(|(a, p)| (a, format!("/{p}"))).unwrap_or((rest, String::new()));
    let shown = match authority.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => authority.to_string(),
    };
    if scheme.is_empty() {
        format!("{shown}{path}")
    } else {
        format!("{scheme}://{shown}{path}")
    }
}

pub fn http_proxy(c: &Ctx) -> Finding {
    let Some(host) = c.input.api_host.as_deref() else { return Finding::skip("not checked: no API server address is known yet") };
    let url = format!("https://{}", join_host_port(host, c.input.bind_port));
    match https_proxy(c) {
        Some(proxy) if !exempt_from_proxy(host, &no_proxy(c)) => Finding::problem(format!(
            "Connection to {url:?} uses proxy {:?}. If that is not intended, adjust your proxy settings",
            redact_url(&proxy)
        ))
        .fix_arg(host),
        Some(_) => Finding::pass(format!("{url} is exempt from the proxy by NO_PROXY")),
        None => Finding::pass("no HTTPS proxy is set"),
    }
}

pub fn http_proxy_cidr(c: &Ctx) -> Finding {
    let Some(proxy) = https_proxy(c) else { return Finding::pass("no HTTPS proxy is set") };
    let no_proxy = no_proxy(c);
    // kubeadm asks whether the first address of each range would go through the proxy.
    let proxied: Vec<String> = c
        .input
        .pod_subnets
        .iter()
        .chain(&c.input.service_subnets)
        .filter(|net| nth_address(net, 1).is_some_and(|ip| !exempt_from_proxy(&ip.to_string(), &no_proxy)))
        .map(|net| net.to_string())
        .collect();
    if proxied.is_empty() {
        Finding::pass("NO_PROXY covers the Pod and Service ranges")
    } else {
        Finding::problem(format!(
            "connection to {} uses proxy {:?}. This may lead to malfunctional cluster setup. Make sure that Pod and Services IP ranges specified correctly as exceptions in proxy configuration",
            proxied.join(", "),
            redact_url(&proxy)
        ))
        .fix_arg(proxied.join(","))
    }
}

/// Addresses /etc/hosts gives `name`.
pub fn hosts_file_lookup(hosts: &str, name: &str) -> Vec<IpAddr> {
    hosts
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let ip = words.next()?.parse::<IpAddr>().ok()?;
            words.any(|w| w.eq_ignore_ascii_case(name)).then_some(ip)
        })
        .collect()
}

pub fn hostname(c: &Ctx) -> Finding {
    let name = &c.input.node_name;
    let hosts_line = format!("{} {name}", c.input.advertise_address.map(|a| a.to_string()).unwrap_or_else(|| "<node address>".into()));
    let hosts = c.host.read_file("/etc/hosts").map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let found = hosts_file_lookup(&hosts, name);
    if let Some(ip) = found.first() {
        return Finding::pass(format!("hostname {name:?} resolves to {ip} through /etc/hosts"));
    }
    if !c.input.network_probes {
        return Finding::skip(format!(
            "not checked: hostname {name:?} is not in /etc/hosts, and DNS is not asked because network probes are off (--network-probes)"
        ))
        .fix_arg(hosts_line);
    }
    match c.host.resolve(name) {
        Ok(ips) if !ips.is_empty() => Finding::pass(format!("hostname {name:?} resolves to {}", ips[0])),
        Ok(_) => Finding::problem(format!("hostname {name:?} could not be reached")).fix_arg(hosts_line),
        Err(e) => Finding::problem(format!("hostname {name:?}: lookup {name}: {e}")).fix_arg(hosts_line),
    }
}

pub fn advertise_address(c: &Ctx) -> Finding {
    let Some(addr) = c.input.advertise_address else {
        return Finding::problem("no advertise address is set and none could be detected (no default route)").fix_arg(local_list(c));
    };
    let local = c.host.local_addresses();
    match local.iter().find(|(_, ip)| *ip == addr) {
        None => Finding::problem(format!("advertise address {addr} is not assigned to any local interface")).fix_arg(local_list(c)),
        Some(_) if addr == IpAddr::V4(VIRTUALBOX_NAT) => Finding::warn(format!(
            "advertise address {addr} is VirtualBox's NAT address, which every VM has; other nodes cannot reach it"
        ))
        .fix_arg(local_list(c)),
        Some(_) if addr.is_loopback() => Finding::warn(format!("advertise address {addr} is a loopback address; no other node can reach it")).fix_arg(local_list(c)),
        Some((iface, _)) => Finding::pass(format!("advertise address {addr} is on {iface}")),
    }
}

fn local_list(c: &Ctx) -> String {
    let list: Vec<String> = c
        .host
        .local_addresses()
        .into_iter()
        .filter(|(_, ip)| !ip.is_loopback() && !is_link_local(ip))
        .map(|(iface, ip)| format!("{ip} on {iface}"))
        .collect();
    if list.is_empty() {
        "none found".into()
    } else {
        list.join(", ")
    }
}

fn is_link_local(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

/// One route of the host's routing table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub net: IpNet,
    pub iface: String,
}

/// Routes from /proc/net/route (hex, little-endian) and /proc/net/ipv6_route.
pub fn parse_routes(v4: &str, v6: &str) -> Vec<Route> {
    let mut out = vec![];
    for line in v4.lines().skip(1) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 8 {
            continue;
        }
        let hex = |s: &str| u32::from_str_radix(s, 16).ok().map(|v| Ipv4Addr::from(v.to_le_bytes()));
        if let (Some(dest), Some(mask)) = (hex(cols[1]), hex(cols[7])) {
            let prefix = u32::from(mask).count_ones() as u8;
            if let Ok(net) = ipnet::Ipv4Net::new(dest, prefix) {
                out.push(Route { net: IpNet::V4(net.trunc()), iface: cols[0].into() });
            }
        }
    }
    for line in v6.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 10 || cols[0].len() != 32 {
            continue;
        }
        let (Ok(bits), Ok(prefix)) = (u128::from_str_radix(cols[0], 16), u8::from_str_radix(cols[1], 16)) else { continue };
        if let Ok(net) = ipnet::Ipv6Net::new(Ipv6Addr::from(bits), prefix) {
            out.push(Route { net: IpNet::V6(net.trunc()), iface: cols[9].into() });
        }
    }
    out
}

fn relevant(route: &Route) -> bool {
    let special = match route.net {
        IpNet::V4(n) => n.network().is_multicast() || n.network().is_link_local(),
        IpNet::V6(n) => n.network().is_multicast() || (n.network().segments()[0] & 0xffc0) == 0xfe80,
    };
    route.net.prefix_len() > 0 && !special && route.iface != "lo" && !POD_NETWORK_INTERFACES.iter().any(|p| route.iface.starts_with(p))
}

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

pub fn network_ranges(c: &Ctx) -> Finding {
    let v4 = c.host.read_kernel("/proc/net/route").unwrap_or_default();
    let v6 = c.host.read_kernel("/proc/net/ipv6_route").unwrap_or_default();
    let routes: Vec<Route> = parse_routes(&v4, &v6).into_iter().filter(relevant).collect();
    let ranges: Vec<(&str, &IpNet)> = c
        .input
        .pod_subnets
        .iter()
        .map(|n| ("pod subnet", n))
        .chain(c.input.service_subnets.iter().map(|n| ("service subnet", n)))
        .collect();
    let mut problems = vec![];
    for (what, net) in &ranges {
        for r in routes.iter().filter(|r| overlaps(net, &r.net)) {
            problems.push(format!("{what} {net} overlaps the host route {} on {}", r.net, r.iface));
        }
        if let Some(addr) = c.input.advertise_address.filter(|a| net.contains(a)) {
            problems.push(format!("{what} {net} contains the advertise address {addr}"));
        }
    }
    if problems.is_empty() {
        Finding::pass(format!("the Pod and Service ranges overlap none of {} host route(s)", routes.len()))
    } else {
        let current = ranges.iter().map(|(w, n)| format!("{w} {n}")).collect::<Vec<_>>().join(", ");
        Finding::problem(problems.join("; ")).fix_arg(format!("now: {current}"))
    }
}

pub fn external_etcd_version(c: &Ctx) -> Finding {
    let EtcdInput::External { endpoints, .. } = &c.input.etcd else { return Finding::skip("etcd is not external") };
    if !c.input.network_probes {
        return Finding::skip("not checked: the external etcd is not contacted because network probes are off (--network-probes)");
    }
    let mut unreachable = vec![];
    for ep in endpoints {
        let hostport = ep.split_once("://").map(|(_, r)| r).unwrap_or(ep).trim_end_matches('/');
        let (host, port) = match crate::config::validate::split_host_port(hostport) {
            Some((h, Some(p))) => (h, p),
            Some((h, None)) => (h, 2379),
            None => {
                unreachable.push(format!("{ep} (not host:port)"));
                continue;
            }
        };
        if let Err(e) = c.host.tcp_connect(&host, port, PROBE_TIMEOUT) {
            unreachable.push(format!("{ep} ({e})"));
        }
    }
    if unreachable.is_empty() {
        // Reading /version needs the TLS client of the control-plane issue; say so rather than guess.
        Finding::skip(format!("{} endpoint(s) answer on TCP; their etcd version (3.2.18 or newer needed) is not read yet", endpoints.len()))
    } else {
        Finding::problem(format!("external etcd unreachable: {}", unreachable.join(", "))).fix_arg(endpoints.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_rules_as_go_reads_them() {
        assert!(exempt_from_proxy("10.96.0.1", "10.96.0.0/12"));
        assert!(exempt_from_proxy("10.0.0.5", "localhost,10.0.0.5"));
        assert!(exempt_from_proxy("cp.example.com", ".example.com"));
        assert!(exempt_from_proxy("cp.example.com", "example.com:6443"));
        assert!(exempt_from_proxy("127.0.0.1", ""));
        assert!(exempt_from_proxy("anything", "*"));
        assert!(!exempt_from_proxy("10.244.0.1", "10.96.0.0/12,.svc"));
        assert!(!exempt_from_proxy("notexample.com", "example.com"));
        assert!(!exempt_from_proxy("10.1.2.3", ",, ,"));
    }

    #[test]
    fn proxy_passwords_are_hidden() {
        assert_eq!(redact_url("http://user:s3cret@proxy:3128"), "http://***@proxy:3128");
        assert_eq!(redact_url("http://proxy:3128/"), "http://proxy:3128/");
        assert_eq!(redact_url("u:p@proxy"), "***@proxy");
    }

    #[test]
    fn hosts_file() {
        let hosts = "127.0.0.1 localhost\n10.0.0.2 cp1 cp1.lan # main\n# 10.0.0.3 node2\n";
        assert_eq!(hosts_file_lookup(hosts, "cp1"), [IpAddr::from([10, 0, 0, 2])]);
        assert!(hosts_file_lookup(hosts, "node2").is_empty());
    }

    #[test]
    fn routes_from_proc() {
        let v4 = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n\
                  eth0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\n\
                  eth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n\
                  bad line\n";
        let v6 = "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth0\n";
        let routes = parse_routes(v4, v6);
        assert_eq!(routes[1].net.to_string(), "192.168.2.0/24");
        assert_eq!(routes[2].net.to_string(), "fd00::/64");
        assert!(!relevant(&routes[0]), "the default route overlaps everything and is ignored");
        assert!(relevant(&routes[1]));
    }
}
