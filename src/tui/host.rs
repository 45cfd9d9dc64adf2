//! What the form offers as defaults: this machine's name and addresses.
//! Detected once, before the TUI starts; tests build it by hand.

use std::net::IpAddr;
use std::path::Path;

use crate::config::HostDefaults;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub interface: String,
    pub ip: IpAddr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFacts {
    /// kubeadm's dynamic defaults (hostname, default-route address, CRI sockets).
    pub defaults: HostDefaults,
    /// Addresses the API server could advertise, the default-route one first.
    pub addresses: Vec<Address>,
}

impl HostFacts {
    pub fn detect(root: &Path) -> HostFacts {
        let defaults = HostDefaults::detect(root);
        let addresses = order(interface_addresses(), defaults.default_address);
        HostFacts { defaults, addresses }
    }
}

/// The default-route address first, then the others as the kernel lists them.
fn order(mut addresses: Vec<Address>, default: Option<IpAddr>) -> Vec<Address> {
    addresses.sort_by_key(|a| Some(a.ip) != default);
    addresses
}

/// Addresses other nodes could reach: no loopback, no IPv6 link-local.
fn interface_addresses() -> Vec<Address> {
    crate::preflight::host::interface_addresses().into_iter().filter(|(_, ip)| usable(ip)).map(|(interface, ip)| Address { interface, ip }).collect()
}

fn usable(ip: &IpAddr) -> bool {
    let link_local_v6 = matches!(ip, IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80);
    !ip.is_loopback() && !ip.is_unspecified() && !ip.is_multicast() && !link_local_v6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_route_address_comes_first_and_link_local_is_left_out() {
        let a = |i: &str, ip: &str| Address { interface: i.into(), ip: ip.parse().unwrap() };
        let ordered = order(vec![a("eth0", "10.0.0.5"), a("eth1", "192.0.2.2")], Some("192.0.2.2".parse().unwrap()));
        assert_eq!(ordered[0].interface, "eth1");
        assert!(!usable(&"fe80::1".parse().unwrap()));
        assert!(!usable(&"127.0.0.1".parse().unwrap()));
        assert!(usable(&"fd00::2".parse().unwrap()));
    }
}
