//! The container runtime and the kubelet: CRI answer, runtime configuration,
//! kubelet version and unit, images.

use std::time::Duration;

use super::{Ctx, Finding};
use crate::preflight::containerd::{self, ContainerdConfig, Runtime, CONTAINERD_CONFIG, CRIO_CONFIG};
use crate::preflight::cri::CriError;
use crate::preflight::host::CommandError;
use crate::preflight::input::registry_of;
use crate::versions::{self, Semver};

const CRI_TIMEOUT: Duration = Duration::from_secs(3);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(3);
/// kubeadm's ImagePull looks at HTTPS registries.
const REGISTRY_PORT: u16 = 443;

pub fn is_docker_socket(path: &str) -> bool {
    Runtime::of_socket(path) == Runtime::Docker
}

fn runtime<'a>(c: &Ctx<'a>) -> Option<(Runtime, &'a str)> {
    let socket = c.input.cri_socket.as_deref()?;
    Some((Runtime::of_socket(socket), socket))
}

pub fn cri(c: &Ctx) -> Finding {
    let Some(socket) = c.input.cri_socket.as_deref() else {
        let list = c.input.cri_candidates.iter().map(|s| format!("unix://{s}")).collect::<Vec<_>>();
        return Finding::problem(format!("found several CRI sockets, and the configuration does not say which to use: {}", list.join(", ")))
            .fix(format!("pick one with --cri-socket (or nodeRegistration.criSocket), e.g. --cri-socket={}", list.first().map(String::as_str).unwrap_or("unix:///run/containerd/containerd.sock")));
    };
    let endpoint = format!("unix://{socket}");
    match c.host.cri_version(socket, CRI_TIMEOUT) {
        Ok(v) => Finding::pass(format!("{} {} answers CRI {} on {endpoint}", v.runtime_name, v.runtime_version, v.runtime_api_version)),
        Err(CriError::Unimplemented { message, .. }) => {
            let why = match Runtime::of_socket(socket) {
                Runtime::Containerd => format!("containerd's CRI plugin is disabled in {CONTAINERD_CONFIG}, or containerd is older than 1.6 (see ContainerdCRIPlugin)"),
                _ => "the runtime is too old to serve CRI v1, which kubelets from 1.26 on require".into(),
            };
            Finding::problem(format!("container runtime is not running: {endpoint} does not serve runtime.v1.RuntimeService ({message}): {why}"))
                .fix("enable the CRI plugin (`kubelift preflight --fix=ContainerdConfig` for containerd) or upgrade the runtime (containerd 1.6 or newer, CRI-O matching your Kubernetes minor), then restart it.")
                .fix_arg(endpoint)
        }
        Err(e) => Finding::problem(format!("container runtime is not running: {e}")).fix_arg(endpoint),
    }
}

pub fn containerd_cri_plugin(c: &Ctx) -> Finding {
    if !matches!(runtime(c), Some((Runtime::Containerd, _))) {
        return Finding::skip("the runtime is not containerd");
    }
    match ContainerdConfig::load(c.host) {
        Err(e) => Finding::problem(e).fix(format!("repair {CONTAINERD_CONFIG} (or regenerate it with `containerd config default`), then run `systemctl restart containerd`.")),
        Ok(cfg) if !cfg.exists => Finding::pass(format!("no {CONTAINERD_CONFIG}: containerd's built-in defaults enable the CRI plugin")),
        Ok(cfg) => match cfg.cri_disabled().as_slice() {
            [] => Finding::pass(format!("the CRI plugin is not disabled in {CONTAINERD_CONFIG}")),
            ids => Finding::problem(format!("disabled_plugins in {CONTAINERD_CONFIG} contains {}: containerd serves no CRI", ids.iter().map(|i| format!("{i:?}")).collect::<Vec<_>>().join(", "))),
        },
    }
}

/// The runtime's cgroup driver, where that comes from, and the setting that changes it.
struct Driver {
    name: String,
    source: String,
    key: String,
}

fn runtime_cgroup_driver(c: &Ctx, rt: Runtime) -> Result<Driver, Finding> {
    match rt {
        Runtime::Containerd => {
            let cfg = ContainerdConfig::load(c.host).map_err(Finding::problem)?;
            let name = if cfg.systemd_cgroup() == Some(true) { "systemd" } else { "cgroupfs" };
            let source = match (cfg.exists, cfg.systemd_cgroup()) {
                (false, _) => format!("containerd's default: there is no {CONTAINERD_CONFIG}"),
                (true, None) => format!("containerd's default: SystemdCgroup is not set in {CONTAINERD_CONFIG}"),
                (true, Some(v)) => format!("SystemdCgroup = {v} in {CONTAINERD_CONFIG}"),
            };
            // A missing file is written as version 2 by the fix.
            let key = if cfg.exists { cfg.systemd_cgroup_key() } else { "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options] SystemdCgroup".into() };
            Ok(Driver { name: name.into(), source, key })
        }
        Runtime::CriO => {
            let cfg = containerd::crio_config(c.host).map_err(Finding::problem)?;
            let source = match &cfg.cgroup_manager {
                Some(v) => format!("cgroup_manager = {v:?} in {CRIO_CONFIG}"),
                None => "CRI-O's default".into(),
            };
            Ok(Driver { name: cfg.cgroup_manager.unwrap_or_else(|| "systemd".into()), source, key: "[crio.runtime] cgroup_manager".into() })
        }
        Runtime::Docker => match c.host.run(&["docker", "info", "--format", "{{.CgroupDriver}}"], COMMAND_TIMEOUT) {
            Ok(out) if out.success() => Ok(Driver { name: out.stdout.trim().into(), source: "`docker info`".into(), key: "native.cgroupdriver".into() }),
            Ok(out) => Err(Finding::skip(format!("not checked: `docker info` failed: {}", out.stderr.trim()))),
            Err(e) => Err(Finding::skip(format!("not checked: {e}"))),
        },
        Runtime::Unknown => Err(Finding::skip("not checked: kubelift cannot tell this runtime's cgroup driver from its socket path")),
    }
}

pub fn cgroup_driver(c: &Ctx) -> Finding {
    let Some((rt, _)) = runtime(c) else { return Finding::skip("not checked: no CRI socket chosen yet") };
    let driver = match runtime_cgroup_driver(c, rt) {
        Ok(d) => d,
        Err(f) => return f,
    };
    let kubelet = &c.input.kubelet_cgroup_driver;
    if &driver.name == kubelet {
        return Finding::pass(format!("runtime and kubelet both use the {} cgroup driver ({})", driver.name, driver.source));
    }
    let f = Finding::problem(format!("the runtime uses the {} cgroup driver ({}) but the kubelet uses {kubelet}", driver.name, driver.source)).fix_arg(driver.key);
    if rt == Runtime::Containerd {
        f
    } else {
        f.fix(format!("make the runtime use the {kubelet} cgroup driver (CRI-O: cgroup_manager in {CRIO_CONFIG}; Docker: exec-opts native.cgroupdriver={kubelet} in /etc/docker/daemon.json), then restart it."))
    }
}

pub fn sandbox_image(c: &Ctx) -> Finding {
    let Some(expected) = c.input.sandbox_image() else {
        return Finding::skip("not checked: the control-plane version, and so its pause image, is known only after discovery");
    };
    let Some((rt, _)) = runtime(c) else { return Finding::skip("not checked: no CRI socket chosen yet") };
    let configured = match rt {
        Runtime::Containerd => match ContainerdConfig::load(c.host) {
            Err(e) => return Finding::problem(e),
            Ok(cfg) => match cfg.sandbox_image() {
                Some(img) => (img, format!("set in {CONTAINERD_CONFIG}")),
                None => match containerd_version(c).as_deref().and_then(containerd::containerd_default_sandbox) {
                    Some(img) => (img.to_string(), "containerd's built-in default".into()),
                    None => {
                        return Finding::problem(format!("{CONTAINERD_CONFIG} sets no sandbox image, and containerd's version (and so its default) is unknown"))
                            .fix_arg(expected)
                    }
                },
            },
        },
        Runtime::CriO => match containerd::crio_config(c.host) {
            Err(e) => return Finding::problem(e),
            Ok(cfg) => match cfg.pause_image {
                Some(img) => (img, format!("pause_image in {CRIO_CONFIG}")),
                None => return Finding::skip(format!("not checked: {CRIO_CONFIG} sets no pause_image, so CRI-O uses its version's default")),
            },
        },
        Runtime::Docker | Runtime::Unknown => return Finding::skip("not checked: kubelift reads the sandbox image of containerd and CRI-O only"),
    };
    let (image, source) = configured;
    if image == expected {
        Finding::pass(format!("the runtime's sandbox image is {image} ({source})"))
    } else {
        Finding::problem(format!("the runtime's sandbox image is {image} ({source}) but Kubernetes {} uses {expected}", c.input.kubernetes_version.as_deref().unwrap_or(""))).fix_arg(expected)
    }
}

/// `containerd --version` → `v1.7.22`.
fn containerd_version(c: &Ctx) -> Option<String> {
    let out = c.host.run(&["containerd", "--version"], COMMAND_TIMEOUT).ok()?;
    out.stdout.split_whitespace().find(|w| w.starts_with('v') && w[1..].starts_with(|ch: char| ch.is_ascii_digit())).map(String::from)
}

pub fn service_docker(c: &Ctx) -> Finding {
    if c.host.find_program("systemctl").is_none() {
        return Finding::skip("not checked: systemctl not found (no systemd)");
    }
    match c.host.run(&["systemctl", "is-active", "docker"], COMMAND_TIMEOUT) {
        Ok(out) if matches!(out.stdout.trim(), "active" | "activating") => Finding::pass("docker.service is active"),
        Ok(_) => Finding::problem("docker service is not active, please run 'systemctl start docker.service'"),
        Err(e) => Finding::skip(format!("not checked: {e}")),
    }
}

/// `Kubernetes v1.30.2` → v1.30.2.
pub fn parse_kubelet_version(output: &str) -> Option<Semver> {
    output.split_whitespace().find_map(Semver::parse)
}

pub fn kubelet_version(c: &Ctx) -> Finding {
    let target = c.input.kubernetes_version.as_deref().unwrap_or(&versions::newest().release);
    let out = match c.host.run(&["kubelet", "--version"], COMMAND_TIMEOUT) {
        Ok(out) => out,
        Err(CommandError::NotFound(_)) => return Finding::problem("kubelet not found in system path: install the kubelet package").fix_arg(target),
        Err(e) => return Finding::problem(format!("couldn't get kubelet version: {e}")).fix_arg(target),
    };
    let Some(kubelet) = parse_kubelet_version(&out.stdout) else {
        return Finding::problem(format!("couldn't parse kubelet version from {:?}", out.stdout.trim())).fix_arg(target);
    };
    let Some(cp) = c.input.kubernetes_version.as_deref().and_then(Semver::parse) else {
        // Worker join: the control plane's version is learned in discovery.
        let oldest = Semver::parse(&versions::all()[0].release).expect("the version table parses");
        return if (kubelet.major, kubelet.minor) < (oldest.major, oldest.minor) {
            Finding::problem(format!("Kubelet version \"v{}.{}.{}\" is lower than kubelift can support. Please upgrade kubelet", kubelet.major, kubelet.minor, kubelet.patch)).fix_arg(versions::newest().release.clone())
        } else {
            Finding::pass(format!("kubelet v{}.{}.{}", kubelet.major, kubelet.minor, kubelet.patch))
        };
    };
    let kv = format!("v{}.{}.{}", kubelet.major, kubelet.minor, kubelet.patch);
    if (kubelet.major, kubelet.minor) > (cp.major, cp.minor) {
        Finding::problem(format!("the kubelet version is higher than the control plane version. This is not a supported version skew and may lead to a malfunctional cluster. Kubelet version: \"{kv}\" Control plane version: \"{target}\"")).fix_arg(target)
    } else if kubelet.major != cp.major || kubelet.minor + 1 < cp.minor {
        Finding::problem(format!("Kubelet version \"{kv}\" is lower than kubelift can support for control plane {target}. Please upgrade kubelet")).fix_arg(target)
    } else {
        Finding::pass(format!("kubelet {kv} matches control plane {target}"))
    }
}

pub fn service_kubelet(c: &Ctx) -> Finding {
    if c.host.find_program("systemctl").is_none() {
        return Finding::skip("not checked: systemctl not found (no systemd); make sure the kubelet starts at boot");
    }
    match c.host.run(&["systemctl", "is-enabled", "kubelet"], COMMAND_TIMEOUT) {
        Ok(out) if out.success() => Finding::pass("kubelet.service is enabled"),
        Ok(out) if out.stdout.contains("not-found") || out.stderr.contains("not-found") || out.stderr.contains("No such file") => {
            Finding::problem("kubelet service does not exist: the kubelet package, which ships kubelet.service, is not installed")
                .fix("install the kubelet package (it ships kubelet.service), then run `systemctl enable kubelet.service`.")
        }
        Ok(_) => Finding::problem("kubelet service is not enabled, please run 'systemctl enable kubelet.service'"),
        Err(e) => Finding::skip(format!("not checked: {e}")),
    }
}

pub fn image_pull(c: &Ctx) -> Finding {
    if c.input.dry_run {
        return Finding::skip("not checked in a dry run (kubeadm skips image pulls there too)");
    }
    let Some(socket) = c.input.cri_socket.as_deref() else { return Finding::skip("not checked: no CRI socket chosen yet") };
    if c.host.cri_version(socket, CRI_TIMEOUT).is_err() {
        return Finding::skip("not checked: the container runtime does not answer (see CRI)");
    }
    if c.host.find_program("crictl").is_none() {
        return Finding::skip("not checked: crictl is needed to ask the runtime for images (see FileExisting-crictl)");
    }
    let endpoint = format!("unix://{socket}");
    let missing: Vec<&String> = c
        .input
        .images
        .iter()
        .filter(|img| !c.host.run(&["crictl", "--runtime-endpoint", &endpoint, "inspecti", img], COMMAND_TIMEOUT).is_ok_and(|o| o.success()))
        .collect();
    if missing.is_empty() {
        return Finding::pass(format!("all {} images are present in the runtime", c.input.images.len()));
    }
    let list = missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
    if c.input.image_pull_policy == "Never" {
        return Finding::problem(format!("imagePullPolicy is Never and {} image(s) are missing: {list}", missing.len())).fix_arg(list);
    }
    if !c.input.network_probes {
        return Finding::skip(format!(
            "not checked: {} image(s) are not present yet ({list}); whether the registry is reachable is not probed because network probes are off (--network-probes)",
            missing.len()
        ));
    }
    registry_reachability(c, &missing, &list)
}

fn registry_reachability(c: &Ctx, missing: &[&String], list: &str) -> Finding {
    let mut registries: Vec<&str> = missing.iter().filter_map(|img| registry_of(img)).collect();
    registries.sort();
    registries.dedup();
    let mut unreachable = vec![];
    for registry in &registries {
        let (host, port) = match registry.rsplit_once(':') {
            Some((h, p)) if p.parse::<u16>().is_ok() => (h, p.parse().unwrap_or(REGISTRY_PORT)),
            _ => (*registry, REGISTRY_PORT),
        };
        if let Err(e) = c.host.resolve(host).and_then(|_| c.host.tcp_connect(host, port, CRI_TIMEOUT)) {
            unreachable.push(format!("{registry} ({e})"));
        }
    }
    if unreachable.is_empty() {
        Finding::pass(format!("{} image(s) will be pulled from {}, which answers on TCP", missing.len(), registries.join(", ")))
    } else {
        Finding::problem(format!("failed to reach {} for the missing images: {list}", unreachable.join(", "))).fix_arg(list.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubelet_version_output() {
        assert_eq!(parse_kubelet_version("Kubernetes v1.30.2\n"), Some(Semver { major: 1, minor: 30, patch: 2 }));
        assert_eq!(parse_kubelet_version("garbage"), None);
    }
}
