//! Benchmarks of `kubelift csr`, run by hand (docs/performance.md, "CSR approval"):
//!
//! ```sh
//! KUBELIFT_E2E_BIN=DIR cargo test --test csr_bench -- --ignored --nocapture --test-threads 1
//! ```
//!
//! * `approve_1000_against_kubectl`: on a control plane made by `kubelift init`
//!   in a test host, 1,000 valid kubelet-serving CSRs approved by
//!   `kubectl certificate approve` and 1,000 more by `kubelift csr approve`,
//!   both given the same number of names, rounds alternated; kubelift must be
//!   at least 5× faster.
//! * `list_model_with_5000_requests`: the list model's load, update and
//!   visible-row computation with 5,000 requests (no cluster needed).

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::certificates::v1::{CertificateSigningRequest, CertificateSigningRequestSpec};
use k8s_openapi::ByteString;
use kube::api::{Api, ObjectMeta, PostParams};
use kubelift::cluster::Cluster;
use kubelift::csr::live::Update;
use kubelift::csr::model::{CsrList, Filter, Scope, Sort, SortKey};
use kubelift::csr::policy::{NodeFacts, Nodes, Policy};
use kubelift::csr::request::{build, RequestSpec};
use kubelift::csr::KUBELET_SERVING;
use kubelift::pki::{generate_key, KeyAlgorithm, KeyPair};
use support::e2e::{self, TestHost};

const KUBELIFT: &str = env!("CARGO_BIN_EXE_kubelift");
const BATCH: usize = 1000;

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn keys(n: usize) -> Vec<KeyPair> {
    (0..n).map(|_| generate_key(KeyAlgorithm::EcdsaP256).unwrap()).collect()
}

fn serving_object(name: &str, pem: &str) -> CertificateSigningRequest {
    CertificateSigningRequest {
        metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
        spec: CertificateSigningRequestSpec {
            request: ByteString(pem.as_bytes().to_vec()),
            signer_name: KUBELET_SERVING.into(),
            usages: Some(["digital signature", "key encipherment", "server auth"].map(String::from).to_vec()),
            ..Default::default()
        },
        status: None,
    }
}

/// Creates `names` as valid serving CSRs of the host's node, 32 at a time, with its kubelet.conf.
fn create_batch(rt: &tokio::runtime::Runtime, host: &TestHost, names: &[String]) {
    let pool = keys(16);
    let pem: Vec<String> = pool.iter().map(|k| build(&RequestSpec::kubelet_serving(&host.name, &[&host.name], &[IpAddr::V4(host.address)]), k).unwrap()).collect();
    rt.block_on(async {
        let cluster = Cluster::from_kubeconfig(&host.path("/etc/kubernetes/kubelet.conf"), Duration::from_secs(30)).await.unwrap();
        let api: Api<CertificateSigningRequest> = Api::all(cluster.client.clone());
        let params = PostParams::default();
        let created: Vec<_> = futures::stream::iter(names.iter().enumerate())
            .map(|(i, n)| {
                let (api, params, object) = (&api, &params, serving_object(n, &pem[i % pem.len()]));
                async move { api.create(params, &object).await }
            })
            .buffer_unordered(32)
            .collect()
            .await;
        assert!(created.iter().all(|c| c.is_ok()), "{:?}", created.iter().find(|c| c.is_err()));
    });
}

fn count_with(host: &TestHost, prefix: &str, field: &str) -> usize {
    let out = host.kubectl("/etc/kubernetes/admin.conf", &["get", "csr", "-o", "json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["metadata"]["name"].as_str().unwrap().starts_with(prefix))
        .filter(|c| match field {
            "approved" => c["status"]["conditions"].as_array().is_some_and(|a| a.iter().any(|x| x["type"] == "Approved")),
            _ => c["status"]["certificate"].as_str().is_some_and(|s| !s.is_empty()),
        })
        .count()
}

/// Waits until the controller-manager has signed every approved CSR of the batch, so the next run starts on a quiet machine.
fn wait_signed(host: &TestHost, prefix: &str) {
    let started = Instant::now();
    while count_with(host, prefix, "issued") < BATCH {
        assert!(started.elapsed() < Duration::from_secs(300), "the controller-manager did not sign {prefix}*");
        std::thread::sleep(Duration::from_secs(1));
    }
}

fn timed(mut cmd: Command) -> Duration {
    let started = Instant::now();
    let out = cmd.output().unwrap();
    let took = started.elapsed();
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    took
}

#[test]
#[ignore = "benchmark: run by hand with KUBELIFT_E2E_BIN (docs/performance.md)"]
fn approve_1000_against_kubectl() {
    let Some(bins) = e2e::binaries("approve_1000_against_kubectl") else { return };
    let net = e2e::Network::new();
    let mut host = net.host("cp1");
    host.start_kubelet(&bins);
    std::fs::write(host.path("/kubeadm.yaml"), e2e::reference_config(&host)).unwrap();
    let init = host.command(KUBELIFT).args(["init", "--non-interactive", "--root"]).arg(host.root.path()).arg("--config").arg(host.path("/kubeadm.yaml")).args(["--skip-phases", "preflight"]).output().unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    host.wait_ready(Duration::from_secs(30));
    let status = serde_json::json!({ "status": { "addresses": [{ "type": "InternalIP", "address": host.address.to_string() }] } });
    let out = host.kubectl("/etc/kubernetes/admin.conf", &["patch", "node", "cp1", "--subresource=status", "--type=merge", "-p", &status.to_string()]);
    assert!(out.status.success());
    let _ = Ipv4Addr::LOCALHOST;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let admin = host.path("/etc/kubernetes/admin.conf");
    let mut results = Vec::new();
    for (round, tool) in ["kubectl", "kubelift", "kubelift", "kubectl"].iter().enumerate() {
        let prefix = format!("bench-{round}-{tool}-");
        let names: Vec<String> = (0..BATCH).map(|i| format!("{prefix}{i:04}")).collect();
        create_batch(&rt, &host, &names);
        std::thread::sleep(Duration::from_secs(3)); // let the API server and etcd settle
        let before = load();
        let mut cmd = match *tool {
            "kubectl" => {
                let mut c = Command::new("kubectl");
                c.arg("--kubeconfig").arg(&admin).args(["certificate", "approve"]);
                c
            }
            _ => {
                let mut c = Command::new(KUBELIFT);
                c.args(["csr", "approve", "--kubeconfig"]).arg(&admin);
                c
            }
        };
        cmd.args(&names);
        let took = timed(cmd);
        assert_eq!(count_with(&host, &prefix, "approved"), BATCH, "{tool} approved them all");
        println!("round {round}: {tool:8} approved {BATCH} in {:6.2} s (load before: {before})", took.as_secs_f64());
        results.push((*tool, took));
        wait_signed(&host, &prefix);
    }
    let mean = |t: &str| results.iter().filter(|(x, _)| *x == t).map(|(_, d)| d.as_secs_f64()).sum::<f64>() / 2.0;
    let (kubectl, kubelift) = (mean("kubectl"), mean("kubelift"));
    println!("mean: kubectl {kubectl:.2} s, kubelift {kubelift:.2} s: {:.1}x faster; {} cores", kubectl / kubelift, std::thread::available_parallelism().map_or(0, |n| n.get()));
    assert!(kubectl / kubelift >= 5.0, "kubelift is only {:.1}x faster than kubectl", kubectl / kubelift);
}

/// 5,000 requests for 500 nodes: most valid, every tenth with a foreign IP.
fn model_objects(n: usize) -> (Vec<CertificateSigningRequest>, Nodes) {
    let pool = keys(32);
    let mut nodes = Nodes::default();
    let mut objects = Vec::with_capacity(n);
    for i in 0..n {
        let node = format!("node-{}", i % 500);
        let addr = Ipv4Addr::new(10, 1, (i % 500 / 250) as u8, (i % 250) as u8 + 1);
        nodes.insert(NodeFacts { name: node.clone(), addresses: vec![("InternalIP".into(), addr.to_string()), ("Hostname".into(), node.clone())] });
        let ip = if i % 10 == 0 { Ipv4Addr::new(192, 168, 0, 1) } else { addr };
        let pem = build(&RequestSpec::kubelet_serving(&node, &[&node], &[IpAddr::V4(ip)]), &pool[i % pool.len()]).unwrap();
        let mut o = serving_object(&format!("csr-{i:05}"), &pem);
        o.metadata.uid = Some(format!("uid-{i}"));
        o.metadata.creation_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(k8s_openapi::jiff::Timestamp::from_second(1_700_000_000 + i as i64).unwrap()));
        o.spec.username = Some(format!("system:node:{node}"));
        o.spec.groups = Some(vec!["system:nodes".into()]);
        objects.push(o);
    }
    (objects, nodes)
}

fn per_op(started: Instant, ops: u32) -> String {
    format!("{:.3} ms", started.elapsed().as_secs_f64() * 1000.0 / ops as f64)
}

#[test]
#[ignore = "benchmark: run by hand (docs/performance.md)"]
fn list_model_with_5000_requests() {
    const N: usize = 5000;
    const ROWS: usize = 50; // a tall terminal's worth
    let (objects, nodes) = model_objects(N);
    let now = chrono::Utc::now();
    let mut list = CsrList::new(Policy::default());
    let started = Instant::now();
    list.load(objects.clone(), nodes);
    let rows = list.rows(0, ROWS, now);
    println!("load {N} (decode, verify, judge) + first {ROWS} rows: {:.1} ms", started.elapsed().as_secs_f64() * 1000.0);
    assert_eq!(rows.len(), ROWS);
    assert_eq!(list.counts().pending_passing, N - N / 10);

    const OPS: u32 = 200;
    let started = Instant::now();
    for k in 0..OPS {
        let mut o = objects[k as usize * 7 % N].clone();
        o.metadata.resource_version = Some(format!("{k}"));
        list.apply(Update::CsrApplied(o));
        std::hint::black_box(list.rows(0, ROWS, now));
    }
    let update = per_op(started, OPS);
    println!("one CSR update (same uid: no new decode) + {ROWS} visible rows: {update} per frame");

    let started = Instant::now();
    for k in 0..OPS {
        let node = NodeFacts { name: format!("node-{}", k % 500), addresses: vec![("InternalIP".into(), format!("10.2.0.{}", k % 250))] };
        list.apply(Update::NodeApplied(node));
        std::hint::black_box(list.rows(0, ROWS, now));
    }
    println!("one Node change (its ~10 CSRs judged again) + {ROWS} visible rows: {} per frame", per_op(started, OPS));

    let started = Instant::now();
    for k in 0..OPS {
        list.set_filter(Filter { scope: Scope::All, signer: None, text: format!("node-{}", k % 50) });
        std::hint::black_box(list.rows(0, ROWS, now));
    }
    println!("text filter change + {ROWS} visible rows: {} per frame", per_op(started, OPS));

    let started = Instant::now();
    for k in 0..OPS {
        let key = [SortKey::Age, SortKey::Name, SortKey::Verdict, SortKey::Requestor][k as usize % 4];
        list.set_filter(Filter::default());
        list.set_sort(Sort { key, descending: k % 2 == 0 });
        std::hint::black_box(list.rows(0, ROWS, now));
    }
    println!("sort change + {ROWS} visible rows: {} per frame", per_op(started, OPS));

    let started = Instant::now();
    for k in 0..OPS {
        list.move_cursor(1);
        std::hint::black_box(list.rows(k as usize % 100, ROWS, now));
    }
    println!("scroll (no change) + {ROWS} visible rows: {} per frame", per_op(started, OPS));
    println!("machine load: {}", load());
}
