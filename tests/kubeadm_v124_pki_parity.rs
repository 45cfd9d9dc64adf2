//! What the certs and kubeconfig *phases* write for the reference config,
//! compared with what kubeadm v1.24 wrote for it (tests/fixtures/kubeadm-v1.24,
//! copied from the golden reference): every certificate as `openssl x509
//! -text` prints it (serials, dates and key ids aside), key types, file
//! modes, and each kubeconfig field by field. Differences are listed in
//! docs/kubeadm-compatibility.md, "Certificates and kubeconfigs".

use assert_cmd::Command;
use base64::Engine;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/kubeadm-v1.24");
const SKIP: &str = "preflight,wait-control-plane,upload-config,upload-certs,mark-control-plane,bootstrap-token,kubelet-finalize,addon";

fn init_reference() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    Command::cargo_bin("kubelift")
        .unwrap()
        .env_remove("KUBELIFT_ROOT")
        .args(["init", "--non-interactive", "--config", &format!("{FIXTURES}/config/input-kubeadm.yaml"), "--skip-phases", SKIP, "--root"])
        .arg(root.path())
        .assert()
        .success();
    root
}

fn openssl(args: &[&str]) -> String {
    let out = Process::new("openssl").args(args).output().expect("openssl must be installed");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Blanks what differs between any two runs: serials, dates, key ids.
fn normalize(text: &str) -> String {
    let mut out = Vec::new();
    let mut key_id_next = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        out.push(if key_id_next {
            format!("{indent}<key id>")
        } else if trimmed.starts_with("Serial Number:") {
            format!("{indent}Serial Number: <serial>")
        } else if trimmed.starts_with("Not Before:") || trimmed.starts_with("Not After :") {
            format!("{indent}{}: <time>", &trimmed[..10])
        } else {
            line.trim_end().to_string()
        });
        key_id_next = trimmed.trim_end().ends_with("Key Identifier:");
    }
    out.join("\n")
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

#[test]
fn phase_certificates_match_kubeadms_text() {
    let root = init_reference();
    let pki = root.path().join("etc/kubernetes/pki");
    let mut compared = 0;
    for entry in std::fs::read_dir(format!("{FIXTURES}/pki")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let Some(file) = name.strip_suffix(".txt") else { continue };
        if file == "file-modes" {
            continue;
        }
        let ours = pki.join(file.replace('_', "/"));
        let theirs = fixture(&format!("pki/{name}"));
        if file.ends_with(".crt") {
            let text = openssl(&["x509", "-in", ours.to_str().unwrap(), "-noout", "-text", "-certopt", "no_pubkey,no_sigdump"]);
            assert_eq!(normalize(&text), normalize(&theirs), "{file}");
        } else {
            // "<mode> <first line of openssl pkey -text>", e.g. "600 Private-Key: (2048 bit, 2 primes)".
            let text = openssl(&["pkey", "-in", ours.to_str().unwrap(), "-noout", "-text"]);
            assert_eq!(format!("{:o} {}", mode(&ours), text.lines().next().unwrap()), theirs.trim(), "{file}");
        }
        compared += 1;
    }
    assert_eq!(compared, 21, "10 certificates, 10 keys and sa.key");
    for line in fixture("pki/file-modes.txt").lines() {
        let (want, path) = line.split_once(' ').unwrap();
        let ours = root.path().join(path.trim_start_matches('/'));
        assert_eq!(format!("{:o}", mode(&ours)), want, "{path}");
    }
}

/// kubeadm's redacted summary of an embedded client certificate.
fn client_cert_summary(pem: &[u8], scratch: &Path) -> String {
    let file = scratch.join("client.crt");
    std::fs::write(&file, pem).unwrap();
    let text = openssl(&["x509", "-in", file.to_str().unwrap(), "-noout", "-subject", "-issuer", "-ext", "keyUsage,extendedKeyUsage"]);
    format!("<client cert: {}>", text.lines().map(str::trim).collect::<Vec<_>>().join(" | "))
}

#[test]
fn phase_kubeconfigs_match_kubeadms_field_by_field() {
    let root = init_reference();
    let scratch = tempfile::tempdir().unwrap();
    let ca_pem = std::fs::read(root.path().join("etc/kubernetes/pki/ca.crt")).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    for conf in ["admin.conf", "kubelet.conf", "controller-manager.conf", "scheduler.conf"] {
        let path = root.path().join("etc/kubernetes").join(conf);
        let mut ours: serde_yaml::Value = serde_yaml::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let theirs: serde_yaml::Value = serde_yaml::from_str(&fixture(&format!("kubeconfig/{conf}.yaml"))).unwrap();
        assert_eq!(mode(&path), 0o600, "{conf}");
        // The data fields: the CA is ca.crt, the client pair matches and summarises as kubeadm's.
        let cluster = &mut ours["clusters"][0]["cluster"];
        assert_eq!(b64.decode(cluster["certificate-authority-data"].as_str().unwrap()).unwrap(), ca_pem, "{conf}");
        cluster["certificate-authority-data"] = "<base64 of pki/ca.crt>".into();
        let user = &mut ours["users"][0]["user"];
        let cert = b64.decode(user["client-certificate-data"].as_str().unwrap()).unwrap();
        let key = b64.decode(user["client-key-data"].as_str().unwrap()).unwrap();
        let key_file = scratch.path().join("client.key");
        std::fs::write(&key_file, &key).unwrap();
        assert!(openssl(&["pkey", "-in", key_file.to_str().unwrap(), "-noout", "-text"]).starts_with("Private-Key: (2048 bit, 2 primes)"), "{conf}: kubeadm's kubeconfig keys are RSA-2048");
        user["client-certificate-data"] = client_cert_summary(&cert, scratch.path()).into();
        user["client-key-data"] = "<redacted private key>".into();
        assert_eq!(ours, theirs, "{conf}");
    }
    // kubeadm v1.24 writes no super-admin.conf.
    assert!(!root.path().join("etc/kubernetes/super-admin.conf").exists());
}

#[test]
fn fixtures_are_the_golden_reference() {
    // shared/ lies beside the repository where it is checked out for the team; elsewhere this check skips.
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/kubeadm-v1.24/kubeconfig");
    let reference = reference.as_path();
    if !reference.is_dir() {
        println!("SKIPPED fixtures_are_the_golden_reference: the shared reference is not beside the repository");
        return;
    }
    for entry in std::fs::read_dir(reference).unwrap() {
        let entry = entry.unwrap();
        let copy: PathBuf = Path::new(FIXTURES).join("kubeconfig").join(entry.file_name());
        assert_eq!(std::fs::read(entry.path()).unwrap(), std::fs::read(&copy).unwrap(), "{}", copy.display());
    }
}
