//! A fake machine for tests: host configuration files are real files under a
//! folder (so fixes written through the WriteGate are read back by the next
//! check), while the kernel (/proc, /sys), programs, commands, ports, clock and
//! network are tables. `FixtureHost::healthy` passes every init check; a test
//! breaks exactly the one thing it is about.
//!
//! Public (not `cfg(test)`) so integration tests and the TUI's tests can use it.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use super::cri::{CriError, CriVersion};
use super::host::{kind_of, list_dir, CommandError, CommandOutput, Host, PathKind, Uname};

pub const FIXTURE_NODE: &str = "node1";
pub const FIXTURE_ADDRESS: &str = "10.211.0.2";
pub const FIXTURE_SOCKET: &str = "unix:///run/containerd/containerd.sock";
/// The containerd config of a healthy fixture (version 2, CRI on, systemd driver).
pub fn good_containerd_config(sandbox: &str) -> String {
    format!(
        "version = 2\n\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"{sandbox}\"\n\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n  runtime_type = \"io.containerd.runc.v2\"\n\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n"
    )
}

pub struct FixtureHost {
    pub root: PathBuf,
    pub euid: u32,
    pub cpus: usize,
    pub memory: u64,
    pub uname: Uname,
    /// Fake kernel files (/proc, /sys, /boot config) by absolute path.
    pub kernel: BTreeMap<String, String>,
    pub programs: BTreeSet<String>,
    /// Command results by the command line joined with spaces; the longest
    /// matching prefix wins, so `crictl` answers every crictl call.
    pub commands: BTreeMap<String, CommandOutput>,
    pub ports_in_use: BTreeSet<u16>,
    pub addresses: Vec<(String, IpAddr)>,
    pub env: BTreeMap<String, String>,
    pub clock: Option<bool>,
    pub free: Option<u64>,
    pub cri: Result<CriVersion, CriError>,
    pub dns: BTreeMap<String, Vec<IpAddr>>,
    pub tcp_open: BTreeSet<String>,
    /// Every command run, in order, for fix tests.
    pub ran: Mutex<Vec<String>>,
    /// Every network probe made, so tests can assert none happened.
    pub probes: Mutex<Vec<String>>,
}

fn ok(stdout: &str) -> CommandOutput {
    CommandOutput { code: Some(0), stdout: stdout.into(), stderr: String::new() }
}

impl FixtureHost {
    /// A machine on which every init check passes, with its files under `root`.
    pub fn healthy(root: &Path) -> FixtureHost {
        let host = FixtureHost::with_files_as_they_are(root);
        let v = crate::versions::newest();
        host.write("/etc/hosts", &format!("127.0.0.1 localhost\n{FIXTURE_ADDRESS} {FIXTURE_NODE}\n"));
        host.write("/etc/containerd/config.toml", &good_containerd_config(&format!("{}/pause:{}", v.image_repository, v.pause)));
        host.write("/etc/fstab", "UUID=1234 / ext4 errors=remount-ro 0 1\n");
        host
    }

    /// The healthy machine's kernel, programs and commands, with whatever
    /// files `root` already holds (to re-check a root after a fix).
    pub fn with_files_as_they_are(root: &Path) -> FixtureHost {
        FixtureHost {
            root: root.to_path_buf(),
            euid: 0,
            cpus: 4,
            memory: 8 << 30,
            uname: Uname { sysname: "Linux".into(), release: "6.1.0-18-amd64".into() },
            kernel: healthy_kernel(),
            programs: ["kubelet", "crictl", "conntrack", "ip", "iptables", "mount", "nsenter", "ebtables", "ethtool", "socat", "tc", "touch", "systemctl", "containerd"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            commands: BTreeMap::from([
                ("kubelet --version".to_string(), ok(&format!("Kubernetes {}\n", crate::versions::newest().release))),
                ("systemctl is-active firewalld".to_string(), CommandOutput { code: Some(3), stdout: "inactive\n".into(), stderr: String::new() }),
                ("systemctl is-enabled kubelet".to_string(), ok("enabled\n")),
                ("containerd --version".to_string(), ok("containerd github.com/containerd/containerd v1.7.22 7f7fdf5\n")),
                ("crictl".to_string(), ok("")),
                ("modprobe".to_string(), ok("")),
                ("sysctl".to_string(), ok("")),
                ("swapoff".to_string(), ok("")),
                ("swapon".to_string(), ok("")),
                ("systemctl restart".to_string(), ok("")),
            ]),
            ports_in_use: BTreeSet::new(),
            addresses: vec![("lo".into(), IpAddr::from([127, 0, 0, 1])), ("eth0".into(), FIXTURE_ADDRESS.parse().expect("valid"))],
            env: BTreeMap::new(),
            clock: Some(true),
            free: Some(100 << 30),
            cri: Ok(CriVersion { version: "0.1.0".into(), runtime_name: "containerd".into(), runtime_version: "v1.7.22".into(), runtime_api_version: "v1".into() }),
            dns: BTreeMap::new(),
            tcp_open: BTreeSet::new(),
            ran: Mutex::new(vec![]),
            probes: Mutex::new(vec![]),
        }
    }

    /// Writes a host file under the fixture root.
    pub fn write(&self, host_path: &str, contents: &str) {
        let path = self.root.join(host_path.trim_start_matches('/'));
        std::fs::create_dir_all(path.parent().expect("absolute host path")).expect("fixture folder");
        std::fs::write(path, contents).expect("fixture file");
    }

    pub fn remove(&self, host_path: &str) {
        let _ = std::fs::remove_file(self.root.join(host_path.trim_start_matches('/')));
    }

    pub fn set_kernel(&mut self, path: &str, value: Option<&str>) {
        match value {
            Some(v) => self.kernel.insert(path.into(), v.into()),
            None => self.kernel.remove(path),
        };
    }

    pub fn set_command(&mut self, line: &str, code: i32, stdout: &str, stderr: &str) {
        self.commands.insert(line.into(), CommandOutput { code: Some(code), stdout: stdout.into(), stderr: stderr.into() });
    }

    pub fn commands_run(&self) -> Vec<String> {
        self.ran.lock().expect("fixture lock").clone()
    }

    pub fn probes_made(&self) -> Vec<String> {
        self.probes.lock().expect("fixture lock").clone()
    }

    fn under_root(&self, host_path: &str) -> PathBuf {
        self.root.join(host_path.trim_start_matches('/'))
    }
}

fn healthy_kernel() -> BTreeMap<String, String> {
    let mut k = BTreeMap::new();
    for path in [
        "/proc/sys/net/bridge/bridge-nf-call-iptables",
        "/proc/sys/net/bridge/bridge-nf-call-ip6tables",
        "/proc/sys/net/ipv4/ip_forward",
        "/proc/sys/net/ipv6/conf/default/forwarding",
    ] {
        k.insert(path.to_string(), "1\n".to_string());
    }
    k.insert("/proc/swaps".into(), "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n".into());
    k.insert("/sys/module/overlay".into(), String::new());
    k.insert("/sys/module/br_netfilter".into(), String::new());
    k.insert("/sys/fs/cgroup/cgroup.controllers".into(), "cpuset cpu io memory hugetlb pids rdma misc\n".into());
    let config: String = [
        "NAMESPACES", "NET_NS", "PID_NS", "IPC_NS", "UTS_NS", "CGROUPS", "CGROUP_CPUACCT", "CGROUP_DEVICE", "CGROUP_FREEZER", "CGROUP_PIDS",
        "CGROUP_SCHED", "CPUSETS", "MEMCG", "INET", "EXT4_FS", "PROC_FS", "NETFILTER_XT_TARGET_REDIRECT", "NETFILTER_XT_MATCH_COMMENT", "FAIR_GROUP_SCHED",
    ]
    .iter()
    .map(|o| format!("CONFIG_{o}=y\n"))
    .collect();
    k.insert("/boot/config-6.1.0-18-amd64".into(), config);
    k.insert(
        "/proc/net/route".into(),
        "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\neth0\t00000000\t0100D30A\t0003\t0\t0\t0\t00000000\neth0\t0000D30A\t00000000\t0001\t0\t0\t0\t00FFFFFF\n".into(),
    );
    k
}

impl Host for FixtureHost {
    fn euid(&self) -> u32 {
        self.euid
    }
    fn cpu_count(&self) -> usize {
        self.cpus
    }
    fn memory_bytes(&self) -> u64 {
        self.memory
    }
    fn uname(&self) -> Uname {
        self.uname.clone()
    }
    fn read_file(&self, host_path: &str) -> io::Result<Vec<u8>> {
        std::fs::read(self.under_root(host_path))
    }
    fn path_kind(&self, host_path: &str) -> PathKind {
        kind_of(&self.under_root(host_path))
    }
    fn dir_entries(&self, host_path: &str) -> Vec<String> {
        list_dir(&self.under_root(host_path))
    }
    fn read_kernel(&self, path: &str) -> Option<String> {
        self.kernel.get(path).cloned()
    }
    fn kernel_path_exists(&self, path: &str) -> bool {
        self.kernel.contains_key(path)
    }
    fn find_program(&self, name: &str) -> Option<String> {
        self.programs.contains(name).then(|| format!("/usr/bin/{name}"))
    }
    fn run(&self, argv: &[&str], _timeout: Duration) -> Result<CommandOutput, CommandError> {
        let line = argv.join(" ");
        self.ran.lock().expect("fixture lock").push(line.clone());
        let program = argv.first().copied().unwrap_or("");
        if !self.programs.contains(program) && !matches!(program, "modprobe" | "sysctl" | "swapoff" | "swapon" | "zcat") {
            return Err(CommandError::NotFound(program.into()));
        }
        self.commands
            .iter()
            .filter(|(prefix, _)| line == **prefix || line.starts_with(&format!("{prefix} ")))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, out)| out.clone())
            .ok_or_else(|| CommandError::Failed(line, "the fixture has no answer for this command".into()))
    }
    fn bind_port(&self, port: u16) -> Result<(), String> {
        if self.ports_in_use.contains(&port) {
            Err("address already in use".into())
        } else {
            Ok(())
        }
    }
    fn local_addresses(&self) -> Vec<(String, IpAddr)> {
        self.addresses.clone()
    }
    fn env(&self, name: &str) -> Option<String> {
        self.env.get(name).cloned()
    }
    fn clock_synchronized(&self) -> Option<bool> {
        self.clock
    }
    fn free_bytes(&self, _host_path: &str) -> Option<u64> {
        self.free
    }
    fn cri_version(&self, _socket_path: &str, _timeout: Duration) -> Result<CriVersion, CriError> {
        self.cri.clone()
    }
    fn resolve(&self, name: &str) -> Result<Vec<IpAddr>, String> {
        self.probes.lock().expect("fixture lock").push(format!("resolve {name}"));
        self.dns.get(name).cloned().ok_or_else(|| "no such host".into())
    }
    fn tcp_connect(&self, host: &str, port: u16, _timeout: Duration) -> Result<(), String> {
        let target = format!("{host}:{port}");
        self.probes.lock().expect("fixture lock").push(format!("connect {target}"));
        if self.tcp_open.contains(&target) {
            Ok(())
        } else {
            Err("connection refused".into())
        }
    }
}
