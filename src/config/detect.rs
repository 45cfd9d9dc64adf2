//! Values kubeadm detects on the host when the configuration leaves them empty.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

/// What the defaults need to know about this machine. Tests build it by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostDefaults {
    /// Lower-cased, trimmed OS hostname (kubeadm's default node name).
    pub hostname: String,
    /// The address of the interface that holds the default route.
    pub default_address: Option<IpAddr>,
    /// CRI sockets present on the host, as `unix://` URLs.
    pub cri_sockets: Vec<String>,
}

/// Sockets kubeadm probes, in its order.
pub const KNOWN_CRI_SOCKETS: &[&str] =
    &["/run/containerd/containerd.sock", "/var/run/crio/crio.sock", "/var/run/cri-dockerd.sock"];

/// kubeadm's default when no runtime socket is found (v1.24 GA onward).
pub const DEFAULT_CRI_SOCKET: &str = "unix:///var/run/containerd/containerd.sock";

impl HostDefaults {
    /// Reads this machine. `root` is where host files are looked up (`/` normally).
    pub fn detect(root: &Path) -> HostDefaults {
        HostDefaults {
            hostname: hostname(),
            default_address: default_route_interface().and_then(|i| interface_address(&i)),
            cri_sockets: KNOWN_CRI_SOCKETS
                .iter()
                .filter(|p| is_socket(&root.join(p.trim_start_matches('/'))))
                .map(|p| format!("unix://{p}"))
                .collect(),
        }
    }

    /// A fixed host for tests and for `config print`, as kubeadm's placeholders.
    pub fn placeholder() -> HostDefaults {
        HostDefaults {
            hostname: "node".into(),
            default_address: Some(IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4))),
            cri_sockets: vec![],
        }
    }
}

fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_default()
        .trim()
        .to_lowercase()
}

fn is_socket(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).map(|m| m.file_type().is_socket()).unwrap_or(false)
}

/// The interface of the IPv4 default route, from /proc/net/route.
fn default_route_interface() -> Option<String> {
    let table = std::fs::read_to_string("/proc/net/route").ok()?;
    parse_default_route(&table)
}

pub(crate) fn parse_default_route(table: &str) -> Option<String> {
    table.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let is_default = cols.get(1) == Some(&"00000000") && cols.get(7) == Some(&"00000000");
        let up = cols.get(3).and_then(|f| u32::from_str_radix(f, 16).ok()).is_some_and(|f| f & 1 == 1);
        (is_default && up).then(|| cols[0].to_string())
    })
}

fn interface_address(interface: &str) -> Option<IpAddr> {
    let addrs = nix::ifaddrs::getifaddrs().ok()?;
    addrs
        .filter(|a| a.interface_name == interface)
        .filter_map(|a| a.address?.as_sockaddr_in().map(|s| IpAddr::V4(s.ip())))
        .find(|ip| !ip.is_loopback() && !ip.is_unspecified())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_default_route_interface() {
        let table = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n\
                     eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n\
                     eth1\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\n";
        assert_eq!(parse_default_route(table).as_deref(), Some("eth1"));
        assert_eq!(parse_default_route("Iface\n"), None);
    }
}
