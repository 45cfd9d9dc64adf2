//! Fixture tests: every check passing on a healthy fake machine, and failing
//! with exactly one thing broken. No root, kubelet, runtime or network needed.

use std::net::IpAddr;
use std::sync::Arc;

use super::catalogue::Flow;
use super::checks::{SYSCTL_BRIDGE, SYSCTL_FORWARD};
use super::cri::{CriError, CriVersion};
use super::fixture::{FixtureHost, FIXTURE_ADDRESS, FIXTURE_NODE, FIXTURE_SOCKET};
use super::input::EtcdInput;
use super::*;
use crate::config::{HostDefaults, InitSettings, JoinSettings};
use crate::engine::event::{CheckStatus, Envelope};

fn host_defaults() -> HostDefaults {
    HostDefaults { hostname: FIXTURE_NODE.into(), default_address: Some(FIXTURE_ADDRESS.parse().unwrap()), cri_sockets: vec![FIXTURE_SOCKET.into()] }
}

pub(super) fn init_input() -> CheckInput {
    let mut s = InitSettings::empty();
    s.cluster.networking.pod_subnet = "10.244.0.0/16".into();
    let s = s.resolve(&host_defaults()).expect("fixture settings are valid");
    CheckInput::for_init(&s, &[FIXTURE_SOCKET.into()])
}

fn join_input() -> CheckInput {
    let mut s = JoinSettings::empty();
    crate::config::defaults::join_configuration(&mut s.join, &host_defaults(), s.version);
    s.join.discovery.bootstrap_token = Some(crate::config::BootstrapTokenDiscovery { api_server_endpoint: "10.211.0.1:6443".into(), ..Default::default() });
    CheckInput::for_join(&s, &[FIXTURE_SOCKET.into()])
}

/// Runs the checks and returns the report and the events they streamed.
pub(super) fn run_on(host: FixtureHost, input: CheckInput, options: Options) -> (Report, Vec<Envelope>, Arc<FixtureHost>) {
    let host = Arc::new(host);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (sink, mut rx) = EventSink::channel();
    let dyn_host: Arc<dyn Host> = host.clone();
    let report = rt.block_on(run(dyn_host, Arc::new(input), &options, &sink));
    drop(sink);
    let mut events = vec![];
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    (report, events, host)
}

fn plain() -> Options {
    Options { ignore: IgnoreList::default(), dry_run: false }
}

fn check(host: FixtureHost, input: CheckInput, name: &str) -> Outcome {
    let (report, _, _) = run_on(host, input, plain());
    report.outcome(name).unwrap_or_else(|| panic!("{name} did not run; ran {:?}", report.outcomes.iter().map(|o| &o.name).collect::<Vec<_>>())).clone()
}

/// Breaks one thing and checks that `name` reports `status`.
fn expect(name: &str, status: CheckStatus, setup: impl FnOnce(&mut FixtureHost, &mut CheckInput)) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let mut host = FixtureHost::healthy(dir.path());
    let mut input = init_input();
    setup(&mut host, &mut input);
    let o = check(host, input, name);
    assert_eq!(o.status, status, "{name}: {o:#?}");
    if status != CheckStatus::Passed && status != CheckStatus::Skipped {
        let fix = o.fix.as_ref().expect("a problem comes with a fix");
        assert!(!fix.how.is_empty() && !fix.how.contains("{arg}") && !fix.how.contains("{package}"), "{name}: {fix:?}");
        assert!(!o.message.is_empty() && !o.why.is_empty());
    }
    o
}

#[test]
fn a_healthy_machine_passes_every_init_check() {
    let dir = tempfile::tempdir().unwrap();
    let (report, events, host) = run_on(FixtureHost::healthy(dir.path()), init_input(), plain());
    let bad: Vec<_> = report.outcomes.iter().filter(|o| o.status != CheckStatus::Passed).collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert!(report.outcomes.len() >= 40);
    assert_eq!(report.totals.passed as usize, report.outcomes.len());
    assert!(host.probes_made().is_empty(), "no network probe without --network-probes");
    let results = events.iter().filter(|e| matches!(e.event, Event::CheckResult { .. })).count();
    assert_eq!(results, report.outcomes.len(), "one event per check");
    assert!(matches!(events.last().unwrap().event, Event::PreflightFinished { .. }));
}

#[test]
fn a_healthy_machine_passes_every_join_check() {
    let dir = tempfile::tempdir().unwrap();
    let (report, _, _) = run_on(FixtureHost::healthy(dir.path()), join_input(), plain());
    let bad: Vec<_> = report.outcomes.iter().filter(|o| !matches!(o.status, CheckStatus::Passed | CheckStatus::Skipped)).collect();
    assert!(bad.is_empty(), "{bad:#?}");
    let names: Vec<&str> = report.outcomes.iter().map(|o| o.name.as_str()).collect();
    assert!(names.contains(&"FileAvailable--etc-kubernetes-kubelet.conf") && names.contains(&"FileAvailable--etc-kubernetes-pki-ca.crt"));
    assert!(!names.contains(&"NumCPU") && !names.contains(&"Port-6443"), "control-plane checks stay out of a worker join");
    // Without a control-plane version, the version-bound checks say so.
    assert_eq!(report.outcome("SandboxImage").unwrap().status, CheckStatus::Skipped);
}

#[test]
fn privileges_cpus_memory_and_version() {
    expect("IsPrivilegedUser", CheckStatus::Failed, |h, _| h.euid = 1000);
    expect("NumCPU", CheckStatus::Failed, |h, _| h.cpus = 1);
    let o = expect("Mem", CheckStatus::Failed, |h, _| h.memory = 1 << 30);
    assert!(o.message.contains("1024 MB"));
    expect("KubernetesVersion", CheckStatus::Warning, |_, i| i.kubernetes_version = Some("v1.99.0".into()));
}

#[test]
fn ports_and_leftover_files() {
    for port in [6443, 10250, 10257, 10259, 2379, 2380] {
        let o = expect(&format!("Port-{port}"), CheckStatus::Failed, |h, _| {
            h.ports_in_use.insert(port);
        });
        assert!(o.fix.unwrap().how.contains(&format!(":{port}")));
    }
    expect("FileAvailable--etc-kubernetes-manifests-etcd.yaml", CheckStatus::Failed, |h, _| h.write("/etc/kubernetes/manifests/etcd.yaml", "x"));
    expect("FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml", CheckStatus::Failed, |h, _| h.write("/etc/kubernetes/manifests/kube-apiserver.yaml", "x"));
    expect("DirAvailable--var-lib-etcd", CheckStatus::Passed, |h, _| std::fs::create_dir_all(h.root.join("var/lib/etcd")).unwrap());
    expect("DirAvailable--var-lib-etcd", CheckStatus::Failed, |h, _| h.write("/var/lib/etcd/member/snap/db", "x"));
}

#[test]
fn proxies_are_reported_without_their_passwords() {
    let o = expect("HTTPProxy", CheckStatus::Warning, |h, _| {
        h.env.insert("HTTPS_PROXY".into(), "http://me:s3cret@proxy:3128".into());
    });
    assert!(o.message.contains("***@proxy:3128") && !o.message.contains("s3cret"), "{}", o.message);
    expect("HTTPProxy", CheckStatus::Passed, |h, _| {
        h.env.insert("https_proxy".into(), "http://proxy:3128".into());
        h.env.insert("no_proxy".into(), FIXTURE_ADDRESS.into());
    });
    let o = expect("HTTPProxyCIDR", CheckStatus::Warning, |h, _| {
        h.env.insert("HTTPS_PROXY".into(), "http://proxy:3128".into());
        h.env.insert("NO_PROXY".into(), "10.96.0.0/12".into());
    });
    assert!(o.message.contains("10.244.0.0/16") && !o.message.contains("10.96.0.0/12"));
    expect("HTTPProxyCIDR", CheckStatus::Passed, |h, _| {
        h.env.insert("HTTPS_PROXY".into(), "http://proxy:3128".into());
        h.env.insert("NO_PROXY".into(), "10.96.0.0/12,10.244.0.0/16".into());
    });
}

#[test]
fn container_runtime() {
    let o = expect("CRI", CheckStatus::Failed, |h, _| h.cri = Err(CriError::Missing("/run/containerd/containerd.sock".into())));
    assert!(o.message.contains("not running"));
    let o = expect("CRI", CheckStatus::Failed, |h, _| h.cri = Err(CriError::Unimplemented { path: "x".into(), message: "unknown service runtime.v1.RuntimeService".into() }));
    assert!(o.message.contains("CRI plugin is disabled") && o.fix.unwrap().how.contains("--fix=ContainerdConfig"));
    let o = expect("CRI", CheckStatus::Failed, |_, i| {
        i.cri_socket = None;
        i.cri_candidates = vec!["/run/containerd/containerd.sock".into(), "/var/run/crio/crio.sock".into()];
    });
    assert!(o.message.contains("several CRI sockets") && o.fix.unwrap().how.contains("--cri-socket"));
    expect("FileExisting-crictl", CheckStatus::Failed, |h, _| {
        h.programs.remove("crictl");
    });
}

#[test]
fn containerd_configuration() {
    let o = expect("ContainerdCRIPlugin", CheckStatus::Failed, |h, _| h.write("/etc/containerd/config.toml", "disabled_plugins = [\"cri\"]\n"));
    assert_eq!(o.fix.unwrap().auto.as_deref(), Some("ContainerdConfig"));
    expect("ContainerdCRIPlugin", CheckStatus::Failed, |h, _| h.write("/etc/containerd/config.toml", "version = = 2\n"));
    expect("ContainerdCRIPlugin", CheckStatus::Passed, |h, _| h.remove("/etc/containerd/config.toml"));
    let o = expect("CgroupDriver", CheckStatus::Failed, |h, _| h.remove("/etc/containerd/config.toml"));
    assert!(o.message.contains("cgroupfs") && o.message.contains("no /etc/containerd/config.toml"));
    expect("CgroupDriver", CheckStatus::Failed, |h, _| {
        let text = std::fs::read_to_string(h.root.join("etc/containerd/config.toml")).unwrap();
        h.write("/etc/containerd/config.toml", &text.replace("SystemdCgroup = true", "SystemdCgroup = false"));
    });
    expect("CgroupDriver", CheckStatus::Passed, |h, i| {
        i.kubelet_cgroup_driver = "cgroupfs".into();
        h.remove("/etc/containerd/config.toml");
    });
    let o = expect("SandboxImage", CheckStatus::Warning, |h, _| h.write("/etc/containerd/config.toml", "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\nsandbox_image = \"k8s.gcr.io/pause:3.2\"\n"));
    assert!(o.message.contains("k8s.gcr.io/pause:3.2"));
    // No sandbox image in the file: containerd 1.7's built-in default (3.8) differs from the version's.
    expect("SandboxImage", CheckStatus::Warning, |h, _| h.remove("/etc/containerd/config.toml"));
}

#[test]
fn other_runtimes() {
    let crio = |h: &mut FixtureHost, i: &mut CheckInput| {
        i.cri_socket = Some("/var/run/crio/crio.sock".into());
        h.write("/etc/crio/crio.conf", "[crio.runtime]\ncgroup_manager = \"cgroupfs\"\n");
    };
    expect("CgroupDriver", CheckStatus::Failed, crio);
    expect("ContainerdCRIPlugin", CheckStatus::Skipped, crio);
    let docker = |h: &mut FixtureHost, i: &mut CheckInput, state: &str| {
        i.cri_socket = Some("/var/run/cri-dockerd.sock".into());
        h.set_command("systemctl is-active docker", if state == "active" { 0 } else { 3 }, state, "");
        h.programs.insert("docker".into());
        h.set_command("docker info", 0, "systemd\n", "");
    };
    expect("Service-Docker", CheckStatus::Failed, |h, i| docker(h, i, "inactive"));
    expect("Service-Docker", CheckStatus::Passed, |h, i| docker(h, i, "active"));
    expect("CgroupDriver", CheckStatus::Passed, |h, i| docker(h, i, "active"));
}

#[test]
fn kernel_networking() {
    let o = expect(&format!("FileContent-{}", catalogue::path_arg(SYSCTL_FORWARD)), CheckStatus::Failed, |h, _| h.set_kernel(SYSCTL_FORWARD, Some("0\n")));
    assert!(o.message.contains("not set to 1") && o.fix.unwrap().auto.as_deref() == Some("Sysctl"));
    let o = expect(&format!("FileContent-{}", catalogue::path_arg(SYSCTL_BRIDGE)), CheckStatus::Failed, |h, _| h.set_kernel(SYSCTL_BRIDGE, None));
    assert!(o.message.contains("does not exist"));
    let o = expect("KernelModules", CheckStatus::Failed, |h, _| h.set_kernel("/sys/module/br_netfilter", None));
    assert!(o.fix.unwrap().how.contains("modprobe br_netfilter"));
    let dir = tempfile::tempdir().unwrap();
    let mut input = init_input();
    input.advertise_address = Some("fd00::2".parse().unwrap());
    let mut host = FixtureHost::healthy(dir.path());
    host.addresses.push(("eth0".into(), "fd00::2".parse().unwrap()));
    host.set_kernel("/proc/sys/net/ipv6/conf/default/forwarding", Some("0"));
    let o = check(host, input, "FileContent--proc-sys-net-ipv6-conf-default-forwarding");
    assert_eq!(o.status, CheckStatus::Failed, "IPv6 nodes get the IPv6 sysctls");
}

#[test]
fn swap_programs_and_system() {
    let o = expect("Swap", CheckStatus::Warning, |h, _| h.set_kernel("/proc/swaps", Some("Filename Type Size Used Priority\n/swap.img file 2097148 0 -2\n")));
    assert!(o.message.contains("/swap.img"));
    let o = expect("Swap", CheckStatus::Warning, |h, _| h.write("/etc/fstab", "/swap.img none swap sw 0 0\n"));
    assert!(o.message.contains("at the next boot"));
    expect("Swap", CheckStatus::Passed, |h, _| h.write("/etc/fstab", "# /swap.img none swap sw 0 0\n"));
    expect("FileExisting-conntrack", CheckStatus::Failed, |h, _| {
        h.programs.remove("conntrack");
    });
    expect("FileExisting-socat", CheckStatus::Warning, |h, _| {
        h.programs.remove("socat");
    });
    expect("SystemVerification", CheckStatus::Failed, |h, _| h.uname.release = "2.6.32".into());
    expect("SystemVerification", CheckStatus::Failed, |h, _| h.uname.sysname = "Darwin".into());
    let o = expect("SystemVerification", CheckStatus::Failed, |h, _| h.set_kernel("/sys/fs/cgroup/cgroup.controllers", Some("cpuset cpu io pids hugetlb")));
    assert!(o.message.contains("missing required cgroups (v2): memory"));
    expect("SystemVerification", CheckStatus::Warning, |h, _| h.set_kernel("/sys/fs/cgroup/cgroup.controllers", Some("cpuset cpu io memory pids")));
    expect("SystemVerification", CheckStatus::Warning, |h, _| h.set_kernel("/boot/config-6.1.0-18-amd64", None));
    let v1 = "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t1\t1\t1\ncpu\t2\t1\t1\ncpuacct\t2\t1\t1\ndevices\t3\t1\t1\nfreezer\t4\t1\t1\nmemory\t0\t1\t0\npids\t5\t1\t1\nhugetlb\t6\t1\t1\n";
    let o = expect("SystemVerification", CheckStatus::Failed, |h, _| {
        h.set_kernel("/sys/fs/cgroup/cgroup.controllers", None);
        h.set_kernel("/proc/cgroups", Some(v1));
    });
    assert!(o.message.contains("(v1): memory"));
    expect("SystemVerification", CheckStatus::Passed, |h, _| {
        h.set_kernel("/sys/fs/cgroup/cgroup.controllers", None);
        h.set_kernel("/proc/cgroups", Some(&v1.replace("memory\t0\t1\t0", "memory\t7\t1\t1")));
    });
    expect("ClockSync", CheckStatus::Warning, |h, _| h.clock = Some(false));
    expect("ClockSync", CheckStatus::Skipped, |h, _| h.clock = None);
    expect("DiskSpace", CheckStatus::Warning, |h, _| h.free = Some(1 << 30));
}

#[test]
fn hostname_is_looked_up_only_with_network_probes() {
    let dir = tempfile::tempdir().unwrap();
    let host = FixtureHost::healthy(dir.path());
    host.write("/etc/hosts", "127.0.0.1 localhost\n");
    let (report, _, host) = run_on(host, init_input(), plain());
    assert_eq!(report.outcome("Hostname").unwrap().status, CheckStatus::Skipped);
    assert!(host.probes_made().is_empty());
    let probing = |dns: Option<IpAddr>| {
        let dir = tempfile::tempdir().unwrap();
        let mut host = FixtureHost::healthy(dir.path());
        host.write("/etc/hosts", "127.0.0.1 localhost\n");
        if let Some(ip) = dns {
            host.dns.insert(FIXTURE_NODE.into(), vec![ip]);
        }
        let mut input = init_input();
        input.network_probes = true;
        check(host, input, "Hostname").status
    };
    assert_eq!(probing(Some(FIXTURE_ADDRESS.parse().unwrap())), CheckStatus::Passed);
    assert_eq!(probing(None), CheckStatus::Warning);
}

#[test]
fn kubelet() {
    let o = expect("KubeletVersion", CheckStatus::Failed, |h, _| h.set_command("kubelet --version", 0, "Kubernetes v1.99.0\n", ""));
    assert!(o.message.contains("higher than the control plane"));
    expect("KubeletVersion", CheckStatus::Failed, |h, i| {
        i.kubernetes_version = Some("v1.30.0".into());
        h.set_command("kubelet --version", 0, "Kubernetes v1.28.3\n", "");
    });
    expect("KubeletVersion", CheckStatus::Passed, |h, i| {
        i.kubernetes_version = Some("v1.30.0".into());
        h.set_command("kubelet --version", 0, "Kubernetes v1.29.3\n", "");
    });
    expect("KubeletVersion", CheckStatus::Failed, |h, _| {
        h.programs.remove("kubelet");
    });
    expect("KubeletVersion", CheckStatus::Failed, |h, _| h.set_command("kubelet --version", 0, "nonsense", ""));
    expect("Service-Kubelet", CheckStatus::Warning, |h, _| h.set_command("systemctl is-enabled kubelet", 1, "disabled\n", ""));
    expect("Service-Kubelet", CheckStatus::Skipped, |h, _| {
        h.programs.remove("systemctl");
    });
    expect("Firewalld", CheckStatus::Warning, |h, _| h.set_command("systemctl is-active firewalld", 0, "active\n", ""));
}

#[test]
fn addresses_and_ranges() {
    let o = expect("AdvertiseAddress", CheckStatus::Failed, |h, _| h.addresses.retain(|(i, _)| i == "lo"));
    assert!(o.message.contains("not assigned to any local interface"));
    expect("AdvertiseAddress", CheckStatus::Warning, |h, i| {
        i.advertise_address = Some("10.0.2.15".parse().unwrap());
        h.addresses.push(("enp0s3".into(), "10.0.2.15".parse().unwrap()));
    });
    let o = expect("NetworkRanges", CheckStatus::Warning, |h, _| {
        let routes = h.kernel["/proc/net/route"].clone() + "eth1\t0001F40A\t00000000\t0001\t0\t0\t0\t00FFFFFF\n";
        h.set_kernel("/proc/net/route", Some(&routes));
    });
    assert!(o.message.contains("pod subnet 10.244.0.0/16 overlaps the host route 10.244.1.0/24 on eth1"), "{}", o.message);
    expect("NetworkRanges", CheckStatus::Passed, |h, _| {
        let routes = h.kernel["/proc/net/route"].clone() + "cni0\t0001F40A\t00000000\t0001\t0\t0\t0\t00FFFFFF\n";
        h.set_kernel("/proc/net/route", Some(&routes));
    });
}

fn external_etcd(i: &mut CheckInput) {
    i.etcd = EtcdInput::External {
        endpoints: vec!["https://10.211.0.9:2379".into()],
        files: vec![("caFile".into(), "/etc/etcd/ca.crt".into()), ("certFile".into(), "/etc/etcd/client.crt".into()), ("keyFile".into(), "/etc/etcd/client.key".into())],
    };
}

#[test]
fn external_etcd_checks() {
    expect("ExternalEtcdVersion", CheckStatus::Skipped, |_, i| external_etcd(i));
    expect("ExternalEtcdVersion", CheckStatus::Failed, |_, i| {
        external_etcd(i);
        i.network_probes = true;
    });
    let o = expect("ExternalEtcdVersion", CheckStatus::Skipped, |h, i| {
        external_etcd(i);
        i.network_probes = true;
        h.tcp_open.insert("10.211.0.9:2379".into());
    });
    assert!(o.message.contains("answer on TCP"));
    let o = expect("ExternalEtcdClientCertificates", CheckStatus::Failed, |h, i| {
        external_etcd(i);
        h.write("/etc/etcd/ca.crt", "x");
    });
    assert!(o.message.contains("/etc/etcd/client.key doesn't exist (etcd.external.keyFile)"));
    expect("ExternalEtcdClientCertificates", CheckStatus::Passed, |h, i| {
        external_etcd(i);
        for f in ["ca.crt", "client.crt", "client.key"] {
            h.write(&format!("/etc/etcd/{f}"), "x");
        }
    });
}

#[test]
fn images_and_registry_reachability() {
    let missing = |h: &mut FixtureHost| h.set_command("crictl", 1, "", "no such image");
    let o = expect("ImagePull", CheckStatus::Skipped, |h, _| missing(h));
    assert!(o.message.contains("network probes are off"));
    expect("ImagePull", CheckStatus::Failed, |h, i| {
        missing(h);
        i.network_probes = true;
    });
    expect("ImagePull", CheckStatus::Passed, |h, i| {
        missing(h);
        i.network_probes = true;
        h.dns.insert("registry.k8s.io".into(), vec!["192.0.2.10".parse().unwrap()]);
        h.tcp_open.insert("registry.k8s.io:443".into());
    });
    expect("ImagePull", CheckStatus::Failed, |h, i| {
        missing(h);
        i.image_pull_policy = "Never".into();
    });
    expect("ImagePull", CheckStatus::Skipped, |_, i| i.dry_run = true);
    expect("ImagePull", CheckStatus::Skipped, |h, _| h.cri = Err(CriError::Timeout("x".into(), std::time::Duration::from_secs(1))));
}

#[test]
fn ignored_errors_and_dry_runs() {
    let broken = || {
        let dir = tempfile::tempdir().unwrap();
        let mut host = FixtureHost::healthy(dir.path());
        host.cpus = 1;
        host.memory = 1 << 30;
        (dir, host)
    };
    let (_d, host) = broken();
    let (report, _, _) = run_on(host, init_input(), Options { ignore: IgnoreList::new(["numcpu", " Mem "]), dry_run: false });
    assert_eq!(report.outcome("NumCPU").unwrap().status, CheckStatus::Ignored);
    assert_eq!(report.outcome("Mem").unwrap().status, CheckStatus::Ignored);
    assert!(report.failed().is_empty());
    let (_d, host) = broken();
    let (report, _, _) = run_on(host, init_input(), Options { ignore: IgnoreList::new(["all"]), dry_run: false });
    assert_eq!(report.totals.ignored, 2);
    let (_d, host) = broken();
    let (report, _, _) = run_on(host, init_input(), Options { ignore: IgnoreList::default(), dry_run: true });
    assert!(report.failed().is_empty());
    assert_eq!(report.would_fail(), ["NumCPU", "Mem"]);
    let planned = checks::plan(&init_input());
    assert_eq!(IgnoreList::new(["NumCPU", "Swapp", "all"]).unknown(&planned), ["swapp"]);
}

#[test]
fn every_catalogue_entry_runs_in_some_workflow() {
    let mut inputs = vec![init_input(), join_input()];
    let mut etcd = init_input();
    external_etcd(&mut etcd);
    let mut docker = init_input();
    docker.cri_socket = Some("/var/run/cri-dockerd.sock".into());
    let mut cp_join = join_input();
    cp_join.flow = Flow::JoinControlPlane;
    inputs.extend([etcd, docker, cp_join]);
    let planned: Vec<&str> = inputs.iter().flat_map(checks::plan).map(|p| p.spec.id.as_str()).collect();
    for spec in catalogue::all() {
        assert!(planned.contains(&spec.id.as_str()), "{} never runs", spec.id);
    }
    for input in &inputs {
        let flow = input.flow;
        for p in checks::plan(input) {
            assert!(p.spec.workflows.contains(&flow), "{} runs in {flow:?} but the catalogue says {:?}", p.name, p.spec.workflows);
        }
    }
}

#[test]
fn docs_list_every_check_name_and_fix() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/preflight.md");
    let docs = std::fs::read_to_string(path).expect("docs/preflight.md exists");
    let mut names: Vec<String> = catalogue::all().iter().filter(|s| !s.name.contains("{arg}")).map(|s| s.name.clone()).collect();
    for input in [init_input(), join_input()] {
        names.extend(checks::plan(&input).into_iter().map(|p| p.name));
    }
    for name in names {
        assert!(docs.contains(&format!("`{name}`")), "docs/preflight.md does not list `{name}`");
    }
    for fix in fix::FIXES {
        assert!(docs.contains(&format!("`{fix}`")), "docs/preflight.md does not describe the fix `{fix}`");
    }
}

#[test]
fn cri_version_reaches_the_check() {
    let o = expect("CRI", CheckStatus::Passed, |h, _| {
        h.cri = Ok(CriVersion { version: "0.1.0".into(), runtime_name: "cri-o".into(), runtime_version: "1.30.0".into(), runtime_api_version: "v1".into() })
    });
    assert!(o.message.contains("cri-o 1.30.0 answers CRI v1"));
}

mod fixes;
