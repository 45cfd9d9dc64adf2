//! kubelift's files for the reference configuration equal what kubeadm
//! v1.24.0-alpha.1 wrote for it (tests/fixtures/kubeadm-v1.24, copied from the
//! reference run). Differences must be listed in docs/kubeadm-compatibility.md.

use kubelift::config::{HostDefaults, InitSettings};
use kubelift::kubelet::{self, FixedNode};
use kubelift::manifests::{self, Component, Inputs, PathSet};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/kubeadm-v1.24");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn reference_settings() -> InitSettings {
    InitSettings::parse(&fixture("input-kubeadm.yaml"), "input-kubeadm.yaml")
        .expect("the reference config parses")
        .resolve(&HostDefaults::placeholder())
        .expect("the reference config is valid")
}

/// The reference host: Debian-like CA directories (no /etc/pki), a packaged
/// kubelet drop-in, hostname other than the node name, no systemd-resolved.
fn reference_host() -> PathSet {
    PathSet::of(&[
        "/etc/ca-certificates",
        "/usr/local/share/ca-certificates",
        "/usr/share/ca-certificates",
        "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
    ])
}

fn reference_node() -> FixedNode {
    FixedNode { hostname: "reference-vm".into(), systemd_resolved_active: false }
}

/// Line-level first difference, for a readable failure.
fn assert_same(name: &str, ours: &str, theirs: &str) {
    if ours == theirs {
        return;
    }
    let line = ours.lines().zip(theirs.lines()).position(|(a, b)| a != b).unwrap_or(ours.lines().count().min(theirs.lines().count()));
    panic!(
        "{name} differs from kubeadm's at line {}:\n  kubelift: {:?}\n  kubeadm:  {:?}\n--- kubelift ---\n{ours}",
        line + 1,
        ours.lines().nth(line),
        theirs.lines().nth(line)
    );
}

#[test]
fn static_pod_manifests_are_byte_identical() {
    let settings = reference_settings();
    let host = reference_host();
    let inputs = Inputs { host: &host, proxy_env: vec![] };
    for component in Component::ALL {
        let m = manifests::render(component, &settings, &inputs).unwrap();
        assert!(m.warnings.is_empty(), "{:?}", m.warnings);
        let file = format!("{}.yaml", component.name());
        assert_same(&file, &m.yaml, &fixture(&file));
    }
}

#[test]
fn kubelet_files_are_byte_identical() {
    let settings = reference_settings();
    let (files, warnings) = kubelet::files(&settings, &reference_node(), &reference_host()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let paths: Vec<_> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["/var/lib/kubelet/kubeadm-flags.env", "/var/lib/kubelet/config.yaml"]);
    assert_same("kubeadm-flags.env", &files[0].contents, &fixture("kubeadm-flags.env"));
    assert_same("config.yaml", &files[1].contents, &fixture("config.yaml"));
}

#[test]
fn kubelet_config_parses_as_the_reference_does() {
    // Field by field as well, so a formatting-only change shows up as such.
    let settings = reference_settings();
    let (files, _) = kubelet::files(&settings, &reference_node(), &reference_host()).unwrap();
    let ours: serde_yaml::Value = serde_yaml::from_str(&files[1].contents).unwrap();
    let theirs: serde_yaml::Value = serde_yaml::from_str(&fixture("config.yaml")).unwrap();
    assert_eq!(ours, theirs);
}
