//! kubelift's `init` API objects against what real kubeadm v1.24 created for
//! the same configuration (tests/fixtures/kubeadm-v1.24: token
//! abcdef.0123456789abcdef, advertise address 10.211.0.2, pod subnet
//! 10.244.0.0/16), field by field.
//!
//! Both sides go through one normaliser that removes only what the API
//! server or its controllers add (listed in `SERVER_FIELDS`); everything else
//! must be equal. Reference objects kubeadm did not create are listed in
//! `NOT_KUBEADMS` with their creator. Deliberate differences are listed in
//! docs/kubeadm-compatibility.md ("API objects"); for this configuration
//! there are none in the stored objects.

use chrono::{TimeZone, Utc};
use k8s_openapi::api::core::v1::Node;
use kubelift::config::{HostDefaults, InitSettings};
use kubelift::objects::{self, mark_control_plane, AnyObject, Behaviour, InitInputs};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kubeadm-v1.24").join(path)
}

fn read_json(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(&format!("api/{name}"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Every object of the reference, keyed by kind, namespace and name.
fn reference_objects() -> BTreeMap<String, Value> {
    let files = [
        "clusterrolebindings.json",
        "clusterroles.json",
        "cm-kube-public-cluster-info.json",
        "cm-kube-system-addons.json",
        "cm-kube-system-kubeadm-config.json",
        "cm-kube-system-kubelet-config-1.24.json",
        "deploy-coredns.json",
        "ds-kube-proxy.json",
        "roles-rolebindings.json",
        "sa-addons.json",
        "secret-bootstrap-token-abcdef.json",
        "svc-kube-dns.json",
    ];
    let mut all = BTreeMap::new();
    for file in files {
        let items = match read_json(file) {
            Value::Array(items) => items,
            one => vec![one],
        };
        for item in items {
            all.insert(key_of(&item), item);
        }
    }
    all
}

fn key_of(v: &Value) -> String {
    let ns = v["metadata"]["namespace"].as_str().map(|n| format!("{n}/")).unwrap_or_default();
    format!("{} {ns}{}", v["kind"].as_str().unwrap(), v["metadata"]["name"].as_str().unwrap())
}

/// Reference objects that kubeadm did not create, and who did.
const NOT_KUBEADMS: &[(&str, &str)] = &[
    ("Role kube-public/system:controller:bootstrap-signer", "kube-apiserver's RBAC bootstrap policy"),
    ("Role kube-system/system:controller:bootstrap-signer", "kube-apiserver's RBAC bootstrap policy"),
    ("RoleBinding kube-public/system:controller:bootstrap-signer", "kube-apiserver's RBAC bootstrap policy"),
    ("RoleBinding kube-system/system:controller:bootstrap-signer", "kube-apiserver's RBAC bootstrap policy"),
];

/// What the API server and its controllers add: (path, value). A path
/// segment `*` means every array element. With a value, the field is removed
/// only when it has that (default) value, so a deliberate non-default
/// setting on either side still shows up as a difference.
fn server_fields() -> Vec<(Vec<&'static str>, Option<Value>)> {
    let p = |s: &'static str| s.split('.').collect::<Vec<_>>();
    let pod = "spec.template.spec";
    let c = format!("{pod}.containers.*");
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let mut fields: Vec<(Vec<&'static str>, Option<Value>)> = vec![
        // Object bookkeeping.
        (p("metadata.uid"), None),
        (p("metadata.resourceVersion"), None),
        (p("metadata.creationTimestamp"), None),
        (p("metadata.managedFields"), None),
        (p("metadata.generation"), None),
        (p("metadata.selfLink"), None),
        (p("status"), None),
        // The token controller (ServiceAccount token Secrets up to 1.24).
        (p("secrets"), None),
        // Workload defaults (SetDefaults_Deployment / _DaemonSet).
        (p("spec.progressDeadlineSeconds"), Some(json!(600))),
        (p("spec.revisionHistoryLimit"), Some(json!(10))),
        (p("spec.strategy.rollingUpdate.maxSurge"), Some(json!("25%"))),
        (p("spec.updateStrategy.rollingUpdate"), Some(json!({"maxSurge": 0, "maxUnavailable": 1}))),
        (p("spec.template.metadata.creationTimestamp"), Some(Value::Null)),
        // Pod defaults (SetDefaults_PodSpec and friends).
        (p(leak(format!("{pod}.restartPolicy"))), Some(json!("Always"))),
        (p(leak(format!("{pod}.schedulerName"))), Some(json!("default-scheduler"))),
        (p(leak(format!("{pod}.securityContext"))), Some(json!({}))),
        (p(leak(format!("{pod}.terminationGracePeriodSeconds"))), Some(json!(30))),
        (p(leak(format!("{pod}.dnsPolicy"))), Some(json!("ClusterFirst"))),
        (p(leak(format!("{pod}.volumes.*.configMap.defaultMode"))), Some(json!(420))),
        (p(leak(format!("{pod}.volumes.*.hostPath.type"))), Some(json!(""))),
        (p(leak(format!("{c}.terminationMessagePath"))), Some(json!("/dev/termination-log"))),
        (p(leak(format!("{c}.terminationMessagePolicy"))), Some(json!("File"))),
        (p(leak(format!("{c}.resources"))), Some(json!({}))),
        (p(leak(format!("{c}.env.*.valueFrom.fieldRef.apiVersion"))), Some(json!("v1"))),
        // Service defaults and IP allocation.
        (p("spec.clusterIPs"), None),
        (p("spec.ipFamilies"), None),
        (p("spec.ipFamilyPolicy"), Some(json!("SingleStack"))),
        (p("spec.internalTrafficPolicy"), Some(json!("Cluster"))),
        (p("spec.sessionAffinity"), Some(json!("None"))),
        (p("spec.type"), Some(json!("ClusterIP"))),
    ];
    for probe in ["livenessProbe", "readinessProbe"] {
        for (field, default) in [("periodSeconds", 10), ("successThreshold", 1), ("failureThreshold", 3), ("timeoutSeconds", 1)] {
            fields.push((p(leak(format!("{c}.{probe}.{field}"))), Some(json!(default))));
        }
    }
    fields
}

/// Annotations written by controllers and kubectl, not by kubeadm.
const SERVER_ANNOTATIONS: &[&str] =
    &["deployment.kubernetes.io/revision", "deprecated.daemonset.template.generation", "kubectl.kubernetes.io/last-applied-configuration"];

fn remove(v: &mut Value, path: &[&str], default: &Option<Value>) {
    let Some((head, rest)) = path.split_first() else { return };
    match (v, *head) {
        (Value::Array(items), "*") => items.iter_mut().for_each(|item| remove(item, path.get(1..).unwrap_or_default(), default)),
        (Value::Object(map), key) if rest.is_empty() && map.get(key).is_some_and(|found| default.as_ref().is_none_or(|d| d == found)) => {
            map.remove(key);
        }
        (Value::Object(map), key) => {
            if let Some(next) = map.get_mut(key) {
                remove(next, rest, default);
            }
        }
        _ => {}
    }
}

fn normalise(mut v: Value) -> Value {
    for (path, default) in server_fields() {
        remove(&mut v, &path, &default);
    }
    if let Some(Value::Object(annotations)) = v.pointer_mut("/metadata/annotations") {
        annotations.retain(|k, _| !SERVER_ANNOTATIONS.contains(&k.as_str()));
    }
    // The reference capture leaves `annotations: {}` where it removed the above.
    if v.pointer("/metadata/annotations").is_some_and(|a| a == &json!({})) {
        v["metadata"].as_object_mut().unwrap().remove("annotations");
    }
    // `serviceAccount` is the deprecated alias the API server copies from `serviceAccountName`.
    if let Some(Value::Object(pod)) = v.pointer_mut("/spec/template/spec") {
        if pod.get("serviceAccount").is_some() && pod.get("serviceAccount") == pod.get("serviceAccountName") {
            pod.remove("serviceAccount");
        }
    }
    // The bootstrapsigner controller signs cluster-info for every token.
    if v["kind"] == "ConfigMap" && v["metadata"]["name"] == "cluster-info" {
        v["data"].as_object_mut().unwrap().retain(|k, _| !k.starts_with("jws-kubeconfig-"));
    }
    v
}

/// Every path where `a` and `b` differ, with both values.
fn differences(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                differences(x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null), &format!("{path}.{k}"), out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                differences(p, q, &format!("{path}[{i}]"), out);
            }
        }
        _ if a != b => out.push(format!("{path}: kubelift {a} / kubeadm {b}")),
        _ => {}
    }
}

fn settings() -> InitSettings {
    InitSettings::load(&fixture("config/input-kubeadm.yaml")).unwrap().resolve(&HostDefaults::placeholder()).unwrap()
}

/// The reference cluster's CA, as kubeadm put it into cluster-info.
fn reference_ca_pem() -> Vec<u8> {
    let info = read_json("cm-kube-public-cluster-info.json");
    let kubeconfig = info["data"]["kubeconfig"].as_str().unwrap();
    let b64 = kubeconfig.lines().find_map(|l| l.trim().strip_prefix("certificate-authority-data: ")).unwrap();
    let bytes: k8s_openapi::ByteString = serde_json::from_value(json!(b64)).unwrap();
    bytes.0
}

fn reference_kubelet_yaml() -> String {
    read_json("cm-kube-system-kubelet-config-1.24.json")["data"]["kubelet"].as_str().unwrap().to_string()
}

fn rendered() -> Vec<AnyObject> {
    let ca = reference_ca_pem();
    let kubelet = reference_kubelet_yaml();
    // The token Secret's expiration is now + 24h: 2026-11-23T12:10:17Z.
    let inputs = InitInputs { now: Utc.with_ymd_and_hms(2026, 11, 22, 12, 10, 17).unwrap(), ca_cert_pem: &ca, kubelet_config_yaml: &kubelet };
    objects::all_init_objects(&settings(), &inputs).unwrap()
}

#[test]
fn every_object_matches_the_kubeadm_v1_24_reference() {
    let reference = reference_objects();
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for object in rendered() {
        let key = object.describe();
        let Some(expected) = reference.get(&key) else {
            problems.push(format!("{key}: rendered by kubelift, absent from the reference"));
            continue;
        };
        seen.push(key.clone());
        let mut diffs = Vec::new();
        differences(&normalise(object.to_json()), &normalise(expected.clone()), &key, &mut diffs);
        problems.extend(diffs);
    }
    for key in reference.keys() {
        let not_kubeadms = NOT_KUBEADMS.iter().any(|(k, _)| k == key);
        if !seen.contains(key) && !not_kubeadms {
            problems.push(format!("{key}: in the reference, not rendered by kubelift"));
        }
    }
    assert!(problems.is_empty(), "differences from kubeadm v1.24:\n{}", problems.join("\n"));
    assert_eq!(seen.len() + NOT_KUBEADMS.len(), reference.len());
}

#[test]
fn objects_come_grouped_in_kubeadms_phase_order() {
    let ca = reference_ca_pem();
    let inputs = InitInputs { now: Utc::now(), ca_cert_pem: &ca, kubelet_config_yaml: "kind: KubeletConfiguration\n" };
    let phases: Vec<&str> = objects::init_objects_by_phase(&settings(), &inputs).unwrap().iter().map(|p| p.phase).collect();
    assert_eq!(phases, ["upload-config/kubeadm", "upload-config/kubelet", "bootstrap-token", "addon/coredns", "addon/kube-proxy"]);
}

#[test]
fn config_map_text_is_byte_identical() {
    // The hashes kubeadm computed over its text equal the ones over kubelift's,
    // so the ConfigMap text is byte for byte kubeadm's.
    let by_key: BTreeMap<String, Value> = rendered().iter().map(|o| (o.describe(), o.to_json())).collect();
    let hash = "kubeadm.kubernetes.io/component-config.hash";
    let proxy = &reference_objects()["ConfigMap kube-system/kube-proxy"];
    assert_eq!(by_key["ConfigMap kube-system/kube-proxy"]["metadata"]["annotations"][hash], proxy["metadata"]["annotations"][hash]);
    let kubelet = read_json("cm-kube-system-kubelet-config-1.24.json");
    assert_eq!(by_key["ConfigMap kube-system/kubelet-config-1.24"]["metadata"]["annotations"][hash], kubelet["metadata"]["annotations"][hash]);
}

#[test]
fn node_marking_matches_the_reference() {
    let reference = read_json("node-cp1-after-mark-control-plane.json");
    // Before mark-control-plane the Node had the kubelet's label and the
    // node controller's taint; both must survive.
    let before: Node = serde_json::from_value(json!({
        "metadata": {"name": "cp1", "labels": {"kubernetes.io/hostname": "cp1"}},
        "spec": {"taints": [{"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule", "timeAdded": "2026-11-22T12:11:15Z"}]},
    }))
    .unwrap();
    let s = settings();
    let b = Behaviour::for_settings(&s).unwrap();
    let after = serde_json::to_value(mark_control_plane::marked_node(&before, &s, &b).unwrap()).unwrap();
    assert_eq!(after["metadata"]["labels"], reference["labels"]);
    let mut taints = after["spec"]["taints"].as_array().unwrap().clone();
    let mut expected = reference["taints"].as_array().unwrap().clone();
    let by_key = |t: &Value| t["key"].as_str().unwrap().to_string();
    taints.sort_by_key(by_key);
    expected.sort_by_key(by_key);
    assert_eq!(taints, expected);
    let patch = objects::upload_config::cri_socket_patch(&s, &b).unwrap();
    let annotation = "kubeadm.alpha.kubernetes.io/cri-socket";
    assert_eq!(patch["metadata"]["annotations"][annotation], reference["annotations"][annotation]);
}

#[test]
fn the_normaliser_removes_only_defaults() {
    // A non-default value of a listed field is a difference, not noise.
    let mut v = json!({"kind": "Deployment", "metadata": {"name": "x"}, "spec": {"revisionHistoryLimit": 3, "progressDeadlineSeconds": 600}});
    v = normalise(v);
    assert_eq!(v["spec"], json!({"revisionHistoryLimit": 3}));
}

#[test]
fn every_supported_version_renders_with_its_differences() {
    let ca = reference_ca_pem();
    for v in kubelift::versions::all() {
        let mut s = settings();
        s.cluster.kubernetes_version = v.release.clone();
        s.cluster.image_repository = v.image_repository.clone();
        let inputs = InitInputs { now: Utc::now(), ca_cert_pem: &ca, kubelet_config_yaml: "kind: KubeletConfiguration\n" };
        let names: Vec<String> = objects::all_init_objects(&s, &inputs).unwrap().iter().map(AnyObject::describe).collect();
        let minor = kubelift::versions::Semver::parse(&v.release).unwrap().minor;
        let has = |n: &str| names.iter().any(|x| x == n);
        assert_eq!(has("ClusterRoleBinding kubeadm:cluster-admins"), minor >= 29, "{}", v.release);
        assert_eq!(has("ConfigMap kube-system/kubelet-config"), minor >= 25, "{}", v.release);
        assert!(has("Service kube-system/kube-dns") && has("DaemonSet kube-system/kube-proxy"), "{}", v.release);
    }
}
