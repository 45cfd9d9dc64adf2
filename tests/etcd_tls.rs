//! Real etcd (Debian's) serving TLS with the certificates kubelift's phases
//! wrote, started with exactly the flags of kubelift's etcd static Pod. It
//! runs in a network namespace of its own where 10.211.0.2 (the reference
//! advertise address) sits on the loopback device, so the manifest's
//! addresses are used as they are and no traffic leaves the namespace; only
//! the /etc/kubernetes and /var/lib/etcd paths are moved under the test root.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

const REFERENCE: &str = "tests/fixtures/kubeadm-v1.24/config/input-kubeadm.yaml";
const SKIP: &str = "preflight,wait-control-plane,upload-config,upload-certs,mark-control-plane,bootstrap-token,kubelet-finalize,addon";
const ENDPOINT: &str = "https://10.211.0.2:2379";

fn kubelift() -> Command {
    let mut cmd = Command::cargo_bin("kubelift").unwrap();
    cmd.env_remove("KUBELIFT_ROOT");
    cmd
}

fn have(bin: &str) -> bool {
    Process::new("sh").args(["-c", &format!("command -v {bin}")]).output().is_ok_and(|o| o.status.success())
}

/// A network namespace with only loopback, holding the reference address.
struct Namespace(String);

impl Namespace {
    fn new() -> Namespace {
        let name = format!("kl-certs-etcd-{}", std::process::id());
        let _ = Process::new("ip").args(["netns", "del", &name]).output();
        for args in [vec!["netns", "add", &name], vec!["-n", &name, "link", "set", "lo", "up"], vec!["-n", &name, "addr", "add", "10.211.0.2/32", "dev", "lo"]] {
            let out = Process::new("ip").args(&args).output().unwrap();
            assert!(out.status.success(), "ip {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Namespace(name)
    }

    fn command(&self, program: &str) -> Process {
        let mut cmd = Process::new("ip");
        cmd.args(["netns", "exec", &self.0, program]);
        cmd
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Process::new("ip").args(["netns", "del", &self.0]).output();
    }
}

/// etcd's command line from kubelift's manifest, with host paths under `root`.
fn etcd_command(root: &Path) -> Vec<String> {
    let manifest = std::fs::read_to_string(root.join("etc/kubernetes/manifests/etcd.yaml")).unwrap();
    let pod: serde_yaml::Value = serde_yaml::from_str(&manifest).unwrap();
    let command: Vec<String> = serde_yaml::from_value(pod["spec"]["containers"][0]["command"].clone()).unwrap();
    assert_eq!(command[0], "etcd");
    let under = |p: &str| format!("{}{p}", root.display());
    command.into_iter().map(|a| a.replace("=/etc/kubernetes", &format!("={}", under("/etc/kubernetes"))).replace("=/var/lib/etcd", &format!("={}", under("/var/lib/etcd")))).collect()
}

struct Etcd {
    child: Child,
    log: PathBuf,
}

impl Etcd {
    fn start(ns: &Namespace, root: &Path) -> Etcd {
        let argv = etcd_command(root);
        let log = root.join("etcd.log");
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
        let child = ns.command(&argv[0]).args(&argv[1..]).stdout(Stdio::null()).stderr(file).spawn().unwrap();
        Etcd { child, log }
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pki(root: &Path, base: &str) -> String {
    root.join("etc/kubernetes/pki").join(base).display().to_string()
}

/// `etcdctl endpoint health` with a client pair, trusting the etcd CA.
fn health(ns: &Namespace, root: &Path, cert: &str, key: &str) -> std::process::Output {
    ns.command("etcdctl")
        .env("ETCDCTL_API", "3")
        .args(["--endpoints", ENDPOINT, "--dial-timeout", "3s", "--command-timeout", "3s", "--cacert", &pki(root, "etcd/ca.crt"), "--cert", cert, "--key", key, "endpoint", "health"])
        .output()
        .unwrap()
}

fn wait_healthy(ns: &Namespace, root: &Path, etcd: &Etcd) {
    let started = Instant::now();
    loop {
        let out = health(ns, root, &pki(root, "etcd/healthcheck-client.crt"), &pki(root, "etcd/healthcheck-client.key"));
        if out.status.success() {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "etcd is not healthy: {}{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr), etcd.log());
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The serial of the certificate etcd serves right now.
fn served_serial(ns: &Namespace, root: &Path) -> String {
    let out = ns
        .command("openssl")
        .args(["s_client", "-connect", "10.211.0.2:2379", "-CAfile", &pki(root, "etcd/ca.crt"), "-cert", &pki(root, "etcd/healthcheck-client.crt"), "-key", &pki(root, "etcd/healthcheck-client.key")])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("Verify return code: 0 (ok)"), "{text}");
    let pem: String = text.lines().skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE")).take_while(|l| !l.starts_with("-----END")).chain(["-----END CERTIFICATE-----"]).map(|l| format!("{l}\n")).collect();
    serial_of_pem(&pem)
}

fn serial_of_pem(pem: &str) -> String {
    let mut child = Process::new("openssl").args(["x509", "-noout", "-serial"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(pem.as_bytes()).unwrap();
    String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap().trim().to_string()
}

fn file_serial(path: &str) -> String {
    serial_of_pem(&std::fs::read_to_string(path).unwrap())
}

/// A client pair from a CA etcd has never heard of, with the right name.
fn foreign_client(dir: &Path) -> (String, String) {
    let p = |f: &str| dir.join(f).display().to_string();
    let run = |args: &[&str]| {
        let out = Process::new("openssl").args(args).output().unwrap();
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n").unwrap();
    run(&["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", &p("ca.key"), "-out", &p("ca.crt"), "-subj", "/CN=etcd-ca", "-days", "1"]);
    run(&["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", &p("client.key"), "-out", &p("client.csr"), "-subj", "/O=system:masters/CN=kube-etcd-healthcheck-client"]);
    run(&["x509", "-req", "-in", &p("client.csr"), "-CA", &p("ca.crt"), "-CAkey", &p("ca.key"), "-CAcreateserial", "-out", &p("client.crt"), "-days", "1", "-extfile", &p("client.ext")]);
    (p("client.crt"), p("client.key"))
}

#[test]
fn etcd_serves_tls_with_kubelifts_certificates_and_after_renewal() {
    let ready = nix::unistd::geteuid().is_root() && ["etcd", "etcdctl", "ip", "openssl"].iter().all(|b| have(b));
    if !ready {
        println!("SKIPPED etcd_serves_tls_with_kubelifts_certificates_and_after_renewal: needs root, etcd, etcdctl, ip and openssl");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    kubelift().args(["init", "--non-interactive", "--config", REFERENCE, "--skip-phases", SKIP, "--root"]).arg(r).assert().success();
    let ns = Namespace::new();
    let etcd = Etcd::start(&ns, r);
    wait_healthy(&ns, r, &etcd);

    // The API server's client certificate reads and writes.
    let put = ns.command("etcdctl").env("ETCDCTL_API", "3").args(["--endpoints", ENDPOINT, "--cacert", &pki(r, "etcd/ca.crt"), "--cert", &pki(r, "apiserver-etcd-client.crt"), "--key", &pki(r, "apiserver-etcd-client.key"), "put", "/kubelift", "serves"]).output().unwrap();
    assert!(put.status.success(), "{}", String::from_utf8_lossy(&put.stderr));

    // A client certificate from another CA is refused, even with the right name.
    let scratch = tempfile::tempdir().unwrap();
    let (cert, key) = foreign_client(scratch.path());
    let refused = health(&ns, r, &cert, &key);
    assert!(!refused.status.success(), "etcd accepted a foreign client certificate");
    std::thread::sleep(Duration::from_millis(200));
    assert!(etcd.log().contains("rejected connection"), "{}", etcd.log());

    // Renew the serving and health-check certificates with new keys; etcd
    // serves the renewed certificate after its restart, to the renewed client.
    let before = served_serial(&ns, r);
    assert_eq!(before, file_serial(&pki(r, "etcd/server.crt")));
    for name in ["etcd-server", "etcd-healthcheck-client"] {
        kubelift().args(["certs", "renew", name, "--new-key", "--root"]).arg(r).assert().success();
    }
    etcd.stop();
    let etcd = Etcd::start(&ns, r);
    wait_healthy(&ns, r, &etcd);
    let after = served_serial(&ns, r);
    assert_ne!(after, before);
    assert_eq!(after, file_serial(&pki(r, "etcd/server.crt")));
    let get = ns.command("etcdctl").env("ETCDCTL_API", "3").args(["--endpoints", ENDPOINT, "--cacert", &pki(r, "etcd/ca.crt"), "--cert", &pki(r, "apiserver-etcd-client.crt"), "--key", &pki(r, "apiserver-etcd-client.key"), "get", "/kubelift", "--print-value-only"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&get.stdout).trim(), "serves", "{}", String::from_utf8_lossy(&get.stderr));
}
