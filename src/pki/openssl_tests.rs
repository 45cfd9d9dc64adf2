//! Cross-checks against two independent witnesses: the `openssl` CLI (a
//! different X.509 implementation, present on every machine) and the golden
//! output of a real kubeadm v1.24 run in `tests/fixtures/kubeadm-v1.24/pki (copied from the golden reference)`.

use super::spec::tests::reference_inputs;
use super::*;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

/// A full `certs` phase written to a temp dir the way the engine will write it.
struct Pki {
    dir: tempfile::TempDir,
    specs: Vec<CertSpec>,
}

impl Pki {
    fn build(algorithm: KeyAlgorithm) -> Pki {
        let inputs = PkiInputs {
            algorithm,
            ..reference_inputs()
        };
        let specs = cert_specs(&inputs).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("etcd")).unwrap();
        let algorithms: Vec<_> = specs.iter().map(|s| s.algorithm).collect();
        let keys = generate_keys(&algorithms).unwrap();
        let now = SystemTime::now();
        let mut cas: HashMap<&str, (Certificate, KeyPair)> = HashMap::new();
        for (spec, key) in specs.iter().zip(keys) {
            let cert = match spec.ca {
                None => new_ca(spec, &key, now).unwrap(),
                Some(ca) => new_signed(spec, &key, &cas[ca].0, &cas[ca].1, now).unwrap(),
            };
            std::fs::write(dir.path().join(spec.cert_file()), cert.to_pem()).unwrap();
            std::fs::write(
                dir.path().join(spec.key_file()),
                key.private_key_pem().unwrap(),
            )
            .unwrap();
            if spec.is_ca() {
                cas.insert(spec.base_name, (cert, key));
            }
        }
        let sa = service_account_keypair(algorithm).unwrap();
        std::fs::write(dir.path().join("sa.key"), &sa.private_key_pem).unwrap();
        std::fs::write(dir.path().join("sa.pub"), &sa.public_key_pem).unwrap();
        Pki { dir, specs }
    }

    fn path(&self, file: &str) -> String {
        self.dir.path().join(file).to_string_lossy().into_owned()
    }

    fn leaves(&self) -> impl Iterator<Item = &CertSpec> {
        self.specs.iter().filter(|s| !s.is_ca())
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.path(file)).unwrap()
    }
}

/// Runs openssl and returns its stdout.
fn openssl(args: &[&str]) -> String {
    openssl_with_input(args, &[])
}

fn openssl_with_input(args: &[&str], input: &[u8]) -> String {
    String::from_utf8(openssl_bytes(args, input)).unwrap()
}

/// stdout followed by stderr, for checks some subcommands report on stderr.
fn openssl_report(args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl CLI must be installed");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn openssl_bytes(args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the openssl CLI must be installed");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn cert_text(path: &str) -> String {
    openssl(&[
        "x509",
        "-in",
        path,
        "-noout",
        "-text",
        "-certopt",
        "no_pubkey,no_sigdump",
    ])
}

/// Blanks what differs between any two runs: serials, dates, key ids.
fn normalize(text: &str) -> String {
    let mut out = Vec::new();
    let mut key_id_next = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let normalized = if key_id_next {
            format!("{indent}<key id>")
        } else if trimmed.starts_with("Serial Number:") {
            format!("{indent}Serial Number: <serial>")
        } else if let Some((label, _)) = trimmed
            .split_once(": ")
            .filter(|(l, _)| l.starts_with("Not "))
        {
            format!("{indent}{label}: <time>")
        } else {
            line.trim_end().to_string()
        };
        key_id_next = trimmed.ends_with("Key Identifier:") || trimmed.ends_with("Key Identifier: ");
        out.push(normalized);
    }
    out.join("\n")
}

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kubeadm-v1.24/pki")
}

/// The decisive parity test: every certificate, printed by openssl, equals
/// what real kubeadm wrote, up to serial, dates and key ids.
#[test]
fn rsa_pki_matches_kubeadm_reference_text() {
    let reference = reference_dir();
    let pki = Pki::build(KeyAlgorithm::Rsa2048);
    for spec in &pki.specs {
        let file = spec.base_name.replace('/', "_");
        let want = std::fs::read_to_string(reference.join(format!("{file}.crt.txt"))).unwrap();
        let got = cert_text(&pki.path(&spec.cert_file()));
        assert_eq!(normalize(&got), normalize(&want), "{}", spec.name);

        let want_key = std::fs::read_to_string(reference.join(format!("{file}.key.txt"))).unwrap();
        let got_key = openssl(&[
            "pkey",
            "-in",
            &pki.path(&spec.key_file()),
            "-noout",
            "-text",
        ]);
        assert_eq!(
            got_key.lines().next().unwrap(),
            want_key.trim().trim_start_matches("600 "),
            "{}",
            spec.name
        );
    }
    let want_sa = std::fs::read_to_string(reference.join("sa.key.txt")).unwrap();
    let got_sa = openssl(&["pkey", "-in", &pki.path("sa.key"), "-noout", "-text"]);
    assert_eq!(
        got_sa.lines().next().unwrap(),
        want_sa.trim().trim_start_matches("600 ")
    );
}

#[test]
fn rsa_keys_chains_and_exponent_per_openssl() {
    let pki = Pki::build(KeyAlgorithm::Rsa2048);
    assert_chains_verify(&pki);
    for spec in &pki.specs {
        let key = pki.path(&spec.key_file());
        assert!(openssl_report(&["rsa", "-in", &key, "-check", "-noout"]).contains("RSA key ok"));
        assert!(openssl(&["rsa", "-in", &key, "-noout", "-text"])
            .contains("publicExponent: 65537 (0x10001)"));
        let reencoded = openssl(&["rsa", "-in", &key, "-traditional"]);
        assert_eq!(
            reencoded,
            pki.read(&spec.key_file()),
            "PKCS#1 PEM differs from openssl's for {}",
            spec.name
        );
    }
    let text = cert_text(&pki.path("ca.crt"));
    assert!(text.contains("Signature Algorithm: sha256WithRSAEncryption"));
    assert!(
        !text.contains("Serial Number: 0 (0x0)"),
        "CA serial must be random, not kubeadm 1.24's 0"
    );
}

#[test]
fn ecdsa_p256_keys_and_chains_per_openssl() {
    let pki = Pki::build(KeyAlgorithm::EcdsaP256);
    assert_chains_verify(&pki);
    for spec in &pki.specs {
        let key = pki.path(&spec.key_file());
        assert!(openssl_report(&["ec", "-in", &key, "-check", "-noout"]).contains("EC Key valid"));
        assert_eq!(
            openssl(&["ec", "-in", &key]),
            pki.read(&spec.key_file()),
            "SEC1 PEM differs for {}",
            spec.name
        );
        let text = openssl(&["ec", "-in", &key, "-noout", "-text"]);
        assert!(
            text.contains("ASN1 OID: prime256v1") && text.contains("NIST CURVE: P-256"),
            "{text}"
        );
        let cert = cert_text(&pki.path(&spec.cert_file()));
        assert!(
            cert.contains("Signature Algorithm: ecdsa-with-SHA256"),
            "{cert}"
        );
    }
}

#[test]
fn ecdsa_p384_signs_with_sha384_per_openssl() {
    let pki = Pki::build(KeyAlgorithm::EcdsaP384);
    assert_chains_verify(&pki);
    let cert = openssl(&["x509", "-in", &pki.path("apiserver.crt"), "-noout", "-text"]);
    assert!(
        cert.contains("Signature Algorithm: ecdsa-with-SHA384")
            && cert.contains("ASN1 OID: secp384r1"),
        "{cert}"
    );
    let key = pki.path("apiserver.key");
    assert_eq!(openssl(&["ec", "-in", &key]), pki.read("apiserver.key"));
}

fn assert_chains_verify(pki: &Pki) {
    for spec in pki.leaves() {
        let ca = pki.path(&format!("{}.crt", spec.ca.unwrap()));
        let leaf = pki.path(&spec.cert_file());
        let out = openssl(&["verify", "-CAfile", &ca, &leaf]);
        assert_eq!(out.trim(), format!("{leaf}: OK"), "{}", spec.name);
        // The key on disk belongs to the certificate next to it.
        let cert_pub = openssl(&["x509", "-in", &leaf, "-noout", "-pubkey"]);
        let key_pub = openssl(&["pkey", "-in", &pki.path(&spec.key_file()), "-pubout"]);
        assert_eq!(cert_pub, key_pub, "{}", spec.name);
    }
    for spec in pki.specs.iter().filter(|s| s.is_ca()) {
        let ca = pki.path(&spec.cert_file());
        assert_eq!(
            openssl(&["verify", "-CAfile", &ca, &ca]).trim(),
            format!("{ca}: OK")
        );
    }
}

#[test]
fn certificate_pem_is_what_openssl_writes() {
    let pki = Pki::build(KeyAlgorithm::EcdsaP256);
    for spec in &pki.specs {
        assert_eq!(
            openssl(&["x509", "-in", &pki.path(&spec.cert_file())]),
            pki.read(&spec.cert_file())
        );
    }
}

#[test]
fn sans_and_usages_per_openssl() {
    let pki = Pki::build(KeyAlgorithm::EcdsaP256);
    let api = cert_text(&pki.path("apiserver.crt"));
    assert!(api.contains(
        "DNS:cp1, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local, IP Address:10.96.0.1, IP Address:10.211.0.2"
    ), "{api}");
    assert!(api.contains("TLS Web Server Authentication"));
    let peer = cert_text(&pki.path("etcd/peer.crt"));
    assert!(peer.contains("DNS:cp1, DNS:localhost, IP Address:10.211.0.2, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"), "{peer}");
    assert!(peer.contains("TLS Web Server Authentication, TLS Web Client Authentication"));
}

/// Known answer from the pipeline kubeadm's docs give for the join hash.
#[test]
fn ca_cert_hash_matches_openssl_pipeline() {
    let pki = Pki::build(KeyAlgorithm::EcdsaP256);
    let pubkey = openssl(&["x509", "-in", &pki.path("ca.crt"), "-noout", "-pubkey"]);
    let spki = openssl_bytes(&["pkey", "-pubin", "-outform", "der"], pubkey.as_bytes());
    let sha = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(&spki)?;
            c.wait_with_output()
        })
        .unwrap();
    let hex = String::from_utf8(sha.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let cert = Certificate::parse_pem(pki.read("ca.crt").as_bytes()).unwrap();
    assert_eq!(ca_cert_hash(cert.der()).unwrap(), format!("sha256:{hex}"));
}

#[test]
fn sa_pub_is_the_pkix_public_key_of_sa_key() {
    for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Rsa2048] {
        let sa = service_account_keypair(alg).unwrap();
        assert_eq!(
            openssl_with_input(&["pkey", "-pubout"], sa.private_key_pem.as_bytes()),
            sa.public_key_pem
        );
        let text = openssl_with_input(
            &["pkey", "-pubin", "-noout", "-text"],
            sa.public_key_pem.as_bytes(),
        );
        assert!(text.starts_with("Public-Key:"), "{text}");
    }
}

/// Go 1.17 and OpenSSL's `subjectKeyIdentifier=hash` are both RFC 5280
/// method 1, so openssl must compute the same id for the CA key.
#[test]
fn subject_key_id_is_rfc5280_method_1() {
    let pki = Pki::build(KeyAlgorithm::EcdsaP256);
    let config = pki.path("req.cnf");
    std::fs::write(&config, "[req]\ndistinguished_name=dn\nx509_extensions=ext\n[dn]\n[ext]\nsubjectKeyIdentifier=hash\n").unwrap();
    for ca in ["ca", "front-proxy-ca", "etcd/ca"] {
        let key = pki.path(&format!("{ca}.key"));
        let theirs = openssl(&[
            "req", "-new", "-x509", "-config", &config, "-key", &key, "-subj", "/CN=x", "-days",
            "1", "-noout", "-text",
        ]);
        let ours = cert_text(&pki.path(&format!("{ca}.crt")));
        let key_id = |text: &str| {
            let mut lines = text
                .lines()
                .skip_while(|l| !l.contains("Subject Key Identifier"));
            lines.nth(1).unwrap().trim().to_string()
        };
        assert_eq!(key_id(&ours), key_id(&theirs), "{ca}");
    }
}

/// A user-provided CA (kubeadm accepts an existing `ca.crt`/`ca.key`) made
/// by openssl, with UTF8String names and several attributes: leaves we sign
/// must name it byte-for-byte as issuer and verify.
#[test]
fn signs_with_a_ca_made_by_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("ca.key");
    let key = generate_key(KeyAlgorithm::EcdsaP256).unwrap();
    std::fs::write(&key_path, key.private_key_pem().unwrap()).unwrap();
    let key_arg = key_path.to_string_lossy().into_owned();
    let make_ca = |subject: &str| {
        let pem = openssl(&[
            "req", "-new", "-x509", "-key", &key_arg, "-subj", subject, "-days", "2",
        ]);
        Certificate::parse_pem(pem.as_bytes()).unwrap()
    };
    let ca = make_ca("/C=DE/O=Acme Corp/OU=Platform/CN=acme-k8s-ca");
    let spec = cert_specs(&reference_inputs()).unwrap().remove(1);
    let leaf_key = generate_key(KeyAlgorithm::EcdsaP256).unwrap();
    let leaf = new_signed(&spec, &leaf_key, &ca, &key, SystemTime::now()).unwrap();
    assert_eq!(
        leaf.facts().issuer.text,
        "C = DE, O = Acme Corp, OU = Platform, CN = acme-k8s-ca"
    );
    leaf.verify_signed_by(&ca).unwrap();
    let (ca_path, leaf_path) = (dir.path().join("ca.crt"), dir.path().join("leaf.crt"));
    std::fs::write(&ca_path, ca.to_pem()).unwrap();
    std::fs::write(&leaf_path, leaf.to_pem()).unwrap();
    let out = openssl(&[
        "verify",
        "-CAfile",
        &ca_path.to_string_lossy(),
        &leaf_path.to_string_lossy(),
    ]);
    assert!(out.trim().ends_with(": OK"), "{out}");

    // rcgen holds one value per attribute type, so such a CA is refused
    // rather than misnamed.
    let repeated = make_ca("/DC=com/DC=example/CN=dc-ca");
    let err = new_signed(&spec, &leaf_key, &repeated, &key, SystemTime::now()).unwrap_err();
    assert!(err.to_string().contains("repeated attribute type"), "{err}");
}
