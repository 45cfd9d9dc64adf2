//! The packet-filter state kube-proxy (and the kubelet) leave in the kernel:
//! `KUBE-*` chains in iptables and ip6tables, the `kube-proxy` nftables
//! tables, and IPVS virtual servers with their `kube-ipvs0` device.
//!
//! Only what kube-proxy names as its own is removed: rules in other chains
//! are deleted only when they jump to a `KUBE-*` chain, and chains of other
//! names are never flushed. The commands are read and run through `Host`, so
//! tests fake the kernel.

use std::time::Duration;

use crate::preflight::Host;

const TIMEOUT: Duration = Duration::from_secs(30);
const TABLES: [&str; 4] = ["filter", "nat", "mangle", "raw"];

/// The commands that remove kube-proxy's rules on this machine, in order.
pub fn plan(host: &dyn Host) -> Vec<Vec<String>> {
    let mut commands = vec![];
    for bin in ["iptables", "ip6tables"] {
        if host.find_program(bin).is_none() {
            continue;
        }
        for table in TABLES {
            if let Ok(out) = host.run(&[bin, "-t", table, "-S"], TIMEOUT) {
                if out.success() {
                    commands.extend(iptables_cleanup(bin, table, &out.stdout));
                }
            }
        }
    }
    if host.find_program("nft").is_some() {
        if let Ok(out) = host.run(&["nft", "list", "tables"], TIMEOUT) {
            commands.extend(nft_cleanup(&out.stdout));
        }
    }
    if host.run(&["ip", "link", "show", "kube-ipvs0"], TIMEOUT).is_ok_and(|o| o.success()) {
        if host.find_program("ipvsadm").is_some() {
            commands.push(words(&["ipvsadm", "--clear"]));
        }
        commands.push(words(&["ip", "link", "delete", "kube-ipvs0"]));
    }
    commands
}

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| s.to_string()).collect()
}

fn is_kube_chain(name: &str) -> bool {
    name.starts_with("KUBE-")
}

/// From `iptables -t T -S`: delete the jumps into KUBE-* chains from other
/// chains, then flush every KUBE-* chain, then delete them (a chain can be
/// deleted only when nothing refers to it).
pub fn iptables_cleanup(bin: &str, table: &str, listing: &str) -> Vec<Vec<String>> {
    let mut jumps = vec![];
    let mut chains = vec![];
    for line in listing.lines() {
        let args = split_args(line);
        match args.first().map(String::as_str) {
            Some("-N") if args.get(1).is_some_and(|c| is_kube_chain(c)) => chains.push(args[1].clone()),
            Some("-A") if args.get(1).is_some_and(|c| !is_kube_chain(c)) => {
                let jumps_to_kube = args.windows(2).any(|w| (w[0] == "-j" || w[0] == "-g" || w[0] == "--jump" || w[0] == "--goto") && is_kube_chain(&w[1]));
                if jumps_to_kube {
                    let mut cmd = words(&[bin, "-t", table, "-D"]);
                    cmd.extend(args[1..].iter().cloned());
                    jumps.push(cmd);
                }
            }
            _ => {}
        }
    }
    let flush = chains.iter().map(|c| words(&[bin, "-t", table, "-F", c]));
    let delete = chains.iter().map(|c| words(&[bin, "-t", table, "-X", c]));
    jumps.into_iter().chain(flush).chain(delete.collect::<Vec<_>>()).collect()
}

/// From `nft list tables`: kube-proxy's nftables mode keeps its rules in tables named kube-proxy.
pub fn nft_cleanup(listing: &str) -> Vec<Vec<String>> {
    listing
        .lines()
        .filter_map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            match parts.as_slice() {
                ["table", family, "kube-proxy"] => Some(words(&["nft", "delete", "table", family, "kube-proxy"])),
                _ => None,
            }
        })
        .collect()
}

/// Splits an `iptables -S` line into words; double quotes group words (comments).
pub fn split_args(line: &str) -> Vec<String> {
    let mut out = vec![];
    let mut current = String::new();
    let mut in_quotes = false;
    let mut has_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_quotes => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            '"' => {
                in_quotes = !in_quotes;
                has_word = true;
            }
            c if c.is_whitespace() && !in_quotes => {
                if has_word {
                    out.push(std::mem::take(&mut current));
                    has_word = false;
                }
            }
            c => {
                current.push(c);
                has_word = true;
            }
        }
    }
    if has_word {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preflight::fixture::FixtureHost;

    const NAT: &str = "-P PREROUTING ACCEPT\n-N DOCKER\n-N KUBE-SERVICES\n-N KUBE-SVC-ABC\n-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n-A KUBE-SERVICES -d 10.96.0.1/32 -j KUBE-SVC-ABC\n";

    #[test]
    fn only_kube_chains_and_jumps_into_them() {
        let cmds: Vec<String> = iptables_cleanup("iptables", "nat", NAT).into_iter().map(|c| c.join(" ")).collect();
        assert_eq!(
            cmds,
            [
                "iptables -t nat -D PREROUTING -m comment --comment kubernetes service portals -j KUBE-SERVICES",
                "iptables -t nat -F KUBE-SERVICES",
                "iptables -t nat -F KUBE-SVC-ABC",
                "iptables -t nat -X KUBE-SERVICES",
                "iptables -t nat -X KUBE-SVC-ABC",
            ]
        );
        let rule = &iptables_cleanup("iptables", "nat", NAT)[0];
        assert!(rule.contains(&"kubernetes service portals".to_string()), "the comment stays one argument: {rule:?}");
    }

    #[test]
    fn nft_and_ipvs_through_the_host() {
        let root = tempfile::tempdir().unwrap();
        let mut host = FixtureHost::healthy(root.path());
        host.programs.insert("nft".into());
        host.programs.remove("ip6tables");
        host.set_command("iptables -t nat -S", 0, NAT, "");
        host.set_command("iptables -t filter -S", 0, "-P INPUT ACCEPT\n", "");
        host.set_command("iptables -t mangle -S", 0, "", "");
        host.set_command("iptables -t raw -S", 0, "", "");
        host.set_command("nft list tables", 0, "table ip filter\ntable ip kube-proxy\ntable ip6 kube-proxy\n", "");
        host.set_command("ip link show kube-ipvs0", 1, "", "Device \"kube-ipvs0\" does not exist.");
        let cmds: Vec<String> = plan(&host).into_iter().map(|c| c.join(" ")).collect();
        assert_eq!(cmds.len(), 7, "{cmds:?}");
        assert!(cmds.contains(&"nft delete table ip kube-proxy".to_string()));
        assert!(!cmds.iter().any(|c| c.contains("kube-ipvs0") || c.contains("DOCKER") || c.contains("filter")), "{cmds:?}");
    }
}
