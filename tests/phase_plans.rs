//! A phase's plan lists exactly the files and directories its run writes.

use std::collections::BTreeSet;
use std::sync::Arc;

use kubelift::config::{HostDefaults, InitSettings};
use kubelift::engine::journal::Target;
use kubelift::engine::{self, Change, Context, EventSink, NoDecisions, RunOptions, RunStatus, Settings, WriteGate};

const CONFIG: &str = include_str!("fixtures/kubeadm-v1.24/input-kubeadm.yaml");

fn settings(version: &str) -> InitSettings {
    let text = CONFIG.replace("kubernetesVersion: v1.24.0", &format!("kubernetesVersion: {version}"));
    InitSettings::parse(&text, "test").unwrap().resolve(&HostDefaults::placeholder()).unwrap()
}

fn file_changes(plan: &[Change]) -> BTreeSet<(String, bool)> {
    plan.iter()
        .filter_map(|c| match c {
            Change::File { path, .. } => Some((path.clone(), true)),
            Change::Directory { path, .. } => Some((path.clone(), false)),
            _ => None,
        })
        .collect()
}

async fn check(version: &str, dry_run: bool) {
    let root = tempfile::tempdir().unwrap();
    let gate = if dry_run { WriteGate::dry_run(root.path(), "init").unwrap() } else { WriteGate::apply(root.path(), "init").unwrap() };
    let (sink, _rx) = EventSink::channel();
    let ctx = Context::new(Settings::Init(Arc::new(settings(version))), gate.clone(), sink, Arc::new(NoDecisions));
    let phases: Vec<_> = kubelift::phases::init()
        .into_iter()
        .filter(|p| ["kubelet-start", "control-plane", "etcd"].iter().any(|s| engine::runner::selects(s, p.id())))
        .collect();
    let planned: BTreeSet<_> = phases.iter().flat_map(|p| file_changes(&p.plan(&ctx))).collect();
    let opts = RunOptions { workflow: "init".into(), only: None, ..Default::default() };
    let report = engine::run(&phases, &ctx, &opts).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{version}: {report:?}");
    let written: BTreeSet<_> = gate
        .journal()
        .changes
        .iter()
        .filter_map(|e| match &e.target {
            Target::File { path } => Some((path.clone(), true)),
            Target::Directory { path } => Some((path.clone(), false)),
            _ => None,
        })
        .collect();
    // The journal also records the parent folders a write had to create (so reset can remove
    // them); they follow from the planned paths and are not listed in plans.
    let is_parent_of_planned = |path: &str| planned.iter().any(|(p, _)| p.starts_with(&format!("{path}/")));
    // The journal's own folder is kubelift's bookkeeping, not the phases' work.
    let written: BTreeSet<_> = written.into_iter().filter(|(p, is_file)| *is_file || planned.contains(&(p.clone(), false)) || !(is_parent_of_planned(p) || p == kubelift::reset::JOURNAL_DIR)).collect();
    assert_eq!(planned, written, "{version} (dry run: {dry_run})");
    let base = gate.dry_run_dir().unwrap_or(root.path()).to_path_buf();
    assert!(base.join("etc/kubernetes/manifests/etcd.yaml").exists());
    assert!(!dry_run || !root.path().join("var/lib/kubelet").exists(), "a dry run writes nothing under the root");
}

#[tokio::test]
async fn plans_equal_what_runs_write() {
    for version in ["v1.24.0", "v1.29.3", "v1.34.1"] {
        check(version, false).await;
        check(version, true).await;
    }
}
