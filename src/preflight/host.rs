//! Everything the checks know about the machine comes through `Host`.
//!
//! Two implementations: `RealHost` here, and `FixtureHost` (fixture.rs) for
//! tests, which fakes the kernel, the commands and the network so that every
//! check runs, passing and failing, without root, a kubelet or a runtime.
//!
//! Where `RealHost` looks, and why:
//! * **Host configuration** (`/etc/...`, `/var/lib/...`, the CRI socket): under
//!   `--root`. These are the files fixes write through the WriteGate (which
//!   also honours `--root`), so a check, its fix and the re-check all see the
//!   same tree, and a scratch root is safe to fix.
//! * **Kernel and machine state** (`/proc`, `/sys`, CPUs, memory, listening
//!   ports, interfaces, the clock, programs in PATH, commands): always the real
//!   machine, because `--root` is a folder, not a machine: there is no kernel
//!   under it. Fixes that change kernel state (modprobe, sysctl, swapoff,
//!   systemctl) are therefore run only when `--root` is `/` (fix.rs).
//! * **The network**: name lookups and TCP probes leave the machine, so they
//!   run only when the caller enabled network probes (`--network-probes`);
//!   otherwise the checks that need them report "not checked".

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::cri::{self, CriError, CriVersion};

/// What a command printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommandOutput {
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl CommandOutput {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("{0} not found in system path")]
    NotFound(String),
    #[error("{0} did not finish within {1:?}")]
    TimedOut(String, Duration),
    #[error("{0} could not be run: {1}")]
    Failed(String, String),
}

/// The kind of thing at a host path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    Missing,
    File,
    Dir,
    Socket,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Uname {
    pub sysname: String,
    pub release: String,
}

/// The machine, as the checks see it. All methods are blocking; the runner
/// calls them on blocking threads with a timeout.
pub trait Host: Send + Sync {
    fn euid(&self) -> u32;
    /// CPUs this process may run on (kubeadm's runtime.NumCPU).
    fn cpu_count(&self) -> usize;
    fn memory_bytes(&self) -> u64;
    fn uname(&self) -> Uname;
    /// A host configuration file (under --root for the real host).
    fn read_file(&self, host_path: &str) -> io::Result<Vec<u8>>;
    fn path_kind(&self, host_path: &str) -> PathKind;
    /// Names in a host directory (under --root); empty when missing.
    fn dir_entries(&self, host_path: &str) -> Vec<String>;
    /// A kernel file under /proc or /sys (always the machine's own kernel).
    fn read_kernel(&self, path: &str) -> Option<String>;
    fn kernel_path_exists(&self, path: &str) -> bool;
    /// The full path of a program found in PATH.
    fn find_program(&self, name: &str) -> Option<String>;
    fn run(&self, argv: &[&str], timeout: Duration) -> Result<CommandOutput, CommandError>;
    /// `Err` with the reason when TCP `port` cannot be bound on all addresses.
    fn bind_port(&self, port: u16) -> Result<(), String>;
    /// Interface name and address of every local address.
    fn local_addresses(&self) -> Vec<(String, IpAddr)>;
    fn env(&self, name: &str) -> Option<String>;
    /// `Some(true)` when the kernel says the clock is synchronised (adjtimex).
    fn clock_synchronized(&self) -> Option<bool>;
    /// Free bytes on the file system holding `host_path` (or its nearest existing parent).
    fn free_bytes(&self, host_path: &str) -> Option<u64>;
    /// The CRI `RuntimeService/Version` call on a unix socket.
    fn cri_version(&self, socket_path: &str, timeout: Duration) -> Result<CriVersion, CriError>;
    /// Network: a name lookup. Only called when network probes are enabled.
    fn resolve(&self, name: &str) -> Result<Vec<IpAddr>, String>;
    /// Network: a TCP connection attempt. Only called when network probes are enabled.
    fn tcp_connect(&self, host: &str, port: u16, timeout: Duration) -> Result<(), String>;
}

/// This machine, with host configuration files under `root`.
pub struct RealHost {
    root: PathBuf,
}

impl RealHost {
    pub fn new(root: &Path) -> RealHost {
        RealHost { root: root.to_path_buf() }
    }

    fn under_root(&self, host_path: &str) -> PathBuf {
        self.root.join(host_path.trim_start_matches('/'))
    }
}

impl Host for RealHost {
    fn euid(&self) -> u32 {
        nix::unistd::geteuid().as_raw()
    }

    fn cpu_count(&self) -> usize {
        affinity_cpus().unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
    }

    fn memory_bytes(&self) -> u64 {
        let mut sys = sysinfo::System::new();
        sys.refresh_memory_specifics(sysinfo::MemoryRefreshKind::nothing().with_ram());
        sys.total_memory()
    }

    fn uname(&self) -> Uname {
        match nix::sys::utsname::uname() {
            Ok(u) => Uname { sysname: u.sysname().to_string_lossy().into(), release: u.release().to_string_lossy().into() },
            Err(_) => Uname::default(),
        }
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
        std::fs::read_to_string(path).ok()
    }

    fn kernel_path_exists(&self, path: &str) -> bool {
        Path::new(path).exists()
    }

    fn find_program(&self, name: &str) -> Option<String> {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| is_executable(p)).map(|p| p.display().to_string())
    }

    fn run(&self, argv: &[&str], timeout: Duration) -> Result<CommandOutput, CommandError> {
        run_with_timeout(argv, timeout)
    }

    fn bind_port(&self, port: u16) -> Result<(), String> {
        // Binding is local: nothing is sent. IPv6 [::] also covers IPv4 on
        // dual-stack hosts; fall back to 0.0.0.0 where IPv6 is off.
        let v6 = TcpListener::bind(SocketAddr::from(([0u16; 8], port)));
        match v6 {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => Err(e.to_string()),
            Err(_) => TcpListener::bind(SocketAddr::from(([0, 0, 0, 0], port))).map(drop).map_err(|e| e.to_string()),
        }
    }

    fn local_addresses(&self) -> Vec<(String, IpAddr)> {
        interface_addresses()
    }

    fn env(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn clock_synchronized(&self) -> Option<bool> {
        kernel_clock_synchronized()
    }

    fn free_bytes(&self, host_path: &str) -> Option<u64> {
        let mut path = self.under_root(host_path);
        while !path.exists() {
            path = path.parent()?.to_path_buf();
        }
        let st = nix::sys::statvfs::statvfs(&path).ok()?;
        Some(st.blocks_available() as u64 * st.fragment_size() as u64)
    }

    fn cri_version(&self, socket_path: &str, timeout: Duration) -> Result<CriVersion, CriError> {
        cri::version_blocking(&self.under_root(socket_path), timeout)
    }

    fn resolve(&self, name: &str) -> Result<Vec<IpAddr>, String> {
        (name, 0).to_socket_addrs().map(|it| it.map(|s| s.ip()).collect()).map_err(|e| e.to_string())
    }

    fn tcp_connect(&self, host: &str, port: u16, timeout: Duration) -> Result<(), String> {
        let addrs: Vec<SocketAddr> = (host, port).to_socket_addrs().map_err(|e| e.to_string())?.collect();
        let mut last = format!("{host} has no address");
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(_) => return Ok(()),
                Err(e) => last = format!("{addr}: {e}"),
            }
        }
        Err(last)
    }
}

pub(crate) fn kind_of(path: &Path) -> PathKind {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::metadata(path) {
        Err(_) => PathKind::Missing,
        Ok(m) if m.is_dir() => PathKind::Dir,
        Ok(m) if m.is_file() => PathKind::File,
        Ok(m) if m.file_type().is_socket() => PathKind::Socket,
        Ok(_) => PathKind::Other,
    }
}

pub(crate) fn list_dir(path: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(path) else { return vec![] };
    let mut names: Vec<String> = rd.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// CPUs in this process's affinity mask, as Go's runtime.NumCPU counts them.
fn affinity_cpus() -> Option<usize> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity fills it and we only
    // read it back through the libc macro.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return None;
        }
        usize::try_from(libc::CPU_COUNT(&set)).ok().filter(|n| *n > 0)
    }
}

/// Reads the kernel's NTP status without changing it (adjtimex with modes 0).
fn kernel_clock_synchronized() -> Option<bool> {
    // SAFETY: timex is plain data; modes = 0 makes adjtimex read-only.
    let (state, status) = unsafe {
        let mut tx: libc::timex = std::mem::zeroed();
        let state = libc::adjtimex(&mut tx);
        (state, tx.status)
    };
    if state < 0 {
        return None;
    }
    Some(state != libc::TIME_ERROR && status & libc::STA_UNSYNC == 0)
}

/// Runs a program with a deadline; stdin is closed, output captured.
pub(crate) fn run_with_timeout(argv: &[&str], timeout: Duration) -> Result<CommandOutput, CommandError> {
    let (program, args) = argv.split_first().ok_or_else(|| CommandError::Failed(String::new(), "empty command".into()))?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => CommandError::NotFound(program.to_string()),
            _ => CommandError::Failed(program.to_string(), e.to_string()),
        })?;
    // Readers on their own threads, so a chatty program cannot block on a full pipe.
    let out = child.stdout.take().map(read_in_background);
    let err = child.stderr.take().map(read_in_background);
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(CommandError::TimedOut(argv.join(" "), timeout));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(CommandError::Failed(program.to_string(), e.to_string())),
        }
    };
    let collect = |h: Option<std::thread::JoinHandle<String>>| h.and_then(|h| h.join().ok()).unwrap_or_default();
    Ok(CommandOutput { code: status.code(), stdout: collect(out), stderr: collect(err) })
}

fn read_in_background(mut pipe: impl io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Every IPv4 and IPv6 address of this machine's interfaces, with the interface's name.
pub fn interface_addresses() -> Vec<(String, IpAddr)> {
    let Ok(addrs) = nix::ifaddrs::getifaddrs() else { return vec![] };
    addrs
        .filter_map(|a| {
            let sock = a.address?;
            let ip = match (sock.as_sockaddr_in(), sock.as_sockaddr_in6()) {
                (Some(v4), _) => IpAddr::V4(v4.ip()),
                (_, Some(v6)) => IpAddr::V6(v6.ip()),
                _ => return None,
            };
            Some((a.interface_name, ip))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_report_missing_programs_and_timeouts() {
        assert!(matches!(run_with_timeout(&["kubelift-no-such-program"], Duration::from_secs(1)), Err(CommandError::NotFound(_))));
        let out = run_with_timeout(&["sh", "-c", "echo hi; exit 3"], Duration::from_secs(5)).unwrap();
        assert_eq!((out.code, out.stdout.as_str()), (Some(3), "hi\n"));
        assert!(matches!(run_with_timeout(&["sleep", "5"], Duration::from_millis(50)), Err(CommandError::TimedOut(..))));
    }

    #[test]
    fn real_host_reads_configuration_under_its_root() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("etc")).unwrap();
        std::fs::write(root.path().join("etc/fstab"), "x").unwrap();
        let host = RealHost::new(root.path());
        assert_eq!(host.read_file("/etc/fstab").unwrap(), b"x");
        assert_eq!(host.path_kind("/etc"), PathKind::Dir);
        assert_eq!(host.path_kind("/etc/missing"), PathKind::Missing);
        assert!(host.free_bytes("/var/lib/etcd").is_some(), "falls back to the nearest existing parent");
        assert!(host.cpu_count() >= 1 && host.memory_bytes() > 0);
    }
}
