//! `kubelift certs ...` and `kubelift kubeconfig user` on a root written by a
//! real `kubelift init` run, checked with openssl and kubectl.

use assert_cmd::Command;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::sync::OnceLock;

const REFERENCE: &str = "tests/fixtures/kubeadm-v1.24/config/input-kubeadm.yaml";
/// Every init phase that talks to an API server: not built in this branch.
const SKIP: &str = "preflight,wait-control-plane,upload-config,upload-certs,mark-control-plane,bootstrap-token,kubelet-finalize,addon";

const LEAVES: [(&str, &str, &str); 7] = [
    ("apiserver", "apiserver", "ca"),
    ("apiserver-kubelet-client", "apiserver-kubelet-client", "ca"),
    ("front-proxy-client", "front-proxy-client", "front-proxy-ca"),
    ("etcd-server", "etcd/server", "etcd/ca"),
    ("etcd-peer", "etcd/peer", "etcd/ca"),
    ("etcd-healthcheck-client", "etcd/healthcheck-client", "etcd/ca"),
    ("apiserver-etcd-client", "apiserver-etcd-client", "etcd/ca"),
];
const KUBECONFIGS: [&str; 4] = ["admin.conf", "kubelet.conf", "controller-manager.conf", "scheduler.conf"];

fn kubelift() -> Command {
    let mut cmd = Command::cargo_bin("kubelift").unwrap();
    cmd.env_remove("KUBELIFT_ROOT").env_remove("KUBELIFT_TEST_FAIL_PHASE");
    cmd
}

/// One init run per test binary; each test works on its own copy.
fn pristine() -> &'static Path {
    static ROOT: OnceLock<tempfile::TempDir> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = tempfile::tempdir().unwrap();
        kubelift().args(["init", "--non-interactive", "--config", REFERENCE, "--skip-phases", SKIP, "--root"]).arg(root.path()).assert().success();
        root
    })
    .path()
}

fn fresh_root() -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    let status = Process::new("cp").arg("-a").arg(format!("{}/.", pristine().display())).arg(copy.path()).status().unwrap();
    assert!(status.success());
    copy
}

fn pki(root: &Path, base: &str, ext: &str) -> PathBuf {
    root.join(format!("etc/kubernetes/pki/{base}.{ext}"))
}

fn openssl(args: &[&str]) -> String {
    let out = Process::new("openssl").args(args).output().expect("openssl must be installed");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn cert_text(path: &Path) -> String {
    openssl(&["x509", "-in", path.to_str().unwrap(), "-noout", "-text", "-certopt", "no_pubkey,no_sigdump"])
}

/// The text without what must differ between two issues of one certificate.
fn identity_text(path: &Path) -> String {
    cert_text(path).lines().filter(|l| !l.contains("Serial Number") && !l.contains("Not Before") && !l.contains("Not After") && !l.trim_start().starts_with(|c: char| c.is_ascii_hexdigit() && l.contains(':') && !l.contains(' '))).collect::<Vec<_>>().join("\n")
}

fn verify(ca: &Path, leaf: &Path) {
    let out = openssl(&["verify", "-CAfile", ca.to_str().unwrap(), leaf.to_str().unwrap()]);
    assert!(out.trim_end().ends_with(": OK"), "{out}");
}

/// The embedded client certificate of a kubeconfig, written to a file for openssl.
fn embedded_cert(kubeconfig: &Path, out: &Path) -> PathBuf {
    let doc: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(kubeconfig).unwrap()).unwrap();
    let data = doc["users"][0]["user"]["client-certificate-data"].as_str().unwrap();
    use base64::Engine;
    let pem = base64::engine::general_purpose::STANDARD.decode(data).unwrap();
    let path = out.join(format!("{}.crt", kubeconfig.file_name().unwrap().to_string_lossy()));
    std::fs::write(&path, pem).unwrap();
    path
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn every_chain_verifies_and_kubectl_reads_every_kubeconfig() {
    let root = pristine();
    for (_, base, ca) in LEAVES {
        verify(&pki(root, ca, "crt"), &pki(root, base, "crt"));
    }
    let scratch = tempfile::tempdir().unwrap();
    for conf in KUBECONFIGS {
        let file = root.join("etc/kubernetes").join(conf);
        verify(&pki(root, "ca", "crt"), &embedded_cert(&file, scratch.path()));
        let out = Process::new("kubectl").arg("--kubeconfig").arg(&file).args(["config", "view", "-o", "jsonpath={.clusters[0].cluster.server}"]).output().unwrap();
        assert!(out.status.success(), "kubectl cannot read {conf}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "https://10.211.0.2:6443");
    }
}

#[test]
fn check_expiration_lists_kubeadms_rows() {
    let root = pristine();
    let out = kubelift().args(["certs", "check-expiration", "--root"]).arg(root).assert().success().get_output().clone();
    let text = String::from_utf8(out.stdout).unwrap();
    let names: Vec<&str> = text.lines().skip(1).take_while(|l| !l.is_empty()).map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(names, ["admin.conf", "apiserver", "apiserver-etcd-client", "apiserver-kubelet-client", "controller-manager.conf", "etcd-healthcheck-client", "etcd-peer", "etcd-server", "front-proxy-client", "scheduler.conf"]);
    assert!(text.starts_with("CERTIFICATE                EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED\n"), "{text}");
    assert!(text.contains("\nCERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED\nca "), "{text}");
    // Within the second the files were made the residual time is a whole year ("1y"), a moment later "364d".
    assert!(text.contains("   364d            ca                      no      \n") || text.contains("   1y              ca                      no      \n"), "{text}");
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));

    let json = kubelift().args(["certs", "check-expiration", "-o", "json", "--root"]).arg(root).assert().success().get_output().stdout.clone();
    let report: Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(report["schema"], "kubelift.certs.expiration/v1");
    assert_eq!(report["warn_within_days"], 30);
    assert_eq!(report["certificates"].as_array().unwrap().len(), 10);
    let cas: Vec<_> = report["certificate_authorities"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(cas, ["ca", "etcd-ca", "front-proxy-ca"]);
    let apiserver = &report["certificates"][1];
    assert_eq!(apiserver["name"], "apiserver");
    assert_eq!(apiserver["file"], "/etc/kubernetes/pki/apiserver.crt");
    assert_eq!(apiserver["status"], "ok");
    assert_eq!(apiserver["certificate_authority"], "ca");
    assert_eq!(apiserver["externally_managed"], false);
    assert!(apiserver["residual_seconds"].as_i64().unwrap() > 364 * 86400);
    assert!(!String::from_utf8_lossy(&json).contains("PRIVATE KEY"));
}

/// kubeadm v1.24 itself, on the same files, prints the same tables.
#[test]
fn check_expiration_equals_kubeadms_output() {
    let Some(bins) = std::env::var_os("KUBELIFT_E2E_BIN").map(PathBuf::from) else {
        println!("SKIPPED check_expiration_equals_kubeadms_output: KUBELIFT_E2E_BIN is not set");
        return;
    };
    let root = pristine();
    let script = format!("mount --bind {}/etc/kubernetes /etc/kubernetes && {}/kubeadm certs check-expiration --config {REFERENCE}", root.display(), bins.display());
    std::fs::create_dir_all("/etc/kubernetes").unwrap();
    let out = Process::new("unshare").args(["--mount", "--propagation", "private", "sh", "-c", &script]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let theirs: String = String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.starts_with('[')).skip_while(|l| l.is_empty()).map(|l| format!("{l}\n")).collect();
    let ours = kubelift().args(["certs", "check-expiration", "--root"]).arg(root).assert().success().get_output().stdout.clone();
    // Both ran within the same minute or two; the residual days cannot differ.
    assert_eq!(String::from_utf8(ours).unwrap(), theirs);
}

/// A v1beta4 copy of the reference config with a short leaf validity.
fn short_validity_config(dir: &Path, validity: &str) -> PathBuf {
    let text = std::fs::read_to_string(REFERENCE).unwrap().replace("kubeadm.k8s.io/v1beta3", "kubeadm.k8s.io/v1beta4").replace("kubernetesVersion: v1.24.0", &format!("kubernetesVersion: v1.24.0\ncertificateValidityPeriod: {validity}"));
    let path = dir.join("short.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn check_expiration_marks_soon_expired_and_missing() {
    let root = fresh_root();
    let config = short_validity_config(root.path(), "240h");
    kubelift().args(["certs", "renew", "apiserver", "--config"]).arg(&config).arg("--root").arg(root.path()).assert().success();
    let out = kubelift().args(["certs", "check-expiration", "--root"]).arg(root.path()).assert().success().get_output().clone();
    let text = String::from_utf8(out.stdout).unwrap();
    let row = text.lines().find(|l| l.starts_with("apiserver ")).unwrap();
    // 240h from the renewal: 10d in the same second, 9d after it.
    assert!((row.contains(" 10d ") || row.contains(" 9d ")) && row.ends_with("no         <- expires within 30 days"), "{row}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: apiserver expires in "), "{}", String::from_utf8_lossy(&out.stderr));

    let config = short_validity_config(root.path(), "1s");
    kubelift().args(["certs", "renew", "front-proxy-client", "--config"]).arg(&config).arg("--root").arg(root.path()).assert().success();
    std::fs::remove_file(pki(root.path(), "etcd/peer", "crt")).unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    let out = kubelift().args(["certs", "check-expiration", "--root"]).arg(root.path()).assert().code(1).get_output().clone();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().any(|l| l.starts_with("front-proxy-client ") && l.contains("<invalid>") && l.ends_with("<- EXPIRED")), "{text}");
    assert!(text.contains("\n!MISSING! etcd-peer "), "{text}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("error: etcd-peer is missing: /etc/kubernetes/pki/etcd/peer.crt does not exist"), "{stderr}");
    assert!(stderr.contains("error: front-proxy-client expired at"), "{stderr}");
    let json = kubelift().args(["certs", "check-expiration", "-o", "json", "--root"]).arg(root.path()).assert().code(1).get_output().stdout.clone();
    let report: Value = serde_json::from_slice(&json).unwrap();
    let status = |name: &str| report["certificates"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()["status"].clone();
    assert_eq!(status("etcd-peer"), "missing");
    assert_eq!(status("front-proxy-client"), "expired");
    assert_eq!(status("apiserver"), "expires_soon");
}

#[test]
fn renew_all_keeps_keys_and_identity_with_backups_and_journal() {
    let root = fresh_root();
    let r = root.path();
    let before: Vec<(String, Vec<u8>, Vec<u8>)> = LEAVES.iter().map(|(_, base, _)| (identity_text(&pki(r, base, "crt")), std::fs::read(pki(r, base, "crt")).unwrap(), std::fs::read(pki(r, base, "key")).unwrap())).collect();
    let admin_before = std::fs::read_to_string(r.join("etc/kubernetes/admin.conf")).unwrap();
    let out = kubelift().args(["certs", "renew", "all", "--root"]).arg(r).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.matches(" renewed: ").count(), 10, "{text}");
    assert!(text.contains("Done renewing certificates. You must restart etcd, kube-apiserver, kube-controller-manager, kube-scheduler"), "{text}");
    assert!(text.contains("kubelift restarted etcd, kube-apiserver, kube-controller-manager, kube-scheduler"), "{text}");
    for ((_, base, ca), (identity, crt, key)) in LEAVES.iter().zip(&before) {
        let path = pki(r, base, "crt");
        assert_ne!(&std::fs::read(&path).unwrap(), crt, "{base}.crt was not reissued");
        assert_eq!(&std::fs::read(pki(r, base, "key")).unwrap(), key, "{base}.key changed without --new-key");
        assert_eq!(&identity_text(&path), identity, "{base}: subject, SANs or usages changed");
        verify(&pki(r, ca, "crt"), &path);
        assert_eq!(mode(&path), 0o644);
        assert_eq!(mode(&pki(r, base, "key")), 0o600);
    }
    // Kubeconfigs: only the embedded certificate changed.
    let admin_after = std::fs::read_to_string(r.join("etc/kubernetes/admin.conf")).unwrap();
    let differing: Vec<_> = admin_before.lines().zip(admin_after.lines()).filter(|(a, b)| a != b).map(|(a, _)| a.split(':').next().unwrap().trim().to_string()).collect();
    assert_eq!(differing, ["client-certificate-data"]);
    assert_eq!(mode(&r.join("etc/kubernetes/admin.conf")), 0o600);
    // Backups of what was replaced, and a journal entry for each file.
    let journal: Value = serde_json::from_slice(&std::fs::read(r.join("var/lib/kubelift/journal.json")).unwrap()).unwrap();
    let renewals: Vec<&Value> = journal["changes"].as_array().unwrap().iter().filter(|c| c["phase"].as_str().unwrap().starts_with("certs-renew/")).collect();
    assert_eq!(renewals.len(), 10);
    for entry in renewals {
        assert_eq!(entry["action"], "replaced");
        let backup = r.join(entry["backup"].as_str().unwrap().trim_start_matches('/'));
        assert_eq!(mode(&backup), 0o600, "{}", backup.display());
    }
    let apiserver_backup = std::fs::read_dir(r.join("etc/kubernetes/tmp")).unwrap().next().unwrap().unwrap().path().join("etc/kubernetes/pki/apiserver.crt");
    assert_eq!(std::fs::read(apiserver_backup).unwrap(), before[0].1);
}

#[test]
fn renew_with_new_key_replaces_the_key_and_the_pair_matches() {
    let root = fresh_root();
    let r = root.path();
    let old_key = std::fs::read(pki(r, "etcd/server", "key")).unwrap();
    let out = kubelift().args(["certs", "renew", "etcd-server", "--new-key", "-o", "json", "--root"]).arg(r).assert().success().get_output().stdout.clone();
    let report: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["certificates"][0]["key"], "new");
    assert_eq!(report["restart"], serde_json::json!(["etcd"]));
    assert!(!String::from_utf8_lossy(&out).contains("PRIVATE KEY"));
    assert_ne!(std::fs::read(pki(r, "etcd/server", "key")).unwrap(), old_key);
    assert_eq!(mode(&pki(r, "etcd/server", "key")), 0o600);
    let cert_pub = openssl(&["x509", "-in", pki(r, "etcd/server", "crt").to_str().unwrap(), "-noout", "-pubkey"]);
    let key_pub = openssl(&["pkey", "-in", pki(r, "etcd/server", "key").to_str().unwrap(), "-pubout"]);
    assert_eq!(cert_pub, key_pub);
    // A kubeconfig with a new key: kubectl still reads it, the pair matches.
    kubelift().args(["certs", "renew", "scheduler.conf", "--new-key", "--root"]).arg(r).assert().success();
    let out = Process::new("kubectl").arg("--kubeconfig").arg(r.join("etc/kubernetes/scheduler.conf")).args(["config", "view", "--raw", "-o", "jsonpath={.users[0].user.client-key-data}"]).output().unwrap();
    assert!(out.status.success());
}

#[test]
fn renew_dry_run_writes_nothing_on_the_node() {
    let root = fresh_root();
    let r = root.path();
    let before = std::fs::read(pki(r, "apiserver", "crt")).unwrap();
    let journal_before = std::fs::read(r.join("var/lib/kubelift/journal.json")).unwrap();
    let out = kubelift().args(["--dry-run", "certs", "renew", "apiserver", "--new-key", "--root"]).arg(r).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    let dir = text.lines().find_map(|l| l.strip_prefix("[dry-run] the renewed files were written under ")).unwrap().split(';').next().unwrap();
    assert!(Path::new(dir).join("etc/kubernetes/pki/apiserver.crt").exists());
    assert_eq!(std::fs::read(pki(r, "apiserver", "crt")).unwrap(), before);
    assert_eq!(std::fs::read(r.join("var/lib/kubelift/journal.json")).unwrap(), journal_before);
    assert!(!r.join("etc/kubernetes/tmp").exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn renew_refuses_an_external_ca_and_unknown_names() {
    let root = fresh_root();
    let r = root.path();
    std::fs::remove_file(pki(r, "ca", "key")).unwrap();
    let before = std::fs::read(pki(r, "apiserver", "crt")).unwrap();
    let out = kubelift().args(["certs", "renew", "apiserver", "--root"]).arg(r).assert().code(1).get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("Detected external CA /etc/kubernetes/pki/ca.crt"), "{text}");
    assert!(text.contains("can't be renewed here"), "{text}");
    assert_eq!(std::fs::read(pki(r, "apiserver", "crt")).unwrap(), before);
    // The etcd CA still has its key: its certificates renew.
    kubelift().args(["certs", "renew", "etcd-peer", "--root"]).arg(r).assert().success();
    let text = String::from_utf8(kubelift().args(["certs", "check-expiration", "--root"]).arg(r).assert().success().get_output().stdout.clone()).unwrap();
    assert!(text.lines().any(|l| l.starts_with("apiserver ") && l.trim_end().ends_with("yes")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("ca ") && l.trim_end().ends_with("yes")), "{text}");
    let user = kubelift().args(["kubeconfig", "user", "--client-name", "jane", "--root"]).arg(r).assert().code(1).get_output().stderr.clone();
    assert!(String::from_utf8_lossy(&user).contains("the cluster CA is external"));

    let err = kubelift().args(["certs", "renew", "kubelet.conf", "--root"]).arg(r).assert().code(2).get_output().stderr.clone();
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("\"kubelet.conf\" is not a certificate of this node") && err.contains("fix: use one of: admin.conf, apiserver"), "{err}");
}

#[test]
fn certificate_key_is_64_fresh_hex_characters() {
    let key = |_| String::from_utf8(kubelift().args(["certs", "certificate-key"]).assert().success().get_output().stdout.clone()).unwrap();
    let (a, b) = (key(0), key(1));
    for k in [&a, &b] {
        assert_eq!(k.trim_end().len(), 64, "{k}");
        assert!(k.trim_end().chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)), "{k}");
    }
    assert_ne!(a, b);
}

#[test]
fn kubeconfig_user_is_signed_by_the_cluster_ca() {
    let root = pristine();
    let out = kubelift().args(["kubeconfig", "user", "--client-name", "jane", "--org", "devs", "--validity-period", "720h", "--root"]).arg(root).assert().success().get_output().stdout.clone();
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("jane.conf");
    std::fs::write(&file, &out).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_slice(&out).unwrap();
    assert_eq!(doc["current-context"], "jane@kubernetes");
    assert_eq!(doc["clusters"][0]["cluster"]["server"], "https://10.211.0.2:6443");
    let cert = embedded_cert(&file, scratch.path());
    verify(&pki(root, "ca", "crt"), &cert);
    let text = cert_text(&cert);
    assert!(text.contains("Subject: O = devs, CN = jane"), "{text}");
    assert!(text.contains("TLS Web Client Authentication"), "{text}");
    let end = openssl(&["x509", "-in", cert.to_str().unwrap(), "-noout", "-enddate"]);
    assert!(openssl(&["x509", "-in", cert.to_str().unwrap(), "-noout", "-checkend", &(29 * 86400).to_string()]).contains("will not expire"), "{end}");
    let out = Process::new("openssl").args(["x509", "-in", cert.to_str().unwrap(), "-noout", "-checkend", &(31 * 86400).to_string()]).output().unwrap();
    assert!(!out.status.success(), "valid beyond 30 days: {end}");
    let view = Process::new("kubectl").arg("--kubeconfig").arg(&file).args(["config", "view", "--minify"]).output().unwrap();
    assert!(view.status.success(), "{}", String::from_utf8_lossy(&view.stderr));
    // With a config, the server comes from it.
    kubelift().args(["kubeconfig", "user", "--client-name", "ci", "--config", REFERENCE, "--root"]).arg(root).assert().success();
    let two = kubelift().args(["kubeconfig", "user", "--client-name", "x", "--org", "a", "--org", "b", "--root"]).arg(root).assert().code(1).get_output().stderr.clone();
    assert!(String::from_utf8_lossy(&two).contains("at most one O"));
}
