//! The etcd flags kubelift renders are flags the installed etcd knows. Runs
//! only where an `etcd` binary is on PATH (Debian: `apt-get install etcd-server`);
//! certificates are absent, so etcd stops right after parsing its flags.

use std::process::Command;
use std::time::{Duration, Instant};

use kubelift::config::{HostDefaults, InitSettings};
use kubelift::manifests::{self, Component, Inputs, PathSet};
use kubelift::versions::{self, Semver};

const CONFIG: &str = include_str!("fixtures/kubeadm-v1.24/input-kubeadm.yaml");

fn installed_etcd() -> Option<Semver> {
    let out = Command::new("etcd").arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("etcd Version:"))?;
    Semver::parse(line.trim_start_matches("etcd Version:").trim())
}

fn etcd_command(version: &str, data_dir: &str) -> Vec<String> {
    let text = CONFIG.replace("kubernetesVersion: v1.24.0", &format!("kubernetesVersion: {version}")).replace("10.211.0.2", "127.0.0.1");
    let settings = InitSettings::parse(&text, "test").unwrap().resolve(&HostDefaults::placeholder()).unwrap();
    let m = manifests::render(Component::Etcd, &settings, &Inputs { host: &PathSet::default(), proxy_env: vec![] }).unwrap();
    let pod: serde_yaml::Value = serde_yaml::from_str(&m.yaml).unwrap();
    let cmd: Vec<String> = serde_yaml::from_value(pod["spec"]["containers"][0]["command"].clone()).unwrap();
    cmd.into_iter().map(|a| if a.starts_with("--data-dir=") { format!("--data-dir={data_dir}") } else { a }).collect()
}

#[test]
fn installed_etcd_parses_the_rendered_flags() {
    let Some(etcd) = installed_etcd() else {
        eprintln!("skipped: no etcd binary on PATH");
        return;
    };
    let mut checked = 0;
    for info in versions::all() {
        let wanted = Semver::parse(&info.etcd).unwrap();
        // 3.6's graduated flags (--feature-gates, --watch-progress-notify-interval)
        // are unknown to older binaries; the 3.5-era flags exist since etcd 3.4.
        if (wanted.major, wanted.minor) >= (3, 6) && (etcd.major, etcd.minor) < (3, 6) {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let cmd = etcd_command(&info.release, dir.path().to_str().unwrap());
        let mut child = Command::new(&cmd[0]).args(&cmd[1..]).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().unwrap();
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("flag provided but not defined") && !stderr.contains("unknown flag"), "v{}: {stderr}", info.minor);
        checked += 1;
    }
    assert!(checked > 0, "etcd {etcd:?} is older than every etcd in the table");
    eprintln!("etcd {}.{}.{} accepted the flags of {checked} table versions", etcd.major, etcd.minor, etcd.patch);
}
