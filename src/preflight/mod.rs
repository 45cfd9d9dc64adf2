//! Preflight checks that explain and fix, not just fail.
//!
//! * `catalogue`: names (kubeadm's where kubeadm has the check), severities,
//!   why and how to fix, from assets/preflight-checks.yaml.
//! * `checks`: the check functions and the list each workflow runs.
//! * `host`: the one `Host` trait every check reads the machine through, and
//!   the real implementation; `fixture`: the fake machine tests use.
//! * `cri`: the CRI Version call over the runtime's socket.
//! * `fix`: the fixes, planned (shown) before they are applied through the
//!   WriteGate and the journal, and undone from the journal.
//!
//! `run` executes the checks concurrently (each on a blocking thread with a
//! timeout) and streams one `Event::CheckResult` per check, in catalogue order.

pub mod catalogue;
pub mod checks;
pub mod containerd;
pub mod cri;
pub mod fix;
pub mod fixture;
pub mod host;
pub mod input;

use std::sync::Arc;

use crate::engine::event::{CheckFix, CheckStatus, CheckTotals, Event, Severity};
use crate::engine::EventSink;
use checks::{Ctx, Finding, Planned, Verdict};
pub use host::{Host, RealHost};
pub use input::CheckInput;

/// The phase name preflight events carry.
pub const PHASE: &str = "preflight";

/// `--ignore-preflight-errors` / `nodeRegistration.ignorePreflightErrors`:
/// names compared case-insensitively; `all` ignores every error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreList {
    names: Vec<String>,
}

impl IgnoreList {
    pub fn new<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> IgnoreList {
        let mut names: Vec<String> = names.into_iter().map(|n| n.as_ref().trim().to_lowercase()).filter(|n| !n.is_empty()).collect();
        names.sort();
        names.dedup();
        IgnoreList { names }
    }

    pub fn ignores(&self, check: &str) -> bool {
        self.names.iter().any(|n| n == "all" || *n == check.to_lowercase())
    }

    /// Names that match no check of this run, so a typo does not pass silently.
    pub fn unknown<'a>(&'a self, planned: &[Planned]) -> Vec<&'a str> {
        self.names
            .iter()
            .filter(|n| *n != "all" && !planned.iter().any(|p| p.name.to_lowercase() == **n))
            .map(String::as_str)
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub ignore: IgnoreList,
    /// A dry run reports error-level failures as warnings and never stops.
    pub dry_run: bool,
}

/// One check's result, as reported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    pub name: String,
    pub severity: Severity,
    pub status: CheckStatus,
    pub message: String,
    pub why: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<CheckFix>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
    pub totals: CheckTotals,
}

impl Report {
    /// Names of the error-level checks that failed (not ignored).
    pub fn failed(&self) -> Vec<String> {
        self.outcomes.iter().filter(|o| o.status == CheckStatus::Failed).map(|o| o.name.clone()).collect()
    }

    /// Names whose error was turned into a warning only by a dry run: a real run would stop on them.
    pub fn would_fail(&self) -> Vec<String> {
        self.outcomes
            .iter()
            .filter(|o| o.severity == Severity::Error && o.status == CheckStatus::Warning)
            .map(|o| o.name.clone())
            .collect()
    }

    pub fn outcome(&self, name: &str) -> Option<&Outcome> {
        self.outcomes.iter().find(|o| o.name == name)
    }

    /// The `--fix=` names that would repair what failed or warned.
    pub fn fixable(&self) -> Vec<String> {
        let mut out: Vec<String> = self.outcomes.iter().filter_map(|o| o.fix.as_ref()?.auto.clone()).collect();
        out.sort();
        out.dedup();
        out
    }
}

/// Runs every planned check and streams results to `events`.
pub async fn run(host: Arc<dyn Host>, input: Arc<CheckInput>, options: &Options, events: &EventSink) -> Report {
    let planned = checks::plan(&input);
    let handles: Vec<_> = planned
        .iter()
        .map(|p| {
            let (host, input, run, timeout) = (host.clone(), input.clone(), p.run.clone(), p.timeout);
            tokio::spawn(async move {
                let work = tokio::task::spawn_blocking(move || run(&Ctx { host: host.as_ref(), input: &input }));
                match tokio::time::timeout(timeout, work).await {
                    Ok(Ok(finding)) => finding,
                    Ok(Err(e)) => Finding::problem(format!("the check stopped unexpectedly: {e}")),
                    Err(_) => Finding::problem(format!("the check did not finish within {} s", timeout.as_secs())),
                }
            })
        })
        .collect();
    let mut report = Report::default();
    // Awaited in plan order: results appear in a stable order, each as soon
    // as it and the ones before it are done (all run at the same time).
    for (p, handle) in planned.iter().zip(handles) {
        let finding = handle.await.unwrap_or_else(|e| Finding::problem(format!("the check stopped unexpectedly: {e}")));
        let outcome = judge(p, finding, options);
        count(&mut report.totals, outcome.status);
        events.emit(Event::CheckResult {
            phase: PHASE.into(),
            name: outcome.name.clone(),
            severity: outcome.severity,
            status: outcome.status,
            message: outcome.message.clone(),
            why: outcome.why.clone(),
            fix: outcome.fix.clone(),
        });
        report.outcomes.push(outcome);
    }
    events.emit(Event::PreflightFinished { phase: PHASE.into(), workflow: flow_name(input.flow).into(), totals: report.totals.clone(), failed: report.failed() });
    report
}

pub fn flow_name(flow: catalogue::Flow) -> &'static str {
    match flow {
        catalogue::Flow::Init => "init",
        catalogue::Flow::Join => "join",
        catalogue::Flow::JoinControlPlane => "join-control-plane",
    }
}

/// Turns a finding into a status: severity, ignore list and dry run decide.
fn judge(p: &Planned, finding: Finding, options: &Options) -> Outcome {
    let severity = p.spec.severity;
    let status = match (finding.verdict, severity) {
        (Verdict::Pass, _) => CheckStatus::Passed,
        (Verdict::Skip, _) => CheckStatus::Skipped,
        (Verdict::Warn, _) | (Verdict::Problem, Severity::Warning) => CheckStatus::Warning,
        (Verdict::Problem, Severity::Error) if options.ignore.ignores(&p.name) => CheckStatus::Ignored,
        (Verdict::Problem, Severity::Error) if options.dry_run => CheckStatus::Warning,
        (Verdict::Problem, Severity::Error) => CheckStatus::Failed,
    };
    let needs_fix = matches!(status, CheckStatus::Warning | CheckStatus::Failed | CheckStatus::Ignored);
    let fix = needs_fix.then(|| {
        let arg = finding.fix_arg.as_deref().or(p.arg.as_deref());
        let how = finding.fix.clone().unwrap_or_else(|| p.spec.fix_for(arg));
        CheckFix { how, auto: p.spec.autofix.clone() }
    });
    Outcome { name: p.name.clone(), severity, status, message: finding.message, why: p.spec.why.clone(), fix }
}

fn count(t: &mut CheckTotals, status: CheckStatus) {
    match status {
        CheckStatus::Passed => t.passed += 1,
        CheckStatus::Warning => t.warnings += 1,
        CheckStatus::Failed => t.failed += 1,
        CheckStatus::Ignored => t.ignored += 1,
        CheckStatus::Skipped => t.skipped += 1,
    }
}

/// The hint of a failed preflight: how to ignore exactly what failed.
pub fn ignore_hint(failed: &[String]) -> String {
    format!(
        "fix the problems listed above (`kubelift preflight --fix` repairs the safe ones), or, if you know what you are doing, make them non-fatal with --ignore-preflight-errors={}",
        failed.join(",")
    )
}

#[cfg(test)]
mod tests;
