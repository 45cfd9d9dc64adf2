//! Property tests over the config parser: whatever a file holds, kubelift
//! answers with errors, never a panic. `PROPTEST_CASES=200000` runs it long
//! (docs/testing.md); the default keeps CI fast.

use proptest::prelude::*;
use serde_yaml::{Mapping, Value};

use kubelift::config::{HostDefaults, InitSettings, JoinSettings};

/// Field names kubeadm's documents really have, so generated documents reach
/// deep into the decoder instead of stopping at the first unknown key.
const KEYS: &[&str] = &[
    "apiVersion", "kind", "bootstrapTokens", "token", "ttl", "usages", "groups", "expires", "nodeRegistration", "name",
    "criSocket", "taints", "key", "effect", "kubeletExtraArgs", "localAPIEndpoint", "advertiseAddress", "bindPort",
    "certificateKey", "skipPhases", "networking", "podSubnet", "serviceSubnet", "dnsDomain", "kubernetesVersion",
    "controlPlaneEndpoint", "apiServer", "extraArgs", "certSANs", "extraVolumes", "hostPath", "mountPath", "etcd",
    "local", "external", "dataDir", "endpoints", "featureGates", "encryptionAlgorithm", "timeouts", "discovery",
    "bootstrapToken", "apiServerEndpoint", "caCertHashes", "controlPlane", "value", "dns", "proxy", "disabled",
];
const VERSIONS: &[&str] = &["kubeadm.k8s.io/v1beta3", "kubeadm.k8s.io/v1beta4", "kubeadm.k8s.io/v1beta2", "kubelet.config.k8s.io/v1beta1", "x/v1"];
const KINDS: &[&str] = &["InitConfiguration", "ClusterConfiguration", "JoinConfiguration", "KubeletConfiguration", "Other"];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        any::<f64>().prop_map(|n| Value::Number(n.into())),
        "[ -~]{0,24}".prop_map(Value::String),
        prop::sample::select(vec!["10.96.0.0/12", "10.244.0.0/16", "::1", "1.2.3.4", "abcdef.0123456789abcdef", "24h0m0s", "v1.30.0", "-1", "1e99"]).prop_map(|s| Value::String(s.into())),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Sequence),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6)
                .prop_map(|kv| Value::Mapping(kv.into_iter().map(|(k, v)| (Value::String(k.into()), v)).collect())),
        ]
    })
}

fn document() -> impl Strategy<Value = String> {
    (prop::sample::select(VERSIONS), prop::sample::select(KINDS), value()).prop_map(|(v, k, body)| {
        let mut m = match body {
            Value::Mapping(m) => m,
            other => Mapping::from_iter([(Value::String("networking".into()), other)]),
        };
        m.insert("apiVersion".into(), v.into());
        m.insert("kind".into(), k.into());
        serde_yaml::to_string(&Value::Mapping(m)).unwrap()
    })
}

fn check(text: &str) {
    let host = HostDefaults::placeholder();
    match InitSettings::parse(text, "prop") {
        Ok(s) => {
            if let Err(e) = s.resolve(&host) {
                assert!(!e.errors.is_empty());
            }
        }
        Err(e) => assert!(!e.errors.is_empty() || text.trim().is_empty()),
    }
    if let Ok(j) = JoinSettings::parse(text, "prop") {
        let _ = j.resolve(&host);
    }
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        check(&text);
    }

    #[test]
    fn generated_documents_never_panic(docs in prop::collection::vec(document(), 1..4)) {
        check(&docs.join("---\n"));
    }

    #[test]
    fn mutated_reference_never_panics(cut in 0usize..600, insert in "[ -~\\n]{0,12}") {
        let reference = include_str!("fixtures/kubeadm-v1.24/config/input-kubeadm.yaml");
        let at = reference.char_indices().map(|(i, _)| i).nth(cut % reference.len()).unwrap_or(0);
        let mutated = format!("{}{}{}", &reference[..at], insert, &reference[at..]);
        check(&mutated);
    }
}

#[test]
fn every_reported_error_names_a_place_and_a_fix() {
    let text = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking: {podSubnet: nope, serviceSubnet: 10.0.0.0/30}\nclusterNam: x\n";
    let errors = InitSettings::parse(text, "t").unwrap().resolve(&HostDefaults::placeholder()).unwrap_err().errors;
    assert_eq!(errors.len(), 3, "{errors:?}");
    for e in errors {
        assert!(!e.path.is_empty() && !e.fix.is_empty(), "{e:?}");
    }
}
