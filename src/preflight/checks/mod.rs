//! The checks, and which of them run for init and join (kubeadm's order, §9.2
//! of the kubeadm facts, with kubelift's additions next to their kin).

pub mod files;
pub mod network;
pub mod runtime;
pub mod system;

use std::sync::Arc;
use std::time::Duration;

use super::catalogue::{self, path_arg, Flow, Spec};
use super::host::Host;
use super::input::{CheckInput, EtcdInput, BOOTSTRAP_KUBELET_CONF, CONTROLLER_MANAGER_PORT, ETCD_PORTS, KUBELET_CONF, KUBELET_PORT, MANIFESTS_DIR, SCHEDULER_PORT};

/// What a check sees.
pub struct Ctx<'a> {
    pub host: &'a dyn Host,
    pub input: &'a CheckInput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// The problem the check exists for: its catalogue severity applies.
    Problem,
    /// A lesser problem, reported as a warning whatever the check's severity
    /// (kubeadm's SystemVerification does the same for optional cgroups).
    Warn,
    /// Not checked; the message says why.
    Skip,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub verdict: Verdict,
    pub message: String,
    /// Replaces the catalogue's `{arg}` in the fix text (e.g. the missing modules).
    pub fix_arg: Option<String>,
    /// Replaces the catalogue's fix text altogether, for a cause it does not cover.
    pub fix: Option<String>,
}

impl Finding {
    fn new(verdict: Verdict, message: impl Into<String>) -> Finding {
        Finding { verdict, message: message.into(), fix_arg: None, fix: None }
    }
    pub fn pass(message: impl Into<String>) -> Finding {
        Finding::new(Verdict::Pass, message)
    }
    pub fn problem(message: impl Into<String>) -> Finding {
        Finding::new(Verdict::Problem, message)
    }
    pub fn warn(message: impl Into<String>) -> Finding {
        Finding::new(Verdict::Warn, message)
    }
    pub fn skip(message: impl Into<String>) -> Finding {
        Finding::new(Verdict::Skip, message)
    }
    pub fn fix_arg(mut self, arg: impl Into<String>) -> Finding {
        self.fix_arg = Some(arg.into());
        self
    }
    pub fn fix(mut self, text: impl Into<String>) -> Finding {
        self.fix = Some(text.into());
        self
    }
}

pub type CheckFn = Arc<dyn Fn(&Ctx) -> Finding + Send + Sync>;

/// One check to run: its catalogue entry, concrete name and function.
#[derive(Clone)]
pub struct Planned {
    pub spec: &'static Spec,
    pub name: String,
    pub arg: Option<String>,
    pub timeout: Duration,
    pub run: CheckFn,
}

/// Ordinary checks read files or run one quick command.
const QUICK: Duration = Duration::from_secs(5);
/// ImagePull asks the runtime about every image, one command each.
const SLOW: Duration = Duration::from_secs(30);

fn check(id: &str, run: impl Fn(&Ctx) -> Finding + Send + Sync + 'static) -> Planned {
    let spec = catalogue::spec(id);
    Planned { spec, name: spec.name_for(None), arg: None, timeout: QUICK, run: Arc::new(run) }
}

fn check_arg(id: &str, arg: String, run: impl Fn(&Ctx) -> Finding + Send + Sync + 'static) -> Planned {
    let spec = catalogue::spec(id);
    Planned { spec, name: spec.name_for(Some(&arg)), arg: Some(arg), timeout: QUICK, run: Arc::new(run) }
}

fn port(p: u16) -> Planned {
    check_arg("Port", p.to_string(), move |c| network::port(c, p))
}

fn file_available(path: &str) -> Planned {
    let owned = path.to_string();
    check_arg("FileAvailable", path_arg(path), move |c| files::file_available(c, &owned))
}

fn sysctl(path: &'static str) -> Planned {
    check_arg("FileContent", path_arg(path), move |c| system::sysctl_is_one(c, path))
}

/// Programs the kubelet and kube-proxy need (kubeadm: errors).
pub const REQUIRED_PROGRAMS: [&str; 5] = ["conntrack", "ip", "iptables", "mount", "nsenter"];
/// Programs some features need (kubeadm: warnings).
pub const OPTIONAL_PROGRAMS: [&str; 5] = ["ebtables", "ethtool", "socat", "tc", "touch"];

pub const SYSCTL_BRIDGE: &str = "/proc/sys/net/bridge/bridge-nf-call-iptables";
pub const SYSCTL_BRIDGE6: &str = "/proc/sys/net/bridge/bridge-nf-call-ip6tables";
pub const SYSCTL_FORWARD: &str = "/proc/sys/net/ipv4/ip_forward";
pub const SYSCTL_FORWARD6: &str = "/proc/sys/net/ipv6/conf/default/forwarding";

/// Every check for the input's workflow, in report order.
pub fn plan(input: &CheckInput) -> Vec<Planned> {
    let mut out = vec![check("IsPrivilegedUser", system::is_privileged_user)];
    let joining = matches!(input.flow, Flow::Join | Flow::JoinControlPlane);
    if joining {
        out.push(file_available(KUBELET_CONF));
        out.push(file_available(BOOTSTRAP_KUBELET_CONF));
    } else {
        out.extend(control_plane_checks(input));
    }
    out.extend(common_checks(input));
    if input.flow == Flow::Join {
        out.push(file_available(&input.ca_cert_path.clone()));
    }
    if joining {
        // The proxy check of a join looks at the discovery endpoint.
        out.push(check("HTTPProxy", network::http_proxy));
    }
    if input.flow == Flow::JoinControlPlane {
        out.extend(control_plane_checks(input));
    }
    if input.uses_ipv6() {
        out.push(sysctl(SYSCTL_BRIDGE6));
        out.push(sysctl(SYSCTL_FORWARD6));
    }
    if input.is_control_plane() {
        out.extend(etcd_checks(input));
        let mut pull = check("ImagePull", runtime::image_pull);
        pull.timeout = SLOW;
        out.push(pull);
    }
    out
}

/// kubeadm's init-only checks, then kubelift's control-plane additions.
fn control_plane_checks(input: &CheckInput) -> Vec<Planned> {
    let mut out = vec![
        check("NumCPU", system::num_cpu),
        check("Mem", system::mem),
        check("KubernetesVersion", system::kubernetes_version),
        check("Firewalld", network::firewalld),
        port(input.bind_port),
        port(SCHEDULER_PORT),
        port(CONTROLLER_MANAGER_PORT),
    ];
    for component in ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"] {
        out.push(file_available(&format!("{MANIFESTS_DIR}/{component}.yaml")));
    }
    if input.flow == Flow::Init {
        out.push(check("HTTPProxy", network::http_proxy));
    }
    out.push(check("HTTPProxyCIDR", network::http_proxy_cidr));
    out.push(check("AdvertiseAddress", network::advertise_address));
    out.push(check("NetworkRanges", network::network_ranges));
    out
}

/// kubeadm's checks for every node, then kubelift's node additions.
fn common_checks(input: &CheckInput) -> Vec<Planned> {
    let mut out = vec![check("CRI", runtime::cri)];
    if input.cri_socket.as_deref().is_some_and(runtime::is_docker_socket) {
        out.push(check("Service-Docker", runtime::service_docker));
    } else {
        out.push(check_arg("FileExistingRequired", "crictl".into(), |c| files::program(c, "crictl")));
    }
    out.push(check("ContainerdCRIPlugin", runtime::containerd_cri_plugin));
    out.push(check("CgroupDriver", runtime::cgroup_driver));
    out.push(check("SandboxImage", runtime::sandbox_image));
    out.push(sysctl(SYSCTL_BRIDGE));
    out.push(sysctl(SYSCTL_FORWARD));
    out.push(check("KernelModules", system::kernel_modules));
    out.push(check("Swap", system::swap));
    for p in REQUIRED_PROGRAMS {
        out.push(check_arg("FileExistingRequired", p.into(), move |c| files::program(c, p)));
    }
    for p in OPTIONAL_PROGRAMS {
        out.push(check_arg("FileExistingOptional", p.into(), move |c| files::program(c, p)));
    }
    out.push(check("SystemVerification", system::system_verification));
    out.push(check("Hostname", network::hostname));
    out.push(check("KubeletVersion", runtime::kubelet_version));
    out.push(check("Service-Kubelet", runtime::service_kubelet));
    out.push(port(KUBELET_PORT));
    out.push(check("ClockSync", system::clock_sync));
    out.push(check("DiskSpace", system::disk_space));
    out
}

fn etcd_checks(input: &CheckInput) -> Vec<Planned> {
    match &input.etcd {
        EtcdInput::Local { data_dir } => {
            let dir = data_dir.clone();
            let mut out: Vec<Planned> = ETCD_PORTS.iter().map(|p| port(*p)).collect();
            out.push(check_arg("DirAvailable", path_arg(data_dir), move |c| files::dir_available(c, &dir)));
            out
        }
        EtcdInput::External { .. } => vec![
            check("ExternalEtcdVersion", network::external_etcd_version),
            check("ExternalEtcdClientCertificates", files::external_etcd_certificates),
        ],
        EtcdInput::None => vec![],
    }
}
