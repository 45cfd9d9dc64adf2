//! The end-to-end harness.
//!
//! What it is: real control-plane binaries (kube-apiserver, kube-controller-manager,
//! kube-scheduler, kubeadm from `KUBELIFT_E2E_BIN`; etcd from Debian) running in
//! test hosts made of network namespaces joined by a bridge. What it replaces:
//! the kubelet and the container runtime, which cannot run here. The stand-in
//! does the kubelet's part that matters to an install: it watches a host's
//! static Pod folder and runs each Pod's container command as a process in the
//! host's network namespace, in a private mount namespace where the host's
//! `<root>/etc/kubernetes` and `<root>/var/lib/etcd` are bound at their real
//! paths (hostNetwork and hostPath semantics); and it registers the Node with
//! kubelet.conf, as the kubelet does.
//!
//! Traffic stays on this machine: the bridge has no uplink, and the default
//! route inside a host points at an address nobody answers for.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub const BIN_ENV: &str = "KUBELIFT_E2E_BIN";

/// Folders the stand-in binds from a host's root into its mount namespace.
const BOUND_DIRS: &[&str] = &["/etc/kubernetes", "/var/lib/etcd", "/var/lib/kubelet"];

/// The real binaries, or `None` after printing the one SKIPPED line.
pub fn binaries(test: &str) -> Option<PathBuf> {
    let Some(dir) = std::env::var_os(BIN_ENV).map(PathBuf::from) else {
        // Written to stderr directly, past the test harness's capture, so the
        // line shows in every run's output.
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {BIN_ENV} is not set (it names the folder with kube-apiserver, kube-controller-manager, kube-scheduler and kubeadm; see docs/testing.md)");
        return None;
    };
    for bin in ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubeadm"] {
        assert!(dir.join(bin).is_file(), "{BIN_ENV}={} has no {bin}", dir.display());
    }
    assert!(which("etcd").is_some(), "etcd is not on PATH: install Debian's etcd-server (.ci/run does)");
    assert!(nix::unistd::geteuid().is_root(), "the end-to-end harness makes network namespaces and needs root");
    Some(dir)
}

pub fn which(bin: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(bin)).find(|p| p.is_file())
}

pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ip(args: &[&str]) {
    run(Command::new("ip").args(args));
}

/// A private /24 with a bridge; hosts plug into it.
pub struct Network {
    pub index: u8,
    bridge: String,
    lock: PathBuf,
    next_host: Mutex<u8>,
}

impl Network {
    pub fn new() -> Network {
        let dir = Path::new("/run/kubelift-e2e");
        fs::create_dir_all(dir).unwrap();
        for index in 0..=250u8 {
            let lock = dir.join(format!("net-{index}"));
            if OpenOptions::new().write(true).create_new(true).open(&lock).is_ok() {
                let bridge = format!("klbr{index}");
                let _ = Command::new("ip").args(["link", "del", &bridge]).output();
                ip(&["link", "add", &bridge, "type", "bridge"]);
                ip(&["addr", "add", &format!("10.211.{index}.1/24"), "dev", &bridge]);
                ip(&["link", "set", &bridge, "up"]);
                return Network { index, bridge, lock, next_host: Mutex::new(2) };
            }
        }
        panic!("no free test network: remove stale /run/kubelift-e2e/net-* files");
    }

    pub fn address(&self, host: u8) -> Ipv4Addr {
        Ipv4Addr::new(10, 211, self.index, host)
    }

    /// A new host with its own network namespace, address and root folder.
    pub fn host(&self, name: &str) -> TestHost {
        let n = {
            let mut next = self.next_host.lock().unwrap();
            *next += 1;
            *next - 1
        };
        let ns = format!("kl{}h{n}", self.index);
        let (outer, inner) = (format!("{ns}a"), format!("{ns}b"));
        let address = self.address(n);
        let _ = Command::new("ip").args(["netns", "del", &ns]).output();
        ip(&["netns", "add", &ns]);
        ip(&["link", "add", &outer, "type", "veth", "peer", "name", &inner]);
        ip(&["link", "set", &outer, "master", &self.bridge]);
        ip(&["link", "set", &outer, "up"]);
        ip(&["link", "set", &inner, "netns", &ns]);
        let in_ns = |args: &[&str]| {
            let mut full = vec!["netns", "exec", &ns, "ip"];
            full.extend_from_slice(args);
            ip(&full);
        };
        in_ns(&["link", "set", &inner, "name", "eth0"]);
        in_ns(&["addr", "add", &format!("{address}/24"), "dev", "eth0"]);
        in_ns(&["link", "set", "eth0", "up"]);
        in_ns(&["link", "set", "lo", "up"]);
        // A default route makes address detection work as on a real host; its
        // gateway does not exist, so nothing can leave the test network.
        in_ns(&["route", "add", "default", "via", &format!("10.211.{}.254", self.index), "dev", "eth0"]);
        let root = tempfile::Builder::new().prefix(&format!("kubelift-e2e-{name}-")).tempdir().unwrap();
        for dir in BOUND_DIRS {
            fs::create_dir_all(dir).unwrap(); // mount points on the real host (empty)
            fs::create_dir_all(root.path().join(&dir[1..])).unwrap();
        }
        TestHost { name: name.into(), ns, address, root, processes: Arc::new(Mutex::new(BTreeMap::new())), kubelet: None }
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["link", "del", &self.bridge]).output();
        let _ = fs::remove_file(&self.lock);
    }
}

type Processes = Arc<Mutex<BTreeMap<String, (u64, Child)>>>;

pub struct TestHost {
    pub name: String,
    pub ns: String,
    pub address: Ipv4Addr,
    pub root: tempfile::TempDir,
    processes: Processes,
    kubelet: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
}

/// The shell run inside the host's mount namespace before the program.
fn mount_script() -> String {
    let mut s = String::from("set -e; root=\"$1\"; shift; ");
    for dir in BOUND_DIRS {
        s.push_str(&format!("mount --bind \"$root{dir}\" {dir}; "));
    }
    s.push_str("exec \"$@\"");
    s
}

impl TestHost {
    pub fn path(&self, host_path: &str) -> PathBuf {
        self.root.path().join(host_path.trim_start_matches('/'))
    }

    /// A command run in this host: its network namespace, and its root's
    /// folders bound at their real paths.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.ns, "unshare", "--mount", "--propagation", "private", "sh", "-c", &mount_script(), "sh"]);
        cmd.arg(self.root.path());
        cmd.arg(program);
        cmd
    }

    /// Starts the kubelet stand-in: static Pods from `<root>/etc/kubernetes/manifests`.
    pub fn start_kubelet(&mut self, bins: &Path) {
        let stop = Arc::new(AtomicBool::new(false));
        let standin = StandIn { host_root: self.root.path().to_path_buf(), ns: self.ns.clone(), node: self.name.clone(), address: self.address, bins: bins.to_path_buf(), processes: self.processes.clone(), stop: stop.clone() };
        let handle = std::thread::spawn(move || standin.run());
        self.kubelet = Some((stop, handle));
    }

    /// Stops every static Pod process (and the stand-in).
    pub fn stop_kubelet(&mut self) {
        if let Some((stop, handle)) = self.kubelet.take() {
            stop.store(true, Ordering::SeqCst);
            let _ = handle.join();
        }
        for (_, (_, mut child)) in std::mem::take(&mut *self.processes.lock().unwrap()) {
            stop_child(&mut child);
        }
    }

    /// kubectl from the test machine with a kubeconfig of this host.
    pub fn kubectl(&self, kubeconfig: &str, args: &[&str]) -> std::process::Output {
        Command::new("kubectl").arg("--kubeconfig").arg(self.path(kubeconfig)).args(["--request-timeout", "10s"]).args(args).output().unwrap()
    }

    /// Waits until the API server answers /readyz with admin.conf.
    pub fn wait_ready(&self, timeout: Duration) {
        let started = Instant::now();
        loop {
            let out = self.kubectl("/etc/kubernetes/admin.conf", &["get", "--raw", "/readyz"]);
            if out.status.success() {
                return;
            }
            if started.elapsed() > timeout {
                panic!("the API server of {} is not ready after {timeout:?}: {}\n{}", self.name, String::from_utf8_lossy(&out.stderr), self.logs());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Waits until the stand-in (or a real kubelet) has registered `node`.
    pub fn wait_for_node(&self, node: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let out = self.kubectl("/etc/kubernetes/admin.conf", &["get", "node", node, "-o", "name"]);
            if out.status.success() {
                return;
            }
            assert!(Instant::now() < deadline, "Node {node} did not register within {timeout:?}: {}", String::from_utf8_lossy(&out.stderr));
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// `kubectl ARGS -o json` with admin.conf, parsed; fails the test on error.
    pub fn kubectl_json(&self, args: &[&str]) -> serde_json::Value {
        let mut full = args.to_vec();
        full.extend(["-o", "json"]);
        let out = self.kubectl("/etc/kubernetes/admin.conf", &full);
        assert!(out.status.success(), "kubectl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Every file under the host's root, sorted, except the stand-in's Pod logs.
    pub fn files(&self) -> Vec<String> {
        fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
            for e in fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, base, out);
                } else {
                    out.push(p.strip_prefix(base).unwrap().display().to_string());
                }
            }
        }
        let mut out = vec![];
        walk(self.root.path(), self.root.path(), &mut out);
        out.retain(|f| !f.starts_with("var/log/"));
        out.sort();
        out
    }

    /// The last lines of every static Pod's log, for failure messages.
    pub fn logs(&self) -> String {
        let dir = self.path("/var/log/pods");
        let mut out = String::new();
        for pod in fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = pod.file_name().to_string_lossy().split('_').nth(1).unwrap_or_default().rsplit_once('-').map(|(n, _)| n.to_string()).unwrap_or_default();
            let e = pod.path().join(&name).join("0.log");
            let text = fs::read_to_string(&e).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            out.push_str(&format!("--- {}\n{}\n", e.display(), tail.into_iter().rev().collect::<Vec<_>>().join("\n")));
        }
        out
    }
}

impl Drop for TestHost {
    fn drop(&mut self) {
        self.stop_kubelet();
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).output();
        if std::thread::panicking() {
            // Keep the evidence of a failed test.
            let kept = std::mem::replace(&mut self.root, tempfile::tempdir().unwrap()).keep();
            eprintln!("kept the root of {} at {}", self.name, kept.display());
        }
    }
}

fn stop_child(child: &mut Child) {
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The kubelet's part: run static Pods, register the Node.
struct StandIn {
    host_root: PathBuf,
    ns: String,
    node: String,
    address: Ipv4Addr,
    bins: PathBuf,
    processes: Processes,
    stop: Arc<AtomicBool>,
}

impl StandIn {
    fn run(self) {
        let mut registered = false;
        while !self.stop.load(Ordering::SeqCst) {
            self.sync_pods();
            if !registered {
                registered = self.register_node();
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn manifests(&self) -> BTreeMap<String, (u64, serde_yaml::Value)> {
        let dir = self.host_root.join("etc/kubernetes/manifests");
        let mut out = BTreeMap::new();
        for e in fs::read_dir(dir).into_iter().flatten().flatten() {
            let Ok(text) = fs::read_to_string(e.path()) else { continue };
            let Ok(pod) = serde_yaml::from_str::<serde_yaml::Value>(&text) else { continue };
            let name = pod["metadata"]["name"].as_str().unwrap_or_default().to_string();
            let hash = {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                text.hash(&mut h);
                h.finish()
            };
            out.insert(name, (hash, pod));
        }
        out
    }

    /// Starts new or changed Pods and stops removed ones, as the kubelet does.
    fn sync_pods(&self) {
        let wanted = self.manifests();
        let mut running = self.processes.lock().unwrap();
        let stale: Vec<String> = running.iter().filter(|(name, (hash, _))| wanted.get(*name).map(|(h, _)| h) != Some(hash)).map(|(n, _)| n.clone()).collect();
        for name in stale {
            if let Some((_, mut child)) = running.remove(&name) {
                stop_child(&mut child);
            }
        }
        for (name, (hash, pod)) in wanted {
            let exited = running.get_mut(&name).is_some_and(|(_, c)| matches!(c.try_wait(), Ok(Some(_))));
            if exited {
                running.remove(&name); // restartPolicy Always
            }
            if let std::collections::btree_map::Entry::Vacant(slot) = running.entry(name) {
                if let Some(child) = self.start(slot.key(), &pod) {
                    slot.insert((hash, child));
                }
            }
        }
    }

    fn start(&self, name: &str, pod: &serde_yaml::Value) -> Option<Child> {
        let container = &pod["spec"]["containers"][0];
        let mut argv: Vec<String> = container["command"].as_sequence()?.iter().filter_map(|v| v.as_str().map(String::from)).collect();
        argv.extend(container["args"].as_sequence().into_iter().flatten().filter_map(|v| v.as_str().map(String::from)));
        let program = argv.remove(0);
        let binary = Some(self.bins.join(&program)).filter(|p| p.is_file()).or_else(|| which(&program))?;
        // Logs where the kubelet keeps them, so kubelift's diagnosis finds them.
        let log_dir = self.host_root.join(format!("var/log/pods/kube-system_{name}-{}_standin/{name}", self.node));
        fs::create_dir_all(&log_dir).ok()?;
        let log = OpenOptions::new().create(true).append(true).open(log_dir.join("0.log")).ok()?;
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.ns, "unshare", "--mount", "--propagation", "private", "sh", "-c", &mount_script(), "sh"]);
        cmd.arg(&self.host_root).arg(binary).args(argv);
        for env in container["env"].as_sequence().into_iter().flatten() {
            if let (Some(k), Some(v)) = (env["name"].as_str(), env["value"].as_str()) {
                cmd.env(k, v);
            }
        }
        cmd.stdin(Stdio::null()).stdout(log.try_clone().ok()?).stderr(log);
        cmd.spawn().ok()
    }

    /// Creates the Node with kubelet.conf once the API server answers.
    fn register_node(&self) -> bool {
        let kubeconfig = self.host_root.join("etc/kubernetes/kubelet.conf");
        if !kubeconfig.exists() {
            return false;
        }
        let node = serde_json::json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": { "name": self.node, "labels": {
                "kubernetes.io/hostname": self.node, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64" } },
        });
        // Inside the host: kubelet.conf may name files by their host paths.
        let created = self.kubectl(&["create", "-f", "-"], Some(&node.to_string()));
        if !created && !self.kubectl(&["get", "node", &self.node], None) {
            return false;
        }
        let status = serde_json::json!({ "status": {
            "addresses": [{ "type": "InternalIP", "address": self.address.to_string() }, { "type": "Hostname", "address": self.node }],
            "conditions": [{ "type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelift e2e stand-in",
                             "lastHeartbeatTime": chrono::Utc::now().to_rfc3339(), "lastTransitionTime": chrono::Utc::now().to_rfc3339() }] } });
        self.kubectl(&["patch", "node", &self.node, "--subresource=status", "--type=merge", "-p", &status.to_string()], None)
    }

    /// kubectl with the host's kubelet.conf, run inside the host.
    fn kubectl(&self, args: &[&str], input: Option<&str>) -> bool {
        use std::io::Write;
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.ns, "unshare", "--mount", "--propagation", "private", "sh", "-c", &mount_script(), "sh"]);
        cmd.arg(&self.host_root).args(["kubectl", "--kubeconfig", "/etc/kubernetes/kubelet.conf", "--request-timeout", "5s"]).args(args);
        cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
        let Ok(mut child) = cmd.spawn() else { return false };
        let _ = child.stdin.take().map(|mut s| s.write_all(input.unwrap_or_default().as_bytes()));
        child.wait().is_ok_and(|s| s.success())
    }
}

/// kubeadm's config for a host, as in the golden reference but with its address.
pub fn reference_config(host: &TestHost) -> String {
    let reference = include_str!("../fixtures/kubeadm-v1.24/config/input-kubeadm.yaml");
    reference.replace("10.211.0.2", &host.address.to_string()).replace("name: cp1", &format!("name: {}", host.name))
}

/// The bootstrap token of the reference config.
pub const TOKEN: &str = "abcdef.0123456789abcdef";

/// `kubelift ARGS --root <host root>` run inside the host.
pub fn kubelift(host: &TestHost, args: &[&str]) -> std::process::Output {
    host.command(env!("CARGO_BIN_EXE_kubelift")).args(args).arg("--root").arg(host.root.path()).output().unwrap()
}

/// stdout and stderr together, for assertions and failure messages.
pub fn text(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// `sha256:<hex>` of a control plane's CA, as join commands pin it.
pub fn ca_hash(cp: &TestHost) -> String {
    let pem = fs::read(cp.path("/etc/kubernetes/pki/ca.crt")).unwrap();
    kubelift::discovery::pin::hash_string(&pem::parse(pem).unwrap().into_contents()).unwrap()
}

/// Waits until the controller-manager's bootstrap signer has signed cluster-info for the token.
pub fn wait_signed(cp: &TestHost) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !String::from_utf8_lossy(&cp.kubectl("/etc/kubernetes/admin.conf", &["-n", "kube-public", "get", "cm", "cluster-info", "-o", "jsonpath={.data}"]).stdout).contains("jws-kubeconfig-abcdef") {
        assert!(Instant::now() < deadline, "cluster-info was never signed");
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// `kubelift init --non-interactive` of the reference config inside the host; waits for /readyz.
pub fn init(host: &TestHost) {
    fs::write(host.path("/kubeadm.yaml"), reference_config(host)).unwrap();
    let out = host
        .command(env!("CARGO_BIN_EXE_kubelift"))
        .args(["init", "--non-interactive", "--root"])
        .arg(host.root.path())
        .arg("--config")
        .arg(host.path("/kubeadm.yaml"))
        .args(["--skip-phases", "preflight"])
        .output()
        .unwrap();
    assert!(out.status.success(), "init failed:\n{}\n{}", text(&out), host.logs());
    host.wait_ready(Duration::from_secs(30));
}

/// A first control plane "cp1" made by `kubelift init` of the reference
/// config, with cluster-info signed: ready for joins.
pub fn control_plane(net: &Network, bins: &Path) -> TestHost {
    let mut cp = net.host("cp1");
    cp.start_kubelet(bins);
    init(&cp);
    // The controller-manager's bootstrap signer signs cluster-info shortly after.
    wait_signed(&cp);
    cp
}

/// A control plane "cp1" for the CSR tests: initialised, its Node carrying
/// its addresses; with the host's own IP and one on the test bridge that no
/// node has.
pub fn csr_control_plane(net: &Network, bins: &Path) -> (TestHost, std::net::IpAddr, std::net::IpAddr) {
    let mut host = net.host("cp1");
    host.start_kubelet(bins);
    init(&host);
    set_node_addresses(&host);
    let own_ip = std::net::IpAddr::V4(host.address);
    let stranger_ip = std::net::IpAddr::V4(std::net::Ipv4Addr::new(10, 211, net.index, 99));
    (host, own_ip, stranger_ip)
}

/// Creates a kubelet-serving CSR as the identity of `kubeconfig`.
pub fn create_serving_csr(host: &TestHost, kubeconfig: &str, name: &str, node: &str, dns: &[&str], ips: &[std::net::IpAddr]) {
    let pem = kubelift::csr::request::build(&kubelift::csr::request::RequestSpec::kubelet_serving(node, dns, ips), &kubelift::pki::generate_key(kubelift::pki::KeyAlgorithm::EcdsaP256).unwrap()).unwrap();
    let manifest = serde_json::json!({
        "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
        "metadata": { "name": name },
        "spec": { "request": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, pem), "signerName": "kubernetes.io/kubelet-serving",
                  "usages": ["digital signature", "key encipherment", "server auth"] } });
    let file = host.path(&format!("/{name}.json"));
    fs::write(&file, manifest.to_string()).unwrap();
    let out = host.kubectl(kubeconfig, &["create", "-f", file.to_str().unwrap()]);
    assert!(out.status.success(), "create {name} as {kubeconfig}: {}", text(&out));
}

/// Writes the Node's addresses as its kubelet would. The stand-in tries this
/// with kubelet.conf, which kubectl v1.32 cannot do against a v1.24 API server
/// (its --subresource=status patch first GETs nodes/status, which the Node
/// authorizer of v1.24 does not allow), so admin.conf writes them here.
pub fn set_node_addresses(host: &TestHost) {
    let status = serde_json::json!({ "status": { "addresses": [
        { "type": "InternalIP", "address": host.address.to_string() }, { "type": "Hostname", "address": host.name } ] } });
    let out = host.kubectl("/etc/kubernetes/admin.conf", &["patch", "node", &host.name, "--subresource=status", "--type=merge", "-p", &status.to_string()]);
    assert!(out.status.success(), "set the addresses of Node {}: {}", host.name, text(&out));
}

