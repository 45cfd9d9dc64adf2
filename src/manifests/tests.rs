//! Flag order, overrides, extra volumes and envs, and per-version differences.

use super::*;
use crate::config::{HostDefaults, InitSettings};

const V1BETA4: &str = "\
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: ADDRESS
nodeRegistration:
  name: cp1
  criSocket: unix:///run/containerd/containerd.sock
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: VERSION
networking:
  podSubnet: 10.244.0.0/16
";

fn settings_with(version: &str, address: &str, extra: &str) -> InitSettings {
    let text = V1BETA4.replace("VERSION", version).replace("ADDRESS", address) + extra;
    InitSettings::parse(&text, "test").unwrap().resolve(&HostDefaults::placeholder()).unwrap()
}

fn settings(version: &str) -> InitSettings {
    settings_with(version, "10.0.0.5", "")
}

fn render_with(c: Component, s: &InitSettings, host: &PathSet) -> Manifest {
    render(c, s, &Inputs { host, proxy_env: vec![] }).unwrap()
}

fn yaml_of(c: Component, s: &InitSettings) -> serde_yaml::Value {
    serde_yaml::from_str(&render_with(c, s, &PathSet::default()).yaml).unwrap()
}

fn container(c: Component, s: &InitSettings) -> serde_yaml::Value {
    yaml_of(c, s)["spec"]["containers"][0].clone()
}

fn command(c: Component, s: &InitSettings) -> Vec<String> {
    serde_yaml::from_value(container(c, s)["command"].clone()).unwrap()
}

fn flag<'a>(cmd: &'a [String], name: &str) -> Vec<&'a str> {
    let prefix = format!("--{name}=");
    cmd.iter().filter_map(|a| a.strip_prefix(&prefix)).collect()
}

#[test]
fn flags_are_sorted_by_name_after_the_binary() {
    for c in Component::ALL {
        let cmd = command(c, &settings("v1.31.0"));
        assert_eq!(cmd[0], c.name());
        let names: Vec<&str> = cmd[1..].iter().map(|a| a.split('=').next().unwrap()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "{c:?}");
    }
}

#[test]
fn extra_args_override_defaults_and_may_repeat() {
    let s = settings_with(
        "v1.31.0",
        "10.0.0.5",
        "apiServer:\n  extraArgs:\n  - {name: secure-port, value: \"7443\"}\n  - {name: audit-log-path, value: /b}\n  - {name: audit-log-path, value: /a}\n",
    );
    let cmd = command(Component::ApiServer, &s);
    assert_eq!(flag(&cmd, "secure-port"), ["7443"]);
    // Repeated flags stay, sorted by value as kubeadm's ArgumentsToCommand does.
    assert_eq!(flag(&cmd, "audit-log-path"), ["/a", "/b"]);
}

#[test]
fn authorization_mode_keeps_known_modes_only() {
    let s = settings_with("v1.31.0", "10.0.0.5", "apiServer:\n  extraArgs:\n  - {name: authorization-mode, value: \"Node,Bogus,RBAC,Webhook\"}\n");
    let m = render_with(Component::ApiServer, &s, &PathSet::default());
    assert!(m.yaml.contains("- --authorization-mode=Node,RBAC,Webhook\n"), "{}", m.yaml);
    assert!(m.warnings.iter().any(|w| w.contains("Bogus")), "{:?}", m.warnings);
}

#[test]
fn extra_volumes_are_added_sorted_and_override_by_name() {
    let s = settings_with(
        "v1.31.0",
        "10.0.0.5",
        "controllerManager:\n  extraVolumes:\n  - {name: aaa-audit, hostPath: /var/log/audit, mountPath: /audit, pathType: DirectoryOrCreate}\n  - {name: flexvolume-dir, hostPath: /opt/flex, mountPath: /opt/flex, readOnly: true}\n",
    );
    let pod = yaml_of(Component::ControllerManager, &s);
    let volumes = pod["spec"]["volumes"].as_sequence().unwrap();
    let names: Vec<&str> = volumes.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["aaa-audit", "ca-certs", "flexvolume-dir", "k8s-certs", "kubeconfig"]);
    // An extra volume without pathType gets kubeadm's empty type.
    assert_eq!(volumes[2]["hostPath"]["path"], "/opt/flex");
    assert_eq!(volumes[2]["hostPath"]["type"], "");
    let mounts = pod["spec"]["containers"][0]["volumeMounts"].as_sequence().unwrap();
    assert_eq!(mounts[0]["mountPath"], "/audit");
    assert_eq!(mounts[0].get("readOnly"), None);
    assert_eq!(mounts[2]["readOnly"], true);
}

#[test]
fn ca_directories_are_mounted_only_when_present() {
    let s = settings("v1.24.0");
    let host = PathSet::of(&["/etc/pki", "/usr/share/ca-certificates"]);
    let yaml = render_with(Component::ApiServer, &s, &host).yaml;
    assert!(yaml.contains("name: etc-pki\n") && yaml.contains("name: usr-share-ca-certificates\n"));
    assert!(!yaml.contains("etc-ca-certificates"));
    // v1.31 mounts /etc/pki/ca-trust and /etc/pki/tls/certs instead of /etc/pki.
    let host = PathSet::of(&["/etc/pki", "/etc/pki/ca-trust", "/etc/pki/tls/certs"]);
    let yaml = render_with(Component::ControllerManager, &settings("v1.31.0"), &host).yaml;
    assert!(!yaml.contains("name: etc-pki\n"));
    assert!(yaml.contains("name: etc-pki-ca-trust\n") && yaml.contains("name: etc-pki-tls-certs\n"));
    assert!(!render_with(Component::Scheduler, &settings("v1.31.0"), &host).yaml.contains("etc-pki"));
}

#[test]
fn proxy_env_and_extra_envs_merge_by_name() {
    let s = settings_with(
        "v1.31.0",
        "10.0.0.5",
        "scheduler:\n  extraEnvs:\n  - {name: HTTPS_PROXY, value: http://override:3128}\n  - {name: GOMAXPROCS, value: \"2\"}\netcd:\n  local:\n    extraEnvs:\n    - {name: ETCD_X, value: y}\n",
    );
    let env = proxy_env([("HTTPS_PROXY".into(), "http://p:3128".into()), ("no_proxy".into(), "10.0.0.0/8".into()), ("EMPTY_proxy".into(), String::new()), ("PATH".into(), "/bin".into())]);
    let host = PathSet::default();
    let inputs = Inputs { host: &host, proxy_env: env };
    let sched: serde_yaml::Value = serde_yaml::from_str(&render(Component::Scheduler, &s, &inputs).unwrap().yaml).unwrap();
    let names: Vec<(&str, &str)> = sched["spec"]["containers"][0]["env"].as_sequence().unwrap().iter().map(|e| (e["name"].as_str().unwrap(), e["value"].as_str().unwrap())).collect();
    assert_eq!(names, [("GOMAXPROCS", "2"), ("HTTPS_PROXY", "http://override:3128"), ("no_proxy", "10.0.0.0/8")]);
    // etcd never gets the proxy variables, only its own extraEnvs.
    let etcd: serde_yaml::Value = serde_yaml::from_str(&render(Component::Etcd, &s, &inputs).unwrap().yaml).unwrap();
    assert_eq!(etcd["spec"]["containers"][0]["env"].as_sequence().unwrap().len(), 1);
    // Without any, there is no env key at all.
    assert!(container(Component::ApiServer, &settings("v1.31.0")).get("env").is_none());
}

fn probe_path(c: &serde_yaml::Value, probe: &str) -> Option<String> {
    c.get(probe).map(|p| p["httpGet"]["path"].as_str().unwrap().to_string())
}

#[test]
fn etcd_differs_per_version() {
    // v1.24 (alpha.1): /health, no extra flags, k8s.gcr.io, etcd 3.5.1-0.
    let c = container(Component::Etcd, &settings("v1.24.0"));
    assert_eq!(c["image"], "k8s.gcr.io/etcd:3.5.1-0");
    assert_eq!(probe_path(&c, "livenessProbe").as_deref(), Some("/health"));
    assert_eq!(probe_path(&c, "startupProbe").as_deref(), Some("/health"));
    let cmd: Vec<String> = serde_yaml::from_value(c["command"].clone()).unwrap();
    assert!(flag(&cmd, "experimental-initial-corrupt-check").is_empty());

    // v1.25 and v1.29: serializable health checks and the experimental flags.
    for v in ["v1.25.3", "v1.29.0"] {
        let c = container(Component::Etcd, &settings(v));
        assert_eq!(probe_path(&c, "livenessProbe").as_deref(), Some("/health?exclude=NOSPACE&serializable=true"), "{v}");
        assert_eq!(probe_path(&c, "startupProbe").as_deref(), Some("/health?serializable=false"), "{v}");
        assert!(c.get("readinessProbe").is_none());
        let cmd: Vec<String> = serde_yaml::from_value(c["command"].clone()).unwrap();
        assert_eq!(flag(&cmd, "experimental-initial-corrupt-check"), ["true"]);
        assert_eq!(flag(&cmd, "experimental-watch-progress-notify-interval"), ["5s"]);
        assert!(c["image"].as_str().unwrap().starts_with("registry.k8s.io/etcd:3.5."));
    }

    // v1.31: /livez, /readyz readiness (period 1s) and startup.
    let c = container(Component::Etcd, &settings("v1.31.0"));
    assert_eq!(probe_path(&c, "livenessProbe").as_deref(), Some("/livez"));
    assert_eq!(probe_path(&c, "readinessProbe").as_deref(), Some("/readyz"));
    assert_eq!(probe_path(&c, "startupProbe").as_deref(), Some("/readyz"));
    assert_eq!(c["readinessProbe"]["periodSeconds"], 1);

    // Newest (etcd 3.6): the graduated flags replace the experimental ones.
    let newest = crate::versions::newest();
    let c = container(Component::Etcd, &settings(&newest.release));
    let cmd: Vec<String> = serde_yaml::from_value(c["command"].clone()).unwrap();
    assert_eq!(flag(&cmd, "feature-gates"), ["InitialCorruptCheck=true"]);
    assert_eq!(flag(&cmd, "watch-progress-notify-interval"), ["5s"]);
    assert!(cmd.iter().all(|a| !a.contains("experimental")), "{cmd:?}");
    assert_eq!(c["image"], format!("registry.k8s.io/etcd:{}", newest.etcd).as_str());
}

#[test]
fn control_plane_images_follow_the_version() {
    assert_eq!(container(Component::ApiServer, &settings("v1.24.0"))["image"], "k8s.gcr.io/kube-apiserver:v1.24.0");
    assert_eq!(container(Component::Scheduler, &settings("v1.29.1"))["image"], "registry.k8s.io/kube-scheduler:v1.29.1");
    assert_eq!(container(Component::ControllerManager, &settings("v1.31.2+k3s1"))["image"], "registry.k8s.io/kube-controller-manager:v1.31.2_k3s1");
}

#[test]
fn ipv6_advertise_address() {
    let s = settings_with("v1.31.0", "fd00::5", "");
    let api = render_with(Component::ApiServer, &s, &PathSet::default()).yaml;
    assert!(api.contains("kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint: '[fd00::5]:6443'"), "{api}");
    assert!(api.contains("- --etcd-servers=https://[::1]:2379\n"));
    let cmd = command(Component::Etcd, &s);
    assert_eq!(flag(&cmd, "listen-client-urls"), ["https://[::1]:2379,https://[fd00::5]:2379"]);
    assert_eq!(flag(&cmd, "listen-metrics-urls"), ["http://[::1]:2381"]);
    assert_eq!(container(Component::Etcd, &s)["livenessProbe"]["httpGet"]["host"], "::1");
}

#[test]
fn wildcard_advertise_address_drops_the_probe_host() {
    // Validation refuses 0.0.0.0 from a file; kubeadm's rule still applies when
    // the address comes from detection on a host without a default route.
    let mut s = settings("v1.31.0");
    s.init.local_api_endpoint.advertise_address = "0.0.0.0".into();
    let c = container(Component::ApiServer, &s);
    assert!(c["livenessProbe"]["httpGet"].get("host").is_none());
}

#[test]
fn etcd_probes_follow_listen_metrics_urls() {
    let s = settings_with("v1.31.0", "10.0.0.5", "etcd:\n  local:\n    extraArgs:\n    - {name: listen-metrics-urls, value: \"https://10.0.0.5:2382,http://127.0.0.1:2381\"}\n");
    let probe = &container(Component::Etcd, &s)["livenessProbe"]["httpGet"];
    assert_eq!((probe["host"].as_str(), probe["port"].as_u64(), probe["scheme"].as_str()), (Some("10.0.0.5"), Some(2382), Some("HTTPS")));
}

#[test]
fn external_etcd_uses_its_endpoints_and_mounts_cert_dirs() {
    let s = settings_with(
        "v1.31.0",
        "10.0.0.5",
        "etcd:\n  external:\n    endpoints: [https://e1:2379, https://e2:2379]\n    caFile: /etc/etcd/pki/ca.crt\n    certFile: /etc/etcd/pki/client/c.crt\n    keyFile: /etc/kubernetes/pki/etcd-c.key\n",
    );
    let api = render_with(Component::ApiServer, &s, &PathSet::default()).yaml;
    assert!(api.contains("- --etcd-servers=https://e1:2379,https://e2:2379\n"));
    assert!(api.contains("- --etcd-certfile=/etc/etcd/pki/client/c.crt\n"));
    assert!(api.contains("name: etcd-certs-0\n") && api.contains("path: /etc/etcd/pki\n"));
    assert!(!api.contains("etcd-certs-1"), "nested and already-mounted dirs get no volume: {api}");
    assert!(render(Component::Etcd, &s, &Inputs { host: &PathSet::default(), proxy_env: vec![] }).is_err());
}

#[test]
fn external_ca_leaves_signing_flags_empty() {
    let s = settings("v1.31.0");
    let host = PathSet::of(&["/etc/kubernetes/pki/ca.crt"]);
    let cmd: Vec<String> = serde_yaml::from_value(
        serde_yaml::from_str::<serde_yaml::Value>(&render_with(Component::ControllerManager, &s, &host).yaml).unwrap()["spec"]["containers"][0]["command"].clone(),
    )
    .unwrap();
    assert_eq!(flag(&cmd, "cluster-signing-cert-file"), [""]);
}

#[test]
fn a_joining_etcd_member_lists_the_cluster_and_joins_it() {
    let s = settings("v1.24.0");
    let first: Vec<String> = serde_yaml::from_value(container(Component::Etcd, &s)["command"].clone()).unwrap();
    assert_eq!(flag(&first, "initial-cluster"), ["cp1=https://10.0.0.5:2380"]);
    assert!(flag(&first, "initial-cluster-state").is_empty(), "a new cluster's member does not say `new` (kubeadm leaves the default)");

    let members = [("cp0".to_string(), "https://10.0.0.4:2380".to_string()), ("cp1".to_string(), "https://10.0.0.5:2380".to_string())];
    let joining = render_joining_etcd(&s, &members).unwrap();
    let pod: serde_yaml::Value = serde_yaml::from_str(&joining.yaml).unwrap();
    let cmd: Vec<String> = serde_yaml::from_value(pod["spec"]["containers"][0]["command"].clone()).unwrap();
    assert_eq!(flag(&cmd, "initial-cluster"), ["cp0=https://10.0.0.4:2380,cp1=https://10.0.0.5:2380"]);
    assert_eq!(flag(&cmd, "initial-cluster-state"), ["existing"]);
    // Everything else is the first member's manifest, flags still sorted.
    let rest = |c: &[String]| c.iter().filter(|a| !a.starts_with("--initial-cluster")).cloned().collect::<Vec<_>>();
    assert_eq!(rest(&cmd), rest(&first));
    let pos = |n: &str| cmd.iter().position(|a| a.starts_with(&format!("--{n}="))).unwrap();
    assert!(pos("initial-cluster") < pos("initial-cluster-state") && pos("initial-cluster-state") < pos("key-file"));
}
