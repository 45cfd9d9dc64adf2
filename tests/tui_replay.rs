//! "Save as config file" replays exactly: the answers of the TUI's form,
//! written with `InitSettings::to_yaml`, make `kubelift init
//! --non-interactive --config` plan the same changes, phase by phase.

use assert_cmd::Command;
use serde_json::Value;
use std::sync::Arc;

use kubelift::config::{InitOverrides, InitSettings};
use kubelift::engine::{Context, EventSink, NoDecisions, Settings, WriteGate};
use kubelift::tui::choices::Choices;
use kubelift::tui::host::HostFacts;

/// Each phase's planned changes, as the JSON events carry them.
fn plan_of(settings: InitSettings) -> Vec<(String, Value)> {
    let root = tempfile::tempdir().unwrap();
    let (sink, _rx) = EventSink::channel();
    let ctx = Context::new(Settings::Init(Arc::new(settings)), WriteGate::apply(root.path(), "init").unwrap(), sink, Arc::new(NoDecisions));
    kubelift::phases::init().iter().map(|p| (p.id().to_string(), serde_json::to_value(p.plan(&ctx)).unwrap())).collect()
}

#[test]
fn the_saved_answers_replay_the_same_plan_headless() {
    let root = tempfile::tempdir().unwrap();
    let host = HostFacts::detect(root.path());
    let mut base = InitSettings::empty();
    base.apply(&InitOverrides { advertise_address: Some("10.0.0.10".into()), ..InitOverrides::default() });
    let mut choices = Choices::new(&base, &host);
    // Answers a user would change: extra SANs and a key type.
    choices.form.fields[8].value = "k8s.example.com,10.0.0.100".into();
    choices.form.fields[7].value = "ECDSA-P256".into();
    let settings = choices.settings(&base, &host, &[]).expect("valid answers");
    let file = root.path().join("kubelift-init.yaml");
    std::fs::write(&file, settings.to_yaml()).unwrap();
    let expected = plan_of(settings.clone());

    let out = Command::cargo_bin("kubelift")
        .unwrap()
        .env_remove("KUBELIFT_TEST_FAIL_PHASE")
        .args(["init", "--non-interactive", "--dry-run", "-o", "json", "--root"])
        .arg(root.path())
        .arg("--config")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let replayed: Vec<(String, Value)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["event"] == "plan")
        .map(|e| (e["phase"].as_str().unwrap().to_string(), e["changes"].clone()))
        .collect();
    assert_eq!(replayed, expected);

    let reloaded = InitSettings::load(&file).unwrap().resolve(&host.defaults).unwrap();
    assert_eq!(reloaded.fingerprint(), settings.fingerprint(), "same configuration, so a replay also resumes the same journal");
    assert_eq!(reloaded.init.bootstrap_tokens[0].token, settings.init.bootstrap_tokens[0].token, "the join token is kept");
}
