//! The one typed event stream every renderer draws from.
//!
//! The TUI and the headless mode are two consumers of these values; neither
//! gets information by any other path. The JSON form (`--output json`) is one
//! `Envelope` per line, schema `kubelift.events/v1` (docs/cli.md).

use serde::Serialize;

pub const EVENT_SCHEMA: &str = "kubelift.events/v1";

/// What a phase will change, listed before anything runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// A file written on the host (path as on the host, without --root).
    File { path: String, mode: String },
    /// A directory created when missing.
    Directory { path: String, mode: String },
    /// An API object created or updated (server-side apply).
    Object {
        api_version: String,
        kind: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        name: String,
    },
    /// An object patched in place (labels, taints, annotations).
    Patch { kind: String, name: String, what: String },
    /// A host command the phase runs (systemctl, modprobe, sysctl).
    Command { command: String },
}

impl Change {
    pub fn file(path: impl Into<String>, mode: u32) -> Change {
        Change::File { path: path.into(), mode: format!("{mode:04o}") }
    }

    pub fn dir(path: impl Into<String>, mode: u32) -> Change {
        Change::Directory { path: path.into(), mode: format!("{mode:04o}") }
    }

    pub fn object(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> Change {
        Change::Object {
            api_version: api_version.into(),
            kind: kind.into(),
            namespace: namespace.map(Into::into),
            name: name.into(),
        }
    }

    /// One line for people: `file /etc/kubernetes/pki/ca.crt (0644)`.
    pub fn describe(&self) -> String {
        match self {
            Change::File { path, mode } => format!("write {path} ({mode})"),
            Change::Directory { path, mode } => format!("create directory {path} ({mode})"),
            Change::Object { kind, namespace: Some(ns), name, .. } => format!("apply {kind} {ns}/{name}"),
            Change::Object { kind, namespace: None, name, .. } => format!("apply {kind} {name}"),
            Change::Patch { kind, name, what } => format!("patch {kind} {name}: {what}"),
            Change::Command { command } => format!("run {command}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Debug,
    Info,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhaseSummary {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseResult {
    Done,
    Skipped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Every phase ran or was skipped as asked.
    Succeeded,
    /// Nothing to do: an earlier run finished with the same configuration.
    AlreadyDone,
    Failed,
    /// Stopped on a question the run could not answer.
    NeedsDecision,
    /// A phase that is not built yet was reached.
    NotAvailable,
}

/// How much a failing preflight check matters (kubeadm's split).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Stops the run unless ignored with --ignore-preflight-errors.
    Error,
    /// Reported; never stops the run.
    Warning,
}

/// What became of one preflight check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Passed,
    /// A warning-level problem, or an error-level one in a dry run.
    Warning,
    /// An error-level problem: the run stops here.
    Failed,
    /// An error-level problem named in --ignore-preflight-errors.
    Ignored,
    /// Not checked, and the message says why (e.g. network probes are off).
    Skipped,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Passed => "passed",
            CheckStatus::Warning => "warning",
            CheckStatus::Failed => "failed",
            CheckStatus::Ignored => "ignored",
            CheckStatus::Skipped => "skipped",
        }
    }
}

impl std::fmt::Display for CheckStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to repair what a check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckFix {
    /// What to do, in one or two sentences, with the exact file or command.
    pub how: String,
    /// The name `kubelift preflight --fix=NAME` repairs it with, when kubelift can.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto: Option<String>,
}

/// Where a preflight fix is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FixStage {
    /// Shown before anything changes: the exact files and commands.
    Planned,
    Applied,
    Failed,
}

/// Totals of a preflight run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckTotals {
    pub passed: u32,
    pub warnings: u32,
    pub failed: u32,
    pub ignored: u32,
    pub skipped: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The configuration was refused before anything ran: every error, with its path.
    ConfigInvalid { file: String, errors: Vec<crate::config::FieldError> },
    RunStarted { workflow: String, dry_run: bool, phases: Vec<PhaseSummary> },
    Plan { phase: String, changes: Vec<Change> },
    PhaseStarted { phase: String, title: String },
    Progress { phase: String, done: u32, total: u32, message: String },
    Log { phase: String, level: LogLevel, message: String },
    Warning { phase: String, message: String, #[serde(skip_serializing_if = "Option::is_none")] hint: Option<String> },
    PhaseFinished {
        phase: String,
        result: PhaseResult,
        duration_ms: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    PhaseFailed { phase: String, duration_ms: u64, error: String, hint: String },
    DecisionNeeded { phase: String, question: String, choices: Vec<String>, config_key: String },
    /// One preflight check's verdict, streamed as each check finishes.
    CheckResult {
        phase: String,
        /// kubeadm's name where kubeadm has the check (`Port-6443`), usable in --ignore-preflight-errors.
        name: String,
        severity: Severity,
        status: CheckStatus,
        /// What was found, in one line.
        message: String,
        /// Why it matters.
        why: String,
        /// Present unless the check passed or was skipped.
        #[serde(skip_serializing_if = "Option::is_none")]
        fix: Option<CheckFix>,
    },
    /// A preflight fix: first its plan (exact changes, file diffs), then its result.
    Fix {
        phase: String,
        fix: String,
        stage: FixStage,
        changes: Vec<Change>,
        /// The plan's detail (diff lines) or the result's message.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        detail: Vec<String>,
    },
    /// The end of a preflight run: totals, and the names that failed.
    PreflightFinished {
        phase: String,
        workflow: String,
        totals: CheckTotals,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        failed: Vec<String>,
    },
    RunFinished {
        status: RunStatus,
        duration_ms: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        dry_run_dir: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        next_steps: Vec<String>,
    },
}

impl Event {
    pub fn phase(&self) -> Option<&str> {
        match self {
            Event::Plan { phase, .. }
            | Event::PhaseStarted { phase, .. }
            | Event::Progress { phase, .. }
            | Event::Log { phase, .. }
            | Event::Warning { phase, .. }
            | Event::PhaseFinished { phase, .. }
            | Event::PhaseFailed { phase, .. }
            | Event::DecisionNeeded { phase, .. }
            | Event::CheckResult { phase, .. }
            | Event::Fix { phase, .. }
            | Event::PreflightFinished { phase, .. } => Some(phase),
            Event::ConfigInvalid { .. } | Event::RunStarted { .. } | Event::RunFinished { .. } => None,
        }
    }
}

/// An event as it leaves the engine: numbered and timed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Envelope {
    pub schema: &'static str,
    pub seq: u64,
    /// RFC 3339 with milliseconds, UTC.
    pub time: String,
    #[serde(flatten)]
    pub event: Event,
}
