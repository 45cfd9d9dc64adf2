//! The phase engine against synthetic phases: resume, skip, no-op re-runs,
//! and a journal that lists exactly what was written.

use async_trait::async_trait;
use std::path::Path;
use std::sync::Arc;

use kubelift::config::InitSettings;
use kubelift::engine::event::{Envelope, PhaseResult};
use kubelift::engine::journal::Journal;
use kubelift::engine::{self, Change, Context, Event, EventSink, FileClass, NoDecisions, Phase, PhaseCtx, PhaseError, RunOptions, RunStatus, Settings, WriteGate};

const IDS: [&str; 5] = ["one", "two/a", "two/b", "three", "four"];

struct Writes(&'static str);

fn file_of(id: &str) -> String {
    format!("/etc/test/{}.txt", id.replace('/', "-"))
}

#[async_trait]
impl Phase for Writes {
    fn id(&self) -> &'static str {
        self.0
    }
    fn title(&self) -> &'static str {
        "writes one file"
    }
    fn plan(&self, _: &Context) -> Vec<Change> {
        vec![Change::file(file_of(self.0), 0o644)]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        ctx.write(&file_of(self.0), self.0.as_bytes(), 0o644, FileClass::Plain)?;
        Ok(())
    }
}

fn phases() -> Vec<Box<dyn Phase>> {
    IDS.iter().map(|id| Box::new(Writes(id)) as Box<dyn Phase>).collect()
}

fn options() -> RunOptions {
    RunOptions { workflow: "init".into(), config_fingerprint: "config-1".into(), ..Default::default() }
}

fn run(root: &Path, opts: &RunOptions, dry_run: bool) -> (engine::RunReport, Vec<Event>, Arc<WriteGate>) {
    let gate = if dry_run { WriteGate::dry_run(root, "init") } else { WriteGate::apply(root, "init") }.unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (sink, mut rx) = EventSink::channel();
    let ctx = Context::new(Settings::Init(Arc::new(InitSettings::empty())), gate.clone(), sink, Arc::new(NoDecisions));
    let report = rt.block_on(engine::run(&phases(), &ctx, opts));
    drop(ctx);
    let mut events = vec![];
    while let Ok(Envelope { event, .. }) = rx.try_recv() {
        events.push(event);
    }
    (report, events, gate)
}

fn finished(events: &[Event]) -> Vec<(String, PhaseResult)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::PhaseFinished { phase, result, .. } => Some((phase.clone(), *result)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_second_run_is_a_no_op_that_says_so() {
    let root = tempfile::tempdir().unwrap();
    let (first, _, _) = run(root.path(), &options(), false);
    assert_eq!(first.status, RunStatus::Succeeded);
    let changes_after_first = Journal::load(root.path()).unwrap().changes.len();
    let (second, events, _) = run(root.path(), &options(), false);
    assert_eq!(second.status, RunStatus::AlreadyDone);
    assert!(second.ran.is_empty());
    assert!(finished(&events).iter().all(|(_, r)| *r == PhaseResult::Skipped));
    assert!(!events.iter().any(|e| matches!(e, Event::Plan { .. })), "nothing is planned when nothing will run");
    assert_eq!(Journal::load(root.path()).unwrap().changes.len(), changes_after_first);
}

#[test]
fn a_failure_in_any_phase_resumes_at_that_phase() {
    for (k, id) in IDS.iter().enumerate() {
        let root = tempfile::tempdir().unwrap();
        let failing = RunOptions { fail_at: Some(id.to_string()), ..options() };
        let (report, events, _) = run(root.path(), &failing, false);
        assert_eq!(report.status, RunStatus::Failed);
        assert_eq!(report.failed_phase.as_deref(), Some(*id));
        assert_eq!(report.ran, IDS[..=k]);
        assert!(events.iter().any(|e| matches!(e, Event::PhaseFailed { phase, .. } if phase == id)));

        let (resumed, events, _) = run(root.path(), &options(), false);
        assert_eq!(resumed.status, RunStatus::Succeeded, "resume after failing {id}");
        assert_eq!(resumed.ran, IDS[k..], "resume after failing {id}");
        let skipped: Vec<_> = finished(&events).into_iter().filter(|(_, r)| *r == PhaseResult::Skipped).map(|(p, _)| p).collect();
        assert_eq!(skipped, IDS[..k]);
        for id in IDS {
            assert!(root.path().join(file_of(id).trim_start_matches('/')).exists());
        }
    }
}

#[test]
fn skip_phases_leaves_out_a_phase_or_a_parent() {
    let root = tempfile::tempdir().unwrap();
    let opts = RunOptions { skip: vec!["two".into()], ..options() };
    let (report, events, _) = run(root.path(), &opts, false);
    assert_eq!(report.ran, ["one", "three", "four"]);
    let skipped = events.iter().find_map(|e| match e {
        Event::PhaseFinished { phase, result: PhaseResult::Skipped, reason, .. } if phase == "two/a" => reason.clone(),
        _ => None,
    });
    assert_eq!(skipped.as_deref(), Some("skipped by --skip-phases=two"));
    assert!(!root.path().join("etc/test/two-a.txt").exists());
}

#[test]
fn the_journal_lists_exactly_what_was_written() {
    let root = tempfile::tempdir().unwrap();
    run(root.path(), &RunOptions { skip: vec!["three".into()], ..options() }, false);
    let journal = Journal::load(root.path()).unwrap();
    let expected: Vec<String> = IDS.iter().filter(|id| **id != "three").map(|id| file_of(id)).collect();
    assert_eq!(journal.written_files(), expected);
    let mut on_disk: Vec<String> = std::fs::read_dir(root.path().join("etc/test")).unwrap().map(|e| format!("/etc/test/{}", e.unwrap().file_name().to_string_lossy())).collect();
    on_disk.sort();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(on_disk, expected_sorted);
}

#[test]
fn a_changed_configuration_runs_every_phase_again() {
    let root = tempfile::tempdir().unwrap();
    run(root.path(), &options(), false);
    let changed = RunOptions { config_fingerprint: "config-2".into(), ..options() };
    let (report, events, _) = run(root.path(), &changed, false);
    assert_eq!(report.status, RunStatus::Succeeded);
    assert_eq!(report.ran, IDS);
    assert!(events.iter().any(|e| matches!(e, Event::Warning { message, .. } if message.contains("differs"))));
}

#[test]
fn phase_runs_only_the_selected_phases() {
    let root = tempfile::tempdir().unwrap();
    let (report, _, _) = run(root.path(), &RunOptions { only: Some("two".into()), ..options() }, false);
    assert_eq!(report.ran, ["two/a", "two/b"]);
}

#[test]
fn a_dry_run_writes_exactly_its_plan_and_nothing_under_root() {
    let root = tempfile::tempdir().unwrap();
    let (report, events, gate) = run(root.path(), &options(), true);
    assert_eq!(report.status, RunStatus::Succeeded);
    assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0, "the root is untouched");
    let planned: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Plan { changes, .. } => Some(changes.clone()),
            _ => None,
        })
        .flatten()
        .filter_map(|c| match c {
            Change::File { path, .. } => Some(path),
            _ => None,
        })
        .collect();
    assert_eq!(gate.journal().written_files(), planned);
    let dir = gate.dry_run_dir().unwrap().to_path_buf();
    for path in &planned {
        assert!(dir.join(path.trim_start_matches('/')).exists());
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn events_come_in_order_for_every_phase() {
    let root = tempfile::tempdir().unwrap();
    let (_, events, _) = run(root.path(), &options(), false);
    assert!(matches!(events.first(), Some(Event::RunStarted { .. })));
    assert!(matches!(events.last(), Some(Event::RunFinished { status: RunStatus::Succeeded, .. })));
    let order: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::PhaseStarted { phase, .. } => Some(format!("start {phase}")),
            Event::PhaseFinished { phase, .. } => Some(format!("end {phase}")),
            _ => None,
        })
        .collect();
    let expected: Vec<String> = IDS.iter().flat_map(|id| [format!("start {id}"), format!("end {id}")]).collect();
    assert_eq!(order, expected);
}
