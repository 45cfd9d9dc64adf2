//! The string rules kubeadm applies when it turns config values into SANs,
//! re-implemented with Go's exact acceptance so that the same config yields
//! the same certificate (a name Go would skip must be skipped here too).

use std::net::{IpAddr, Ipv4Addr};

/// Go's `net.SplitHostPort`: `None` where Go returns an error.
pub(crate) fn split_host_port(hostport: &str) -> Option<(&str, &str)> {
    let colon = hostport.rfind(':')?;
    let (host, j, k) = if hostport.starts_with('[') {
        let end = hostport.find(']')?;
        if end + 1 != colon {
            return None;
        }
        (&hostport[1..end], 1, end + 1)
    } else {
        let host = &hostport[..colon];
        if host.contains(':') {
            return None;
        }
        (host, 0, 0)
    };
    if hostport[j..].contains('[') || hostport[k..].contains(']') {
        return None;
    }
    Some((host, &hostport[colon + 1..]))
}

/// kubeadm's `ParseHostPort`: host (IP or RFC-1123 subdomain) and optional
/// port 1-65535; a bare host is accepted. Error texts are kubeadm's.
pub(crate) fn parse_host_port(hostport: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = split_host_port(hostport).unwrap_or((hostport, ""));
    let port = if port.is_empty() {
        None
    } else {
        Some(parse_port(port).ok_or_else(|| {
            format!("hostport {hostport}: port {port} must be a valid number between 1 and 65535, inclusive")
        })?)
    };
    if parse_ip_sloppy(host).is_some() || is_dns1123_subdomain(host) {
        return Ok((host.to_string(), port));
    }
    Err(format!("hostport {hostport}: host '{host}' must be a valid IP address or a valid RFC-1123 DNS subdomain"))
}

fn parse_port(port: &str) -> Option<u16> {
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    port.parse::<u16>().ok().filter(|p| *p != 0)
}

/// k8s `netutils.ParseIPSloppy`: Go's pre-1.17 `net.ParseIP`, which also
/// accepts IPv4 parts with leading zeros (read as decimal). IPv4-mapped IPv6
/// addresses come back as IPv4, because Go encodes them as 4-byte SANs.
pub(crate) fn parse_ip_sloppy(s: &str) -> Option<IpAddr> {
    let ip = s
        .parse::<IpAddr>()
        .ok()
        .or_else(|| sloppy_ipv4(s).map(IpAddr::V4))?;
    Some(ip.to_canonical())
}

fn sloppy_ipv4(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (octet, part) in octets.iter_mut().zip(parts) {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits = part.trim_start_matches('0');
        *octet = if digits.is_empty() {
            0
        } else {
            digits.parse::<u8>().ok()?
        };
    }
    Some(Ipv4Addr::from(octets))
}

/// k8s `validation.IsDNS1123Subdomain`: lower-case RFC-1123 labels joined by
/// dots, at most 253 characters (no per-label length limit, as in Go).
pub(crate) fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns1123_label_chars)
}

/// k8s `validation.IsWildcardDNS1123Subdomain`: `*.` followed by a subdomain.
pub(crate) fn is_wildcard_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.strip_prefix("*.").is_some_and(is_dns1123_subdomain)
}

fn is_dns1123_label_chars(label: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = label.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) => {
            alnum(first) && alnum(last) && bytes.iter().all(|&b| alnum(b) || b == b'-')
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_host_port_matches_go() {
        assert_eq!(split_host_port("host:6443"), Some(("host", "6443")));
        assert_eq!(split_host_port("[::1]:6443"), Some(("::1", "6443")));
        assert_eq!(split_host_port("host:"), Some(("host", "")));
        for bad in [
            "host", "::1", "[::1]", "[::1]x:1", "a:b:c", "[a]:b]:1", "a[:1",
        ] {
            assert_eq!(split_host_port(bad), None, "{bad}");
        }
    }

    #[test]
    fn parse_host_port_matches_kubeadm() {
        assert_eq!(
            parse_host_port("lb.example.com:6443").unwrap(),
            ("lb.example.com".into(), Some(6443))
        );
        assert_eq!(
            parse_host_port("lb.example.com").unwrap(),
            ("lb.example.com".into(), None)
        );
        assert_eq!(
            parse_host_port("10.0.0.1").unwrap(),
            ("10.0.0.1".into(), None)
        );
        assert_eq!(
            parse_host_port("[fd00::1]:443").unwrap(),
            ("fd00::1".into(), Some(443))
        );
        assert_eq!(
            parse_host_port("fd00::1").unwrap(),
            ("fd00::1".into(), None)
        );
        assert!(parse_host_port("lb:0")
            .unwrap_err()
            .contains("port 0 must be a valid number"));
        assert!(parse_host_port("lb:+80").is_err());
        assert!(parse_host_port("lb:70000").is_err());
        assert!(parse_host_port("LB.example.com:6443")
            .unwrap_err()
            .contains("host 'LB.example.com'"));
        assert!(parse_host_port("[fd00::1]").is_err());
    }

    #[test]
    fn sloppy_ip_parsing() {
        assert_eq!(
            parse_ip_sloppy("010.001.0.9"),
            Some("10.1.0.9".parse().unwrap())
        );
        assert_eq!(
            parse_ip_sloppy("::ffff:1.2.3.4"),
            Some("1.2.3.4".parse().unwrap())
        );
        assert_eq!(parse_ip_sloppy("::1"), Some("::1".parse().unwrap()));
        for bad in [
            "256.0.0.1",
            "1.2.3",
            "1.2.3.4.5",
            "a.b.c.d",
            "1..2.3",
            "",
            "fe80::1%eth0",
            "+1.2.3.4",
        ] {
            assert_eq!(parse_ip_sloppy(bad), None, "{bad}");
        }
    }

    #[test]
    fn dns1123_rules() {
        for good in [
            "a",
            "cp1",
            "kubernetes.default.svc",
            "a-b.c",
            "1.2.3",
            "x".repeat(253).as_str(),
        ] {
            assert!(is_dns1123_subdomain(good), "{good}");
        }
        for bad in [
            "",
            "A",
            "-a",
            "a-",
            "a..b",
            ".a",
            "a.",
            "a_b",
            "*.a",
            "x".repeat(254).as_str(),
        ] {
            assert!(!is_dns1123_subdomain(bad), "{bad}");
        }
        assert!(is_wildcard_dns1123_subdomain("*.apps.example.com"));
        assert!(!is_wildcard_dns1123_subdomain("*"));
        assert!(!is_wildcard_dns1123_subdomain("a.*.b"));
    }
}
