//! The machine itself: user, CPUs, memory, kernel, cgroups, modules, sysctls,
//! swap, clock and disk.

use super::{Ctx, Finding};
use crate::versions::{self, Semver};

pub const MIN_CPUS: usize = 2;
pub const MIN_MEMORY_MB: u64 = 1700;
/// Below this much free space under /var/lib the kubelet soon starts evicting.
pub const MIN_FREE_DISK: u64 = 10 << 30;
pub const DISK_PATH: &str = "/var/lib";
/// Modules the runtime (overlay) and bridged Pod networking (br_netfilter) need.
pub const KERNEL_MODULES: [&str; 2] = ["overlay", "br_netfilter"];

pub fn is_privileged_user(c: &Ctx) -> Finding {
    match c.host.euid() {
        0 => Finding::pass("running as root"),
        uid => Finding::problem(format!("user is not running as root (effective uid {uid})")),
    }
}

pub fn num_cpu(c: &Ctx) -> Finding {
    let n = c.host.cpu_count();
    if n < MIN_CPUS {
        Finding::problem(format!("the number of available CPUs {n} is less than the required {MIN_CPUS}"))
    } else {
        Finding::pass(format!("{n} CPUs available ({MIN_CPUS} required)"))
    }
}

pub fn mem(c: &Ctx) -> Finding {
    let mb = c.host.memory_bytes() / 1024 / 1024;
    if mb < MIN_MEMORY_MB {
        Finding::problem(format!("the system RAM ({mb} MB) is less than the minimum {MIN_MEMORY_MB} MB"))
    } else {
        Finding::pass(format!("{mb} MB of RAM ({MIN_MEMORY_MB} MB required)"))
    }
}

pub fn kubernetes_version(c: &Ctx) -> Finding {
    let Some(text) = c.input.kubernetes_version.as_deref() else {
        return Finding::skip("the control-plane version is known only after discovery");
    };
    let newest = versions::newest();
    match (Semver::parse(text), Semver::parse(&newest.release)) {
        (Some(v), Some(n)) if (v.major, v.minor) > (n.major, n.minor) => Finding::problem(format!(
            "Kubernetes version is greater than kubelift supports: Kubernetes version {text}, newest supported {}",
            newest.release
        )),
        (Some(_), _) => Finding::pass(format!("Kubernetes {text} is supported (kubelift installs {})", versions::supported_range())),
        (None, _) => Finding::problem(format!("kubernetesVersion {text:?} is not a vMAJOR.MINOR.PATCH version")),
    }
}

/// kubeadm's FileContent checks: the file's content must be `1`.
pub fn sysctl_is_one(c: &Ctx, path: &str) -> Finding {
    match c.host.read_kernel(path) {
        None => Finding::problem(format!("{path} does not exist")),
        Some(v) if v.trim() == "1" => Finding::pass(format!("{path} is 1")),
        Some(_) => Finding::problem(format!("{path} contents are not set to 1")),
    }
}

pub fn kernel_modules(c: &Ctx) -> Finding {
    // /sys/module/NAME exists for loaded modules and for those built into the
    // kernel; /proc/modules lists only the former.
    let missing: Vec<&str> = KERNEL_MODULES.iter().copied().filter(|m| !c.host.kernel_path_exists(&format!("/sys/module/{m}"))).collect();
    if missing.is_empty() {
        Finding::pass(format!("{} loaded", KERNEL_MODULES.join(" and ")))
    } else {
        Finding::problem(format!("kernel module{} {} not loaded", plural(missing.len()), missing.join(" and "))).fix_arg(missing.join(" "))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Active swap areas from /proc/swaps (the first line is a header).
pub fn active_swaps(c: &Ctx) -> Vec<String> {
    let text = c.host.read_kernel("/proc/swaps").unwrap_or_default();
    text.lines().skip(1).filter_map(|l| l.split_whitespace().next()).map(String::from).collect()
}

pub fn swap(c: &Ctx) -> Finding {
    let swaps = active_swaps(c);
    let fstab = c.host.read_file("/etc/fstab").map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let at_boot: Vec<String> = crate::preflight::fix::fstab_swap_lines(&fstab).iter().filter_map(|l| l.split_whitespace().next()).map(String::from).collect();
    if swaps.is_empty() && at_boot.is_empty() {
        Finding::pass("swap is off")
    } else if swaps.is_empty() {
        Finding::problem(format!("swap is off now, but /etc/fstab turns it on at the next boot ({})", at_boot.join(", ")))
    } else {
        Finding::problem(format!("swap is enabled ({}); the kubelet will not start with swap on unless failSwapOn is false", swaps.join(", ")))
    }
}

pub fn clock_sync(c: &Ctx) -> Finding {
    match c.host.clock_synchronized() {
        Some(true) => Finding::pass("the kernel reports the clock as synchronised"),
        Some(false) => Finding::problem("the system clock is not synchronised (the kernel's NTP status is unsynchronised)"),
        None => Finding::skip("not checked: the kernel's clock status (adjtimex) cannot be read here"),
    }
}

pub fn disk_space(c: &Ctx) -> Finding {
    let Some(free) = c.host.free_bytes(DISK_PATH) else {
        return Finding::skip(format!("not checked: the free space of {DISK_PATH} cannot be read"));
    };
    let gib = free as f64 / (1u64 << 30) as f64;
    if free < MIN_FREE_DISK {
        Finding::problem(format!("only {gib:.1} GiB free on the file system holding {DISK_PATH} (10 GiB recommended)")).fix_arg(DISK_PATH)
    } else {
        Finding::pass(format!("{gib:.1} GiB free under {DISK_PATH}"))
    }
}

/// Kernel options kubeadm's system validator requires (y or m); `a|b` = either.
const REQUIRED_KERNEL_OPTIONS: [&str; 19] = [
    "NAMESPACES", "NET_NS", "PID_NS", "IPC_NS", "UTS_NS", "CGROUPS", "CGROUP_CPUACCT", "CGROUP_DEVICE", "CGROUP_FREEZER",
    "CGROUP_PIDS", "CGROUP_SCHED", "CPUSETS", "MEMCG", "INET", "EXT4_FS", "PROC_FS",
    "NETFILTER_XT_TARGET_REDIRECT|IP_NF_TARGET_REDIRECT", "NETFILTER_XT_MATCH_COMMENT", "FAIR_GROUP_SCHED",
];
const CGROUPS_V1_REQUIRED: [&str; 7] = ["cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids"];
/// On cgroup v2, devices and freezer are not controllers in cgroup.controllers
/// (the kernel provides them through eBPF and cgroup.freeze), as kubeadm notes.
const CGROUPS_V2_REQUIRED: [&str; 4] = ["cpu", "cpuset", "memory", "pids"];
const CGROUPS_OPTIONAL: [&str; 1] = ["hugetlb"];

/// kubeadm's SystemVerification: OS, kernel release, kernel config, cgroups.
pub fn system_verification(c: &Ctx) -> Finding {
    let uname = c.host.uname();
    let mut errors = vec![];
    let mut warnings = vec![];
    if uname.sysname != "Linux" {
        errors.push(format!("unsupported operating system: {}", uname.sysname));
    }
    if !kernel_release_supported(&uname.release) {
        errors.push(format!("unsupported kernel release: {} (3.10 or newer is required)", uname.release));
    }
    match kernel_config(c, &uname.release) {
        Some((source, text)) => {
            let missing = missing_kernel_options(&text);
            if !missing.is_empty() {
                errors.push(format!("unexpected kernel config in {source}: {} not set", missing.join(", ")));
            }
        }
        None => warnings.push("kernel config not found (/proc/config.gz, /boot/config-<release>, ...); kernel options not verified".to_string()),
    }
    let (version, missing_required, missing_optional) = cgroups(c);
    if !missing_required.is_empty() {
        errors.push(format!("missing required cgroups ({version}): {}", missing_required.join(", ")));
    }
    if !missing_optional.is_empty() {
        warnings.push(format!("missing optional cgroups ({version}): {}", missing_optional.join(", ")));
    }
    summarise(errors, warnings, format!("{} {} with cgroup {version}", uname.sysname, uname.release))
}

fn summarise(errors: Vec<String>, warnings: Vec<String>, ok: String) -> Finding {
    match (errors.is_empty(), warnings.is_empty()) {
        (false, _) => Finding::problem(errors.into_iter().chain(warnings).collect::<Vec<_>>().join("; ")),
        (true, false) => Finding::warn(warnings.join("; ")),
        (true, true) => Finding::pass(ok),
    }
}

/// kubeadm: `^3\.[1-9][0-9].*$` or `^([4-9]|[1-9][0-9]+)\.([0-9]+)\.([0-9]+).*$`.
pub fn kernel_release_supported(release: &str) -> bool {
    let mut parts = release.splitn(3, '.');
    let major = parts.next().unwrap_or("");
    let minor = parts.next().unwrap_or("");
    let rest = parts.next();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let leading_digits = |s: &str| s.bytes().next().is_some_and(|b| b.is_ascii_digit());
    match major.parse::<u32>() {
        Ok(3) if digits(major) => minor.len() >= 2 && minor.as_bytes()[0] != b'0' && minor.bytes().take(2).all(|b| b.is_ascii_digit()),
        Ok(m) if m >= 4 && digits(major) && !major.starts_with('0') => digits(minor) && rest.is_some_and(leading_digits),
        _ => false,
    }
}

/// The running kernel's build configuration, from kubeadm's list of places.
fn kernel_config(c: &Ctx, release: &str) -> Option<(String, String)> {
    if c.host.kernel_path_exists("/proc/config.gz") {
        if let Ok(out) = c.host.run(&["zcat", "/proc/config.gz"], std::time::Duration::from_secs(3)) {
            if out.success() && !out.stdout.is_empty() {
                return Some(("/proc/config.gz".into(), out.stdout));
            }
        }
    }
    let candidates = [
        format!("/boot/config-{release}"),
        format!("/usr/src/linux-{release}/.config"),
        "/usr/src/linux/.config".into(),
        format!("/usr/lib/modules/{release}/config"),
        format!("/usr/lib/ostree-boot/config-{release}"),
        format!("/usr/lib/kernel/config-{release}"),
        format!("/usr/src/linux-headers-{release}/.config"),
        format!("/lib/modules/{release}/build/.config"),
    ];
    candidates.into_iter().find_map(|p| c.host.read_kernel(&p).map(|t| (p, t)))
}

pub fn missing_kernel_options(config: &str) -> Vec<String> {
    let set: std::collections::HashSet<&str> = config
        .lines()
        .filter_map(|l| l.trim().strip_prefix("CONFIG_"))
        .filter_map(|l| l.split_once('='))
        .filter(|(_, v)| *v == "y" || *v == "m")
        .map(|(k, _)| k)
        .collect();
    REQUIRED_KERNEL_OPTIONS
        .iter()
        .filter(|opt| !opt.split('|').any(|o| set.contains(o)))
        .map(|opt| format!("CONFIG_{}", opt.split('|').next().unwrap_or(opt)))
        .collect()
}

/// (version, missing required, missing optional) controllers.
pub fn cgroups(c: &Ctx) -> (&'static str, Vec<String>, Vec<String>) {
    let missing = |have: &[&str], want: &[&str]| want.iter().filter(|w| !have.contains(w)).map(|w| w.to_string()).collect::<Vec<_>>();
    if let Some(controllers) = c.host.read_kernel("/sys/fs/cgroup/cgroup.controllers") {
        let have: Vec<&str> = controllers.split_whitespace().collect();
        return ("v2", missing(&have, &CGROUPS_V2_REQUIRED), missing(&have, &CGROUPS_OPTIONAL));
    }
    let table = c.host.read_kernel("/proc/cgroups").unwrap_or_default();
    // "#subsys_name hierarchy num_cgroups enabled"; enabled 0 = disabled at boot.
    let have: Vec<&str> = table
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols.len() >= 4 && cols[3] != "0").then(|| cols[0])
        })
        .collect();
    ("v1", missing(&have, &CGROUPS_V1_REQUIRED), missing(&have, &CGROUPS_OPTIONAL))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_releases_as_kubeadm_reads_them() {
        for ok in ["3.10.0-1160.el7.x86_64", "4.19.0", "5.15.0-91-generic", "6.18.44-fc-v669", "10.0.1"] {
            assert!(kernel_release_supported(ok), "{ok}");
        }
        for bad in ["3.9.0", "3.09", "2.6.32", "", "abc", "4.x.1", "4.19"] {
            assert!(!kernel_release_supported(bad), "{bad}");
        }
    }

    #[test]
    fn kernel_options_accept_modules_and_aliases() {
        let mut config: String = REQUIRED_KERNEL_OPTIONS.iter().map(|o| format!("CONFIG_{}=y\n", o.split('|').next_back().unwrap())).collect();
        assert!(missing_kernel_options(&config).is_empty());
        config = config.replace("CONFIG_MEMCG=y", "# CONFIG_MEMCG is not set").replace("CONFIG_PID_NS=y", "CONFIG_PID_NS=m");
        assert_eq!(missing_kernel_options(&config), ["CONFIG_MEMCG"]);
    }
}
