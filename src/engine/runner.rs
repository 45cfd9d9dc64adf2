//! Runs a workflow's phases in order: plan, skip, resume, record.

use std::time::Instant;

use super::event::{Event, PhaseResult, PhaseSummary, RunStatus};
use super::journal::{now, Status, WorkflowState};
use super::phase::{Context, Phase, PhaseCtx, PhaseError};

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// `init` or `join`: the journal keeps their progress apart.
    pub workflow: String,
    /// `--skip-phases`: ids or parents (`certs` skips every `certs/*`).
    pub skip: Vec<String>,
    /// `kubelift phase ID`: run only these (ids or parents), ignoring resume state.
    pub only: Option<String>,
    /// Fingerprint of the configuration; a resume needs the same one.
    pub config_fingerprint: String,
    /// Test hook: fail this phase as if its work had failed.
    pub fail_at: Option<String>,
}

/// How a run ended, for the caller's exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    pub status: RunStatus,
    pub failed_phase: Option<String>,
    pub ran: Vec<String>,
}

/// True when `id` is `selector` or one of its sub-phases (`certs` ⊃ `certs/ca`).
pub fn selects(selector: &str, id: &str) -> bool {
    let selector = selector.trim().trim_end_matches("/all");
    selector == "all" || id == selector || id.strip_prefix(selector).is_some_and(|rest| rest.starts_with('/'))
}

/// Names in `selectors` that match no phase, for a usage error before anything runs.
pub fn unknown_selectors<'a>(phases: &[Box<dyn Phase>], selectors: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    selectors
        .into_iter()
        .filter(|s| !phases.iter().any(|p| selects(s, p.id())))
        .cloned()
        .collect()
}

enum Disposition {
    Run,
    Skip(String),
}

pub async fn run(phases: &[Box<dyn Phase>], ctx: &Context, opts: &RunOptions) -> RunReport {
    let started = Instant::now();
    let selected: Vec<&dyn Phase> = phases
        .iter()
        .map(|p| p.as_ref())
        .filter(|p| opts.only.as_deref().is_none_or(|only| selects(only, p.id())))
        .collect();
    ctx.events.emit(Event::RunStarted {
        workflow: opts.workflow.clone(),
        dry_run: ctx.gate.is_dry_run(),
        phases: selected.iter().map(|p| PhaseSummary { id: p.id().into(), title: p.title().into() }).collect(),
    });
    let previous = ctx.gate.journal().workflows.get(&opts.workflow).cloned();
    let plan = dispositions(&selected, opts, previous.as_ref(), ctx);
    for (phase, disposition) in selected.iter().zip(&plan) {
        if matches!(disposition, Disposition::Run) {
            ctx.events.emit(Event::Plan { phase: phase.id().into(), changes: phase.plan(ctx) });
        }
    }
    let all_done_before = plan.iter().all(|d| matches!(d, Disposition::Skip(_))) && previous.as_ref().is_some_and(|p| p.status == Status::Done);
    let report = execute(&selected, &plan, ctx, opts, previous).await;
    let status = if all_done_before && opts.only.is_none() { RunStatus::AlreadyDone } else { report.status };
    ctx.events.emit(Event::RunFinished {
        status,
        duration_ms: started.elapsed().as_millis() as u64,
        dry_run_dir: ctx.gate.dry_run_dir().map(|d| d.display().to_string()),
        next_steps: vec![],
    });
    RunReport { status, ..report }
}

/// Decides, before anything runs, which phases run and why the others do not.
fn dispositions(selected: &[&dyn Phase], opts: &RunOptions, previous: Option<&WorkflowState>, ctx: &Context) -> Vec<Disposition> {
    let same_config = previous.is_some_and(|p| p.config_fingerprint_matches(&opts.config_fingerprint));
    if previous.is_some() && !same_config && opts.only.is_none() {
        ctx.events.emit(Event::Warning {
            phase: String::new(),
            message: format!("the configuration differs from the one of the earlier {} run; every phase runs again", opts.workflow),
            hint: Some("phases are idempotent: what is already correct is left unchanged".into()),
        });
    }
    selected
        .iter()
        .map(|p| {
            if let Some(s) = opts.skip.iter().find(|s| selects(s, p.id())) {
                return Disposition::Skip(format!("skipped by --skip-phases={s}"));
            }
            match previous {
                Some(prev) if same_config && opts.only.is_none() && !(p.always_runs() && prev.status != Status::Done) => match prev.phases_done.get(p.id()) {
                    Some(when) if prev.status == Status::Done => Disposition::Skip(format!("already done: the {} run that finished at {when} had the same configuration", opts.workflow)),
                    Some(when) => Disposition::Skip(format!("completed by the interrupted run at {when}; resuming after it")),
                    None => Disposition::Run,
                },
                _ => Disposition::Run,
            }
        })
        .collect()
}

async fn execute(selected: &[&dyn Phase], plan: &[Disposition], ctx: &Context, opts: &RunOptions, previous: Option<WorkflowState>) -> RunReport {
    let fresh = previous.as_ref().is_none_or(|p| !p.config_fingerprint_matches(&opts.config_fingerprint));
    let mut state = match previous {
        Some(p) if !fresh => p,
        _ => WorkflowState { status: Status::Running, config_sha256: opts.config_fingerprint.clone(), started: now(), updated: now(), phases_done: Default::default(), failed_phase: None },
    };
    let mut ran = vec![];
    for (phase, disposition) in selected.iter().zip(plan) {
        if let Disposition::Skip(reason) = disposition {
            ctx.events.emit(Event::PhaseFinished { phase: phase.id().into(), result: PhaseResult::Skipped, duration_ms: 0, reason: Some(reason.clone()) });
            continue;
        }
        ran.push(phase.id().to_string());
        state.status = Status::Running;
        match run_one(*phase, ctx, opts).await {
            Ok(()) => {
                state.phases_done.insert(phase.id().into(), now());
                state.failed_phase = None;
            }
            Err(e) => {
                state.status = Status::Failed;
                state.failed_phase = Some(phase.id().into());
                save(ctx, opts, &mut state);
                let status = match e {
                    PhaseError::Decision { .. } => RunStatus::NeedsDecision,
                    PhaseError::NotAvailable { .. } => RunStatus::NotAvailable,
                    PhaseError::Failed { .. } => RunStatus::Failed,
                };
                return RunReport { status, failed_phase: Some(phase.id().into()), ran };
            }
        }
        save(ctx, opts, &mut state);
    }
    if opts.only.is_none() {
        state.status = Status::Done;
        save(ctx, opts, &mut state);
    }
    RunReport { status: RunStatus::Succeeded, failed_phase: None, ran }
}

fn save(ctx: &Context, opts: &RunOptions, state: &mut WorkflowState) {
    state.updated = now();
    let snapshot = state.clone();
    if let Err(e) = ctx.gate.update_journal(|j| j.workflows.insert(opts.workflow.clone(), snapshot)) {
        ctx.events.emit(Event::Warning { phase: String::new(), message: e.to_string(), hint: Some(e.hint()) });
    }
}

async fn run_one(phase: &dyn Phase, ctx: &Context, opts: &RunOptions) -> Result<(), PhaseError> {
    let id = phase.id();
    ctx.events.emit(Event::PhaseStarted { phase: id.into(), title: phase.title().into() });
    let started = Instant::now();
    let result = if opts.fail_at.as_deref() == Some(id) {
        Err(PhaseError::failed(format!("injected failure in {id}"), "this failure was requested by the test hook KUBELIFT_TEST_FAIL_PHASE"))
    } else {
        phase.run(&PhaseCtx { ctx, phase: id }).await
    };
    let duration_ms = started.elapsed().as_millis() as u64;
    match &result {
        Ok(()) => ctx.events.emit(Event::PhaseFinished { phase: id.into(), result: PhaseResult::Done, duration_ms, reason: None }),
        Err(e) => ctx.events.emit(Event::PhaseFailed { phase: id.into(), duration_ms, error: e.to_string(), hint: e.hint() }),
    }
    result
}

impl WorkflowState {
    fn config_fingerprint_matches(&self, fingerprint: &str) -> bool {
        self.config_sha256 == fingerprint
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_match_parents_and_all() {
        assert!(selects("certs", "certs/ca"));
        assert!(selects("certs/all", "certs/ca"));
        assert!(selects("all", "preflight"));
        assert!(selects("certs/ca", "certs/ca"));
        assert!(!selects("certs/c", "certs/ca"));
        assert!(!selects("cert", "certs/ca"));
    }
}
