//! Every check, passing and failing, with requests built here; the model's
//! filter, sort, selection and re-judging; the approver's plans.

use std::net::IpAddr;
use std::process::Command;

use k8s_openapi::api::certificates::v1::{CertificateSigningRequest, CertificateSigningRequestCondition, CertificateSigningRequestSpec, CertificateSigningRequestStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::ByteString;
use kube::api::ObjectMeta;

use super::approver::{Approver, Planned, WatchPolicy};
use super::live::Update;
use super::model::{CsrList, Filter, Scope, Sort, SortKey};
use super::policy::{judge, Level, NodeFacts, Nodes, Policy, Profile, Verdict};
use super::request::{build, RequestSpec};
use super::*;
use crate::pki::{generate_key, KeyAlgorithm, KeyPair};

const NODE_IP: &str = "10.0.0.2";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn p256() -> KeyPair {
    generate_key(KeyAlgorithm::EcdsaP256).unwrap()
}

/// A CSR object as the API server stores it, with the requester it fills in.
fn object(name: &str, pem: &str, signer: &str, username: &str, groups: &[&str], usages: &[&str]) -> CertificateSigningRequest {
    CertificateSigningRequest {
        metadata: ObjectMeta { name: Some(name.into()), uid: Some(format!("uid-{name}")), ..Default::default() },
        spec: CertificateSigningRequestSpec {
            request: ByteString(pem.as_bytes().to_vec()),
            signer_name: signer.into(),
            username: Some(username.into()),
            groups: Some(groups.iter().map(|g| g.to_string()).collect()),
            usages: Some(usages.iter().map(|u| u.to_string()).collect()),
            ..Default::default()
        },
        status: None,
    }
}

const SERVING: [&str; 3] = ["digital signature", "key encipherment", "server auth"];
const CLIENT: [&str; 3] = ["digital signature", "key encipherment", "client auth"];

fn serving_pem(spec: &RequestSpec) -> String {
    build(spec, &p256()).unwrap()
}

/// cp1's serving request from cp1, valid unless the test changes it.
fn serving(spec: RequestSpec) -> Request {
    Request::new(object("s", &serving_pem(&spec), KUBELET_SERVING, "system:node:cp1", &["system:nodes", "system:authenticated"], &SERVING))
}

fn cp1_spec() -> RequestSpec {
    RequestSpec::kubelet_serving("cp1", &["cp1"], &[ip(NODE_IP)])
}

fn nodes() -> Nodes {
    let mut n = Nodes::default();
    n.insert(NodeFacts { name: "cp1".into(), addresses: vec![("InternalIP".into(), NODE_IP.into()), ("Hostname".into(), "cp1.lan".into())] });
    n.insert(NodeFacts { name: "cp2".into(), addresses: vec![("InternalIP".into(), "10.0.0.3".into())] });
    n
}

fn verdict(r: &Request) -> Verdict {
    judge(r, &nodes(), &Policy::default())
}

fn check(v: &Verdict, id: &str) -> Level {
    v.checks.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no check {id} in {v:#?}")).level
}

fn assert_check(r: &Request, id: &str, level: Level) {
    let v = verdict(r);
    assert_eq!(check(&v, id), level, "{id}: {v:#?}");
}

// ---- decoding ----

#[test]
fn decoding_reads_subject_sans_and_key() {
    let mut spec = cp1_spec();
    spec.dns.push("cp1.lan".into());
    spec.ips.push(ip("fd00::2"));
    spec.emails.push("a@b.c".into());
    spec.uris.push("spiffe://x/y".into());
    let d = decode::decode(serving_pem(&spec).as_bytes()).unwrap();
    assert_eq!(d.common_names, ["system:node:cp1"]);
    assert_eq!(d.organizations, ["system:nodes"]);
    assert_eq!(d.sans.dns, ["cp1", "cp1.lan"]);
    assert_eq!(d.sans.ips, [ip(NODE_IP), ip("fd00::2")]);
    assert_eq!(d.sans.emails, ["a@b.c"]);
    assert_eq!(d.sans.uris, ["spiffe://x/y"]);
    assert_eq!(d.key, KeyInfo::Ecdsa { curve: "P-256".into(), bits: 256 });
    assert!(d.signature.is_ok());
}

#[test]
fn decoding_refuses_what_is_not_a_request() {
    assert!(matches!(decode::decode(b"hello"), Err(DecodeError::NotPem(_))));
    let cert = pem::encode(&pem::Pem::new("CERTIFICATE", vec![1, 2, 3]));
    assert!(matches!(decode::decode(cert.as_bytes()), Err(DecodeError::WrongBlock(_))));
    let junk = pem::encode(&pem::Pem::new("CERTIFICATE REQUEST", vec![0x30, 0x03, 1, 2, 3]));
    assert!(matches!(decode::decode(junk.as_bytes()), Err(DecodeError::Der(_))));
    let r = Request::new(object("bad", "nonsense", KUBELET_SERVING, "system:node:cp1", &["system:nodes"], &SERVING));
    let v = verdict(&r);
    assert_eq!((v.level, check(&v, "decode")), (Level::Fail, Level::Fail));
}

// ---- general checks ----

#[test]
fn a_valid_serving_request_passes_every_check() {
    let v = verdict(&serving(cp1_spec()));
    assert_eq!(v.level, Level::Pass, "{v:#?}");
    assert_eq!(v.profile, Profile::KubeletServing);
    let ids: Vec<&str> = v.checks.iter().map(|c| c.id).collect();
    assert_eq!(ids, ["decode", "signature", "key-strength", "duration", "requestor", "common-name", "organization", "usages", "san-types", "node", "dns-names", "ip-addresses"]);
}

#[test]
fn signature_check_fails_a_tampered_request() {
    let pem_text = serving_pem(&cp1_spec());
    let mut der = pem::parse(&pem_text).unwrap().contents().to_vec();
    let last = der.len() - 3;
    der[last] ^= 0x55; // inside the signature value
    let tampered = pem::encode(&pem::Pem::new("CERTIFICATE REQUEST", der));
    let r = Request::new(object("t", &tampered, KUBELET_SERVING, "system:node:cp1", &["system:nodes"], &SERVING));
    assert_check(&r, "signature", Level::Fail);
    assert_check(&serving(cp1_spec()), "signature", Level::Pass);
}

/// A request made by openssl with a key kubelift cannot generate.
fn openssl_request(newkey: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("openssl")
        .arg("req")
        .arg("-new")
        .args(newkey)
        .args(["-nodes", "-keyout"])
        .arg(dir.path().join("k"))
        .args(["-subj", "/O=system:nodes/CN=system:node:cp1", "-addext", "subjectAltName=DNS:cp1,IP:10.0.0.2"])
        .output()
        .expect("openssl runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn with_pem(pem_text: &str) -> Request {
    Request::new(object("k", pem_text, KUBELET_SERVING, "system:node:cp1", &["system:nodes"], &SERVING))
}

#[test]
fn key_strength_accepts_rsa_2048_and_p256_p384_only() {
    let rsa = build(&cp1_spec(), &generate_key(KeyAlgorithm::Rsa2048).unwrap()).unwrap();
    assert_check(&with_pem(&rsa), "key-strength", Level::Pass);
    let p384 = build(&cp1_spec(), &generate_key(KeyAlgorithm::EcdsaP384).unwrap()).unwrap();
    assert_check(&with_pem(&p384), "key-strength", Level::Pass);
    for weak in [&["-newkey", "rsa:1024"][..], &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521"], &["-newkey", "ed25519"]] {
        let r = with_pem(&openssl_request(weak));
        let v = verdict(&r);
        assert_eq!(check(&v, "key-strength"), Level::Fail, "{weak:?}: {v:#?}");
        // aws-lc verifies no RSA under 2048 bits, nor P-521 with SHA-256: said as such.
        let sig = v.checks.iter().find(|c| c.id == "signature").unwrap();
        assert!(sig.level == Level::Pass || sig.detail.contains("not verifiable"), "{weak:?}: {sig:?}");
    }
    let d = decode::decode(openssl_request(&["-newkey", "rsa:1024"]).as_bytes()).unwrap();
    assert_eq!(d.key, KeyInfo::Rsa { bits: 1024 });
}

#[test]
fn duration_is_capped() {
    let mut r = serving(cp1_spec());
    assert_check(&r, "duration", Level::Pass); // the signer's default
    r.expiration_seconds = Some(3600);
    assert_check(&r, "duration", Level::Pass);
    r.expiration_seconds = Some(2 * 365 * 24 * 3600);
    assert_check(&r, "duration", Level::Fail);
    let strict = Policy { max_duration: std::time::Duration::from_secs(1800), ..Policy::default() };
    r.expiration_seconds = Some(3600);
    assert_eq!(check(&judge(&r, &nodes(), &strict), "duration"), Level::Fail);
}

// ---- kubelet serving ----

#[test]
fn serving_requestor_must_be_a_node_in_system_nodes() {
    let pem_text = serving_pem(&cp1_spec());
    let from = |user: &str, groups: &[&str]| Request::new(object("r", &pem_text, KUBELET_SERVING, user, groups, &SERVING));
    assert_check(&from("system:node:cp1", &["system:nodes"]), "requestor", Level::Pass);
    assert_check(&from("system:node:cp1", &["system:authenticated"]), "requestor", Level::Fail);
    let admin = from("kubernetes-admin", &["system:masters", "system:authenticated"]);
    let v = verdict(&admin);
    assert_eq!((check(&v, "requestor"), check(&v, "node")), (Level::Fail, Level::Fail), "{v:#?}");
}

#[test]
fn serving_common_name_must_be_the_requester() {
    assert_check(&serving(cp1_spec()), "common-name", Level::Pass);
    let other = RequestSpec::kubelet_serving("cp2", &["cp2"], &[ip("10.0.0.3")]);
    let v = verdict(&serving(other));
    assert_eq!(check(&v, "common-name"), Level::Fail, "{v:#?}");
    // cp1 asking for cp2's names: judged against cp1, the requester.
    assert_eq!((check(&v, "dns-names"), check(&v, "ip-addresses")), (Level::Fail, Level::Fail));
}

#[test]
fn organization_must_be_exactly_system_nodes() {
    assert_check(&serving(cp1_spec()), "organization", Level::Pass);
    let mut masters = cp1_spec();
    masters.organizations = vec!["system:masters".into()];
    assert_check(&serving(masters), "organization", Level::Fail);
    let mut none = cp1_spec();
    none.organizations.clear();
    assert_check(&serving(none), "organization", Level::Fail);
}

#[test]
fn serving_usages_are_serving_only() {
    let pem_text = serving_pem(&cp1_spec());
    let with = |usages: &[&str]| Request::new(object("u", &pem_text, KUBELET_SERVING, "system:node:cp1", &["system:nodes"], usages));
    assert_check(&with(&SERVING), "usages", Level::Pass);
    assert_check(&with(&["digital signature", "server auth"]), "usages", Level::Pass);
    assert_check(&with(&["digital signature", "key encipherment", "server auth", "client auth"]), "usages", Level::Fail);
    assert_check(&with(&["digital signature", "key encipherment"]), "usages", Level::Fail);
    assert_check(&with(&["key encipherment", "server auth"]), "usages", Level::Fail);
    let v = verdict(&with(&SERVING));
    let detail = &v.checks.iter().find(|c| c.id == "usages").unwrap().detail;
    assert!(detail.contains("tolerated"), "an ECDSA key with key encipherment is noted: {detail}");
}

#[test]
fn serving_sans_are_dns_and_ip_only_and_present() {
    assert_check(&serving(cp1_spec()), "san-types", Level::Pass);
    let mut email = cp1_spec();
    email.emails.push("root@cp1".into());
    assert_check(&serving(email), "san-types", Level::Fail);
    let mut uri = cp1_spec();
    uri.uris.push("spiffe://cluster/ns/x".into());
    assert_check(&serving(uri), "san-types", Level::Fail);
    assert_check(&serving(RequestSpec::kubelet_serving("cp1", &[], &[])), "san-types", Level::Fail);
}

#[test]
fn serving_requests_need_their_node() {
    let r = serving(cp1_spec());
    assert_check(&r, "node", Level::Pass);
    let v = judge(&r, &Nodes::default(), &Policy::default());
    assert_eq!(check(&v, "node"), Level::Fail, "{v:#?}");
    assert!(v.checks.iter().all(|c| c.id != "dns-names"), "no SAN verdict without the Node");
}

#[test]
fn dns_names_must_belong_to_the_node() {
    assert_check(&serving(RequestSpec::kubelet_serving("cp1", &["cp1", "CP1.lan"], &[])), "dns-names", Level::Pass);
    assert_check(&serving(RequestSpec::kubelet_serving("cp1", &["cp2"], &[])), "dns-names", Level::Fail);
    assert_check(&serving(RequestSpec::kubelet_serving("cp1", &["cp1.example.com"], &[])), "dns-names", Level::Fail);
    let suffix = Policy { allowed_dns_suffixes: vec!["example.com".into()], ..Policy::default() };
    let ok = serving(RequestSpec::kubelet_serving("cp1", &["cp1.example.com"], &[]));
    assert_eq!(check(&judge(&ok, &nodes(), &suffix), "dns-names"), Level::Pass);
    let other = serving(RequestSpec::kubelet_serving("cp1", &["cp2.example.com"], &[]));
    assert_eq!(check(&judge(&other, &nodes(), &suffix), "dns-names"), Level::Fail, "no claims under another node's name");
}

#[test]
fn ip_addresses_must_belong_to_the_node_and_allowed_ranges() {
    assert_check(&serving(cp1_spec()), "ip-addresses", Level::Pass);
    let foreign = serving(RequestSpec::kubelet_serving("cp1", &["cp1"], &[ip("10.0.0.99")]));
    let v = verdict(&foreign);
    assert_eq!(check(&v, "ip-addresses"), Level::Fail);
    let detail = &v.checks.iter().find(|c| c.id == "ip-addresses").unwrap().detail;
    assert!(detail.contains("10.0.0.99") && detail.contains("10.0.0.2 InternalIP"), "{detail}");
    let another_nodes = serving(RequestSpec::kubelet_serving("cp1", &["cp1"], &[ip("10.0.0.3")]));
    assert_check(&another_nodes, "ip-addresses", Level::Fail);
    let inside = Policy { allowed_ip_ranges: vec!["10.0.0.0/24".parse().unwrap()], ..Policy::default() };
    assert_eq!(check(&judge(&serving(cp1_spec()), &nodes(), &inside), "ip-addresses"), Level::Pass);
    let outside = Policy { allowed_ip_ranges: vec!["192.168.0.0/16".parse().unwrap()], ..Policy::default() };
    assert_eq!(check(&judge(&serving(cp1_spec()), &nodes(), &outside), "ip-addresses"), Level::Fail);
}

// ---- kubelet client ----

fn client_pem(node: &str, key: &KeyPair) -> String {
    crate::pki::csr::node_client_request(node, key).unwrap()
}

fn client(pem_text: &str, user: &str, groups: &[&str], usages: &[&str]) -> Request {
    Request::new(object("c", pem_text, KUBELET_CLIENT, user, groups, usages))
}

#[test]
fn client_requests_from_a_bootstrap_token_pass() {
    let pem_text = client_pem("worker-1", &p256());
    let v = verdict(&client(&pem_text, "system:bootstrap:abcdef", &["system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token"], &CLIENT));
    assert_eq!((v.level, v.profile), (Level::Pass, Profile::KubeletClient), "{v:#?}");
    let ids: Vec<&str> = v.checks.iter().map(|c| c.id).collect();
    assert_eq!(ids, ["decode", "signature", "key-strength", "duration", "requestor", "common-name", "organization", "san-types", "usages", "existing-node"]);
}

#[test]
fn client_requestor_is_a_bootstrap_token_or_the_node_itself() {
    let pem_text = client_pem("cp1", &p256());
    assert_check(&client(&pem_text, "system:bootstrap:abcdef", &["system:authenticated"], &CLIENT), "requestor", Level::Fail);
    assert_check(&client(&pem_text, "system:node:cp1", &["system:nodes"], &CLIENT), "requestor", Level::Pass);
    assert_check(&client(&pem_text, "system:node:cp2", &["system:nodes"], &CLIENT), "requestor", Level::Fail);
    assert_check(&client(&pem_text, "kubernetes-admin", &["system:masters"], &CLIENT), "requestor", Level::Fail);
}

#[test]
fn client_subject_and_sans() {
    let mut spec = RequestSpec { common_name: "admin".into(), organizations: vec!["system:nodes".into()], ..RequestSpec::default() };
    let bad_cn = build(&spec, &p256()).unwrap();
    assert_check(&client(&bad_cn, "system:bootstrap:abcdef", &["system:bootstrappers"], &CLIENT), "common-name", Level::Fail);
    spec.common_name = "system:node:w1".into();
    spec.organizations = vec!["system:masters".into()];
    let masters = build(&spec, &p256()).unwrap();
    assert_check(&client(&masters, "system:bootstrap:abcdef", &["system:bootstrappers"], &CLIENT), "organization", Level::Fail);
    let sans = build(&RequestSpec::kubelet_serving("w1", &["w1"], &[]), &p256()).unwrap();
    assert_check(&client(&sans, "system:bootstrap:abcdef", &["system:bootstrappers"], &CLIENT), "san-types", Level::Fail);
    assert_check(&client(&client_pem("w1", &p256()), "system:bootstrap:abcdef", &["system:bootstrappers"], &CLIENT), "san-types", Level::Pass);
}

#[test]
fn client_usages_are_client_only() {
    let pem_text = client_pem("w1", &p256());
    let with = |u: &[&str]| client(&pem_text, "system:bootstrap:abcdef", &["system:bootstrappers"], u);
    assert_check(&with(&CLIENT), "usages", Level::Pass);
    assert_check(&with(&["digital signature", "client auth"]), "usages", Level::Pass);
    assert_check(&with(&["digital signature", "key encipherment", "client auth", "server auth"]), "usages", Level::Fail);
    assert_check(&with(&["digital signature", "key encipherment"]), "usages", Level::Fail);
}

#[test]
fn a_bootstrap_token_asking_for_an_existing_node_is_a_warning() {
    let existing = client(&client_pem("cp1", &p256()), "system:bootstrap:abcdef", &["system:bootstrappers"], &CLIENT);
    let v = verdict(&existing);
    assert_eq!((check(&v, "existing-node"), v.level), (Level::Warn, Level::Warn), "{v:#?}");
    let renewal = client(&client_pem("cp1", &p256()), "system:node:cp1", &["system:nodes"], &CLIENT);
    assert_check(&renewal, "existing-node", Level::Pass);
}

// ---- other signers ----

#[test]
fn other_signers_are_left_to_a_person_and_admin_groups_fail() {
    let spec = RequestSpec { common_name: "alice".into(), organizations: vec!["dev".into()], ..RequestSpec::default() };
    let r = Request::new(object("o", &build(&spec, &p256()).unwrap(), APISERVER_CLIENT, "kubernetes-admin", &["system:masters"], &["client auth"]));
    let v = verdict(&r);
    assert_eq!((v.profile, v.level, check(&v, "signer"), check(&v, "privileged-group")), (Profile::Other, Level::Warn, Level::Warn, Level::Pass));
    let admin = RequestSpec { common_name: "mallory".into(), organizations: vec!["system:masters".into()], ..RequestSpec::default() };
    let r = Request::new(object("o", &build(&admin, &p256()).unwrap(), APISERVER_CLIENT, "mallory", &["system:authenticated"], &["client auth"]));
    assert_check(&r, "privileged-group", Level::Fail);
}

#[test]
fn policy_files_are_read_and_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.yaml");
    std::fs::write(&file, "maxDuration: 720h\nallowedIPRanges: [10.0.0.0/8, 192.168.1.7]\nallowedDNSSuffixes: [.Nodes.Example.com]\n").unwrap();
    let p = Policy::from_file(&file).unwrap();
    assert_eq!(p.max_duration.as_secs(), 720 * 3600);
    assert_eq!(p.allowed_ip_ranges.len(), 2);
    assert_eq!(p.allowed_dns_suffixes, ["nodes.example.com"]);
    std::fs::write(&file, "allowedIPRanges: [banana]\n").unwrap();
    let e = Policy::from_file(&file).unwrap_err();
    assert!(e.contains("allowedIPRanges") && e.contains("banana"), "{e}");
    std::fs::write(&file, "maxDuraton: 1h\n").unwrap();
    assert!(Policy::from_file(&file).unwrap_err().contains("maxDuration"));
}

// ---- state ----

fn with_condition(mut csr: CertificateSigningRequest, type_: &str, cert: bool) -> CertificateSigningRequest {
    csr.status = Some(CertificateSigningRequestStatus {
        conditions: Some(vec![CertificateSigningRequestCondition { type_: type_.into(), status: "True".into(), ..Default::default() }]),
        certificate: cert.then(|| ByteString(b"x".to_vec())),
    });
    csr
}

#[test]
fn states_follow_conditions_and_certificate() {
    let base = object("x", "", KUBELET_SERVING, "u", &[], &[]);
    assert_eq!(state_of(&base), State::Pending);
    assert_eq!(state_of(&with_condition(base.clone(), "Approved", false)), State::Approved);
    assert_eq!(state_of(&with_condition(base.clone(), "Approved", true)), State::Issued);
    assert_eq!(state_of(&with_condition(base.clone(), "Denied", false)), State::Denied);
    assert_eq!(state_of(&with_condition(base, "Failed", false)), State::Failed);
}

// ---- model ----

fn model_objects() -> Vec<CertificateSigningRequest> {
    let key = p256();
    let at = |secs: i64| Some(Time(k8s_openapi::jiff::Timestamp::from_second(1_700_000_000 + secs).unwrap()));
    let mut good = object("a-good", &build(&cp1_spec(), &key).unwrap(), KUBELET_SERVING, "system:node:cp1", &["system:nodes"], &SERVING);
    good.metadata.creation_timestamp = at(10);
    let mut bad_ip = object("b-bad-ip", &build(&RequestSpec::kubelet_serving("cp1", &[], &[ip("10.9.9.9")]), &key).unwrap(), KUBELET_SERVING, "system:node:cp1", &["system:nodes"], &SERVING);
    bad_ip.metadata.creation_timestamp = at(20);
    let mut client_ok = object("c-client", &client_pem("w1", &key), KUBELET_CLIENT, "system:bootstrap:abcdef", &["system:bootstrappers"], &CLIENT);
    client_ok.metadata.creation_timestamp = at(30);
    let mut done = with_condition(object("d-done", &build(&cp1_spec(), &key).unwrap(), KUBELET_SERVING, "system:node:cp1", &["system:nodes"], &SERVING), "Approved", true);
    done.metadata.creation_timestamp = at(0);
    vec![good, bad_ip, client_ok, done]
}

fn names(list: &mut CsrList) -> Vec<String> {
    list.visible().iter().map(|e| e.request.name.clone()).collect()
}

#[test]
fn the_model_filters_sorts_and_selects() {
    let mut list = CsrList::new(Policy::default());
    list.load(model_objects(), nodes());
    assert_eq!(names(&mut list), ["c-client", "b-bad-ip", "a-good"], "pending, newest first");
    list.set_filter(Filter { scope: Scope::All, ..Filter::default() });
    assert_eq!(names(&mut list).len(), 4);
    list.set_filter(Filter { scope: Scope::All, signer: Some(KUBELET_SERVING.into()), text: String::new() });
    assert_eq!(names(&mut list), ["b-bad-ip", "a-good", "d-done"]);
    list.set_filter(Filter { scope: Scope::All, signer: None, text: "10.9.9".into() });
    assert_eq!(names(&mut list), ["b-bad-ip"]);
    list.set_filter(Filter { scope: Scope::Pending, ..Filter::default() });
    list.set_sort(Sort { key: SortKey::Verdict, descending: true });
    assert_eq!(names(&mut list)[0], "b-bad-ip", "failing first");
    list.set_sort(Sort { key: SortKey::Name, descending: false });
    assert_eq!(names(&mut list), ["a-good", "b-bad-ip", "c-client"]);
    assert_eq!(list.select_visible_passing(), 2);
    let selected: Vec<&str> = list.selected().iter().map(|e| e.request.name.as_str()).collect();
    assert_eq!(selected, ["a-good", "c-client"]);
    list.toggle_selected("a-good");
    assert_eq!(list.counts().selected, 1);
    let counts = list.counts();
    assert_eq!((counts.total, counts.pending, counts.pending_passing, counts.visible), (4, 3, 2, 3));
}

#[test]
fn rows_are_built_for_the_visible_slice_only() {
    let mut list = CsrList::new(Policy::default());
    list.load(model_objects(), nodes());
    list.set_sort(Sort { key: SortKey::Name, descending: false });
    list.move_cursor(1);
    let now = chrono::DateTime::<chrono::Utc>::from_timestamp(1_700_000_000 + 3600, 0).unwrap();
    let rows = list.rows(1, 1, now);
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!((r.name.as_str(), r.age.as_str(), r.verdict, r.under_cursor), ("b-bad-ip", "59m", Level::Fail, true));
    assert_eq!(r.sans, ["IP:10.9.9.9"]);
    assert_eq!(r.key, "ECDSA-P-256");
    assert!(r.problem.as_deref().unwrap().starts_with("ip-addresses"), "{r:?}");
    assert_eq!(list.current().unwrap().request.name, "b-bad-ip");
    list.move_cursor(10);
    assert_eq!(list.cursor(), 2);
}

#[test]
fn node_changes_rejudge_only_their_requests() {
    let mut list = CsrList::new(Policy::default());
    list.load(model_objects(), nodes());
    assert_eq!(list.get("b-bad-ip").unwrap().verdict.level, Level::Fail);
    let mut cp1 = nodes().get("cp1").unwrap().clone();
    cp1.addresses.push(("ExternalIP".into(), "10.9.9.9".into()));
    let changed = list.apply(Update::NodeApplied(cp1));
    assert_eq!(changed, ["b-bad-ip"]);
    assert_eq!(list.get("b-bad-ip").unwrap().verdict.level, Level::Pass);
    let changed = list.apply(Update::NodeDeleted("cp1".into()));
    assert!(changed.contains(&"a-good".to_string()));
    assert_eq!(list.get("a-good").unwrap().verdict.level, Level::Fail);
}

#[test]
fn a_watch_restart_drops_requests_that_are_gone() {
    let mut list = CsrList::new(Policy::default());
    list.load(model_objects(), nodes());
    list.apply(Update::CsrRestarted);
    list.apply(Update::CsrApplied(model_objects().remove(0)));
    list.apply(Update::CsrSynced);
    assert_eq!(list.entries().count(), 1);
    assert!(list.get("a-good").is_some());
}

// ---- approver ----

fn synced(approver: &mut Approver) -> Vec<Planned> {
    let mut plans = approver.update(Update::NodeRestarted);
    for n in nodes().0.into_values() {
        plans.extend(approver.update(Update::NodeApplied(n)));
    }
    plans.extend(approver.update(Update::NodesSynced));
    plans.extend(approver.update(Update::CsrRestarted));
    for o in model_objects() {
        plans.extend(approver.update(Update::CsrApplied(o)));
    }
    plans.extend(approver.update(Update::CsrSynced));
    plans
}

fn summarize(plans: &[Planned]) -> Vec<String> {
    plans
        .iter()
        .map(|p| match p {
            Planned::Write(a, _) => format!("{:?} {}", a.kind, a.object.metadata.name.as_deref().unwrap()),
            Planned::Leave { name, .. } => format!("leave {name}"),
        })
        .collect()
}

#[test]
fn approve_if_valid_approves_passing_requests_only_after_sync() {
    let mut approver = Approver::new(WatchPolicy::ApproveIfValid, None, Policy::default());
    assert!(approver.update(Update::CsrApplied(model_objects().remove(0))).is_empty(), "nothing before both listings");
    let plans = synced(&mut approver);
    assert_eq!(summarize(&plans), ["Approve a-good", "leave b-bad-ip", "Approve c-client"]);
    // The same update again plans nothing: writes are in flight, the left one was said.
    let again: Vec<Planned> = model_objects().into_iter().flat_map(|o| approver.update(Update::CsrApplied(o))).collect();
    assert!(again.is_empty(), "{:?}", summarize(&again));
    // A Node change that makes the left one pass plans its approval.
    let mut cp1 = nodes().get("cp1").unwrap().clone();
    cp1.addresses.push(("InternalIP".into(), "10.9.9.9".into()));
    assert_eq!(summarize(&approver.update(Update::NodeApplied(cp1))), ["Approve b-bad-ip"]);
}

#[test]
fn scoped_reject_and_queue_policies() {
    let mut reject = Approver::new(WatchPolicy::AlwaysReject, Some(KUBELET_SERVING.into()), Policy::default());
    assert_eq!(summarize(&synced(&mut reject)), ["Deny a-good", "Deny b-bad-ip"]);
    let mut queue = Approver::new(WatchPolicy::Queue, None, Policy::default());
    assert_eq!(summarize(&synced(&mut queue)), ["leave a-good", "leave b-bad-ip", "leave c-client"]);
    assert!("insecure-always-approve".parse::<WatchPolicy>().is_err());
}
