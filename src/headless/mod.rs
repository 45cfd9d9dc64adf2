//! The headless renderer: the engine's events as text lines or NDJSON.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::engine::event::{CheckStatus, CheckTotals, Envelope, Event, FixStage, LogLevel, PhaseResult, RunStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub format: Format,
    /// 0: phases only; 1: plus each phase's log lines; 2: plus debug lines.
    pub verbosity: u8,
}

/// Draws events until the engine closes the stream.
pub async fn render(mut events: UnboundedReceiver<Envelope>, options: Options) {
    let mut text = TextRenderer::new(options.verbosity);
    while let Some(envelope) = events.recv().await {
        match options.format {
            Format::Json => print_json(&envelope),
            Format::Text => text.draw(&envelope.event),
        }
    }
    text.finish();
}

pub fn print_json(envelope: &Envelope) {
    let line = serde_json::to_string(envelope).expect("events serialize");
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Writes the text form; phase lines on stdout, warnings and failures on stderr.
pub struct TextRenderer {
    verbosity: u8,
    bar: Option<ProgressBar>,
    dry_run: bool,
}

impl TextRenderer {
    pub fn new(verbosity: u8) -> Self {
        TextRenderer { verbosity, bar: None, dry_run: false }
    }

    fn out(&self, line: String) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => println!("{line}"),
        }
    }

    fn err(&self, line: String) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    pub fn draw(&mut self, event: &Event) {
        if let Some(line) = self.line(event) {
            self.out(line);
        }
        match event {
            Event::RunStarted { phases, dry_run, .. } => {
                self.dry_run = *dry_run;
                if std::io::stderr().is_terminal() {
                    let bar = ProgressBar::new(phases.len() as u64);
                    bar.set_style(ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}").expect("valid template"));
                    self.bar = Some(bar);
                }
            }
            Event::PhaseStarted { phase, .. } => {
                if let Some(bar) = &self.bar {
                    bar.set_message(phase.clone());
                }
            }
            Event::PhaseFinished { .. } => {
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
            }
            Event::Warning { phase, message, hint } => {
                let place = if phase.is_empty() { String::new() } else { format!(" [{phase}]") };
                let hint = hint.as_ref().map(|h| format!("\n  hint: {h}")).unwrap_or_default();
                self.err(format!("warning{place}: {message}{hint}"));
            }
            Event::PhaseFailed { phase, error, hint, .. } => {
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
                self.err(format!("error [{phase}]: {error}\n  hint: {hint}"));
            }
            Event::DecisionNeeded { question, choices, config_key, .. } => {
                let how = if config_key.starts_with("--") { format!("pass {config_key}") } else { format!("answer it with {config_key} in the config file") };
                self.err(format!("decision needed: {question}\n  choices: {}\n  {how}", choices.join(", ")));
            }
            Event::ConfigInvalid { file, errors } => {
                self.err(format!("{file}: {} error{}", errors.len(), if errors.len() == 1 { "" } else { "s" }));
                for e in errors {
                    self.err(format!("  - {e}"));
                }
            }
            _ => {}
        }
    }

    /// The stdout line for an event, if it has one.
    pub fn line(&self, event: &Event) -> Option<String> {
        match event {
            Event::RunStarted { workflow, dry_run, phases } => {
                let mode = if *dry_run { " (dry run: nothing outside a temporary folder is written)" } else { "" };
                Some(format!("[{workflow}] {} phases{mode}", phases.len()))
            }
            Event::Plan { phase, changes } if self.dry_run || self.verbosity > 0 => {
                let lines: Vec<String> = changes.iter().map(|c| format!("\n    {}", c.describe())).collect();
                (!lines.is_empty()).then(|| format!("plan {phase}:{}", lines.concat()))
            }
            Event::Log { phase, level, message } => {
                let shown = match level {
                    LogLevel::Info => self.verbosity >= 1,
                    LogLevel::Debug => self.verbosity >= 2,
                };
                shown.then(|| format!("    [{phase}] {message}"))
            }
            Event::Progress { phase, done, total, message } if self.verbosity >= 1 => {
                Some(format!("    [{phase}] {done}/{total} {message}"))
            }
            Event::PhaseFinished { phase, result: PhaseResult::Done, duration_ms, .. } => {
                Some(format!("[done] {phase} ({})", ms(*duration_ms)))
            }
            Event::PhaseFinished { phase, result: PhaseResult::Skipped, reason, .. } => {
                Some(format!("[skip] {phase}: {}", reason.as_deref().unwrap_or("skipped")))
            }
            Event::PhaseFailed { phase, duration_ms, .. } => Some(format!("[FAIL] {phase} ({})", ms(*duration_ms))),
            Event::CheckResult { name, status, message, why, fix, .. } => Some(check_line(name, *status, message, why, fix.as_ref())),
            Event::Fix { fix, stage, changes, detail, .. } => Some(fix_lines(fix, *stage, changes, detail)),
            Event::PreflightFinished { workflow, totals, failed, .. } => Some(preflight_summary(workflow, totals, failed)),
            Event::RunFinished { status, duration_ms, dry_run_dir, next_steps } => {
                let mut s = format!("{} in {}", status_text(*status), ms(*duration_ms));
                if let Some(dir) = dry_run_dir {
                    s.push_str(&format!("\nthe dry run wrote its files under {dir}"));
                }
                for step in next_steps {
                    s.push_str(&format!("\n{step}"));
                }
                Some(s)
            }
            _ => None,
        }
    }

    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// One line per check; under problems, why it matters (failures) and the fix.
fn check_line(name: &str, status: CheckStatus, message: &str, why: &str, fix: Option<&crate::engine::event::CheckFix>) -> String {
    let tag = match status {
        CheckStatus::Passed => "[ok]  ",
        CheckStatus::Warning => "[warn]",
        CheckStatus::Failed => "[FAIL]",
        CheckStatus::Ignored => "[ign] ",
        CheckStatus::Skipped => "[skip]",
    };
    let mut s = format!("{tag} {name}: {message}");
    if status == CheckStatus::Ignored {
        s.push_str(" (ignored by --ignore-preflight-errors)");
    }
    if status == CheckStatus::Failed {
        s.push_str(&format!("\n       why: {why}"));
    }
    if let Some(fix) = fix {
        s.push_str(&format!("\n       fix: {}", fix.how));
        if let Some(auto) = &fix.auto {
            s.push_str(&format!(" (or: kubelift preflight --fix={auto})"));
        }
    }
    s
}

fn fix_lines(fix: &str, stage: FixStage, changes: &[crate::engine::Change], detail: &[String]) -> String {
    let head = match stage {
        FixStage::Planned if changes.is_empty() => format!("fix {fix}: nothing to change"),
        FixStage::Planned => format!("fix {fix} will change:"),
        FixStage::Applied => format!("fix {fix} applied:"),
        FixStage::Failed => format!("fix {fix} FAILED:"),
    };
    let mut s = head;
    if stage == FixStage::Planned {
        for c in changes {
            s.push_str(&format!("\n    {}", c.describe()));
        }
    }
    if !(stage == FixStage::Planned && changes.is_empty()) {
        for d in detail {
            s.push_str(&format!("\n      {d}"));
        }
    }
    s
}

fn preflight_summary(workflow: &str, t: &CheckTotals, failed: &[String]) -> String {
    let mut s = format!(
        "preflight ({workflow}): {} passed, {} warning{}, {} failed, {} ignored, {} not checked",
        t.passed,
        t.warnings,
        if t.warnings == 1 { "" } else { "s" },
        t.failed,
        t.ignored,
        t.skipped
    );
    if !failed.is_empty() {
        s.push_str(&format!("\nerror-level checks failed: {}\n  to go on anyway: --ignore-preflight-errors={}", failed.join(", "), failed.join(",")));
    }
    s
}

fn ms(duration_ms: u64) -> String {
    if duration_ms < 1000 {
        format!("{duration_ms} ms")
    } else {
        format!("{:.1} s", duration_ms as f64 / 1000.0)
    }
}

fn status_text(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Succeeded => "finished",
        RunStatus::AlreadyDone => "nothing to do: an earlier run finished with this configuration",
        RunStatus::Failed => "failed (run the same command again to resume at the failed phase)",
        RunStatus::NeedsDecision => "stopped: a decision is needed",
        RunStatus::NotAvailable => "stopped: a phase that is not built yet was reached",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_lines() {
        let r = TextRenderer::new(0);
        let done = Event::PhaseFinished { phase: "certs/ca".into(), result: PhaseResult::Done, duration_ms: 12, reason: None };
        assert_eq!(r.line(&done).unwrap(), "[done] certs/ca (12 ms)");
        let log = Event::Log { phase: "certs/ca".into(), level: LogLevel::Info, message: "wrote x".into() };
        assert_eq!(r.line(&log), None);
        assert!(TextRenderer::new(1).line(&log).is_some());
    }

    #[test]
    fn check_lines_carry_why_and_fix_under_failures() {
        use crate::engine::event::{CheckFix, Severity};
        let r = TextRenderer::new(0);
        let failed = Event::CheckResult {
            phase: "preflight".into(),
            name: "Swap".into(),
            severity: Severity::Error,
            status: CheckStatus::Failed,
            message: "swap is enabled".into(),
            why: "the kubelet refuses swap".into(),
            fix: Some(CheckFix { how: "run swapoff -a".into(), auto: Some("Swap".into()) }),
        };
        assert_eq!(
            r.line(&failed).unwrap(),
            "[FAIL] Swap: swap is enabled\n       why: the kubelet refuses swap\n       fix: run swapoff -a (or: kubelift preflight --fix=Swap)"
        );
        let passed = Event::CheckResult { phase: "preflight".into(), name: "Mem".into(), severity: Severity::Error, status: CheckStatus::Passed, message: "8 GB".into(), why: "w".into(), fix: None };
        assert_eq!(r.line(&passed).unwrap(), "[ok]   Mem: 8 GB");
    }
}
