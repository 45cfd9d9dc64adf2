//! Progress: the phases with their state and time, an overall gauge, the
//! live log, and on failure the diagnosis with retry (which resumes at the
//! failed phase through the journal).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, List, ListItem, Paragraph, Wrap};
use ratatui::Frame;
use std::collections::VecDeque;
use std::time::Duration;

use super::keys::{self, Action};
use super::theme::Theme;
use crate::engine::event::PhaseResult;
use crate::engine::{Event, RunStatus};

/// The log pane keeps this many lines; the log file has everything.
const LOG_LINES: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhaseState {
    Pending,
    Running { since: Duration },
    Done { ms: u64 },
    Skipped { reason: String },
    Failed { ms: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseRow {
    pub id: String,
    pub title: String,
    pub state: PhaseState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub phase: String,
    pub error: String,
    pub hint: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    pub status: RunStatus,
    pub duration_ms: u64,
    pub dry_run_dir: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogKind {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub kind: LogKind,
    pub text: String,
}

/// Which workflow a Progress shows: the words around the phases differ.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Flow {
    #[default]
    Init,
    Join,
    Reset,
}

impl Flow {
    /// Where Esc goes from a stopped run.
    fn back_to(self) -> &'static str {
        match self {
            Flow::Init => "the review",
            Flow::Join => "the join form (to change the answers)",
            Flow::Reset => "the plan",
        }
    }

    fn after_success(self) -> &'static str {
        match self {
            Flow::Init => "Enter shows how to use the cluster.",
            Flow::Join | Flow::Reset => "Enter shows what to do next.",
        }
    }

    fn retry(self, phase: &str) -> String {
        match self {
            Flow::Init => format!("r retries: finished phases are kept, the run resumes at {phase}."),
            Flow::Join => format!("r retries with the same answers (finished phases are kept, the run resumes at {phase}); Esc goes back to {}.", self.back_to()),
            // What is left has changed: a new plan, and a new confirmation.
            Flow::Reset => "r works out the plan again from what is left (and asks again before it runs); Esc goes back to the old plan.".into(),
        }
    }
}

/// Replaces each secret (a token, a certificate key) in a line shown on screen.
pub fn redact(text: &str, secrets: &[String]) -> String {
    secrets.iter().filter(|s| s.len() >= 6).fold(text.to_string(), |t, s| t.replace(s.as_str(), "<redacted>"))
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub flow: Flow,
    /// Never shown: lines that contain one show `<redacted>` instead.
    pub secrets: Vec<String>,
    pub phases: Vec<PhaseRow>,
    pub log: VecDeque<LogLine>,
    /// Lines scrolled back from the newest (0 follows the tail).
    pub log_back: usize,
    pub running: bool,
    pub dry_run: bool,
    pub attempts: u32,
    pub failure: Option<Failure>,
    pub finished: Option<Finished>,
    /// When bootstrap-token finished: the token's lifetime counts from there.
    pub token_created: Option<Duration>,
}

impl Progress {
    pub fn new(flow: Flow) -> Progress {
        Progress { flow, ..Progress::default() }
    }

    pub fn start(&mut self) {
        self.running = true;
        self.attempts += 1;
        self.failure = None;
        self.finished = None;
        self.log_back = 0;
    }

    pub fn on_event(&mut self, event: Event, at: Duration) {
        match event {
            Event::RunStarted { phases, dry_run, .. } => {
                self.dry_run = dry_run;
                self.phases = phases.into_iter().map(|p| PhaseRow { id: p.id, title: p.title, state: PhaseState::Pending }).collect();
            }
            Event::PhaseStarted { phase, .. } => self.set(&phase, PhaseState::Running { since: at }),
            Event::PhaseFinished { phase, result: PhaseResult::Done, duration_ms, .. } => {
                if phase == "bootstrap-token" {
                    self.token_created = Some(at);
                }
                self.set(&phase, PhaseState::Done { ms: duration_ms });
            }
            Event::PhaseFinished { phase, reason, .. } => self.set(&phase, PhaseState::Skipped { reason: reason.unwrap_or_default() }),
            Event::PhaseFailed { phase, duration_ms, error, hint } => {
                self.set(&phase, PhaseState::Failed { ms: duration_ms });
                self.push(LogKind::Error, format!("[{phase}] {error}"));
                let (error, hint) = (redact(&error, &self.secrets), redact(&hint, &self.secrets));
                self.failure = Some(Failure { phase, error, hint });
            }
            Event::Log { phase, message, .. } => self.push(LogKind::Info, format!("[{phase}] {message}")),
            Event::Progress { phase, done, total, message } => self.push(LogKind::Info, format!("[{phase}] {done}/{total} {message}")),
            Event::Warning { phase, message, hint } => {
                let place = if phase.is_empty() { String::new() } else { format!("[{phase}] ") };
                let hint = hint.map(|h| format!(" (hint: {h})")).unwrap_or_default();
                self.push(LogKind::Warning, format!("{place}{message}{hint}"));
            }
            Event::DecisionNeeded { phase, question, .. } => self.push(LogKind::Warning, format!("[{phase}] asks: {question}")),
            Event::CheckResult { name, status, message, .. } => self.push(LogKind::Info, format!("[preflight] {status} {name}: {message}")),
            Event::RunFinished { status, duration_ms, dry_run_dir, .. } => {
                self.running = false;
                self.finished = Some(Finished { status, duration_ms, dry_run_dir });
            }
            Event::Fix { fix, stage, detail, .. } => self.push(LogKind::Info, format!("[preflight] fix {fix} {stage:?}: {}", detail.join("; "))),
            Event::PreflightFinished { totals, failed, .. } => self.push(LogKind::Info, format!("[preflight] {totals:?}; failed: {}", if failed.is_empty() { "none".into() } else { failed.join(", ") })),
            Event::Plan { .. } | Event::ConfigInvalid { .. } => {}
        }
    }

    fn set(&mut self, phase: &str, state: PhaseState) {
        if let Some(row) = self.phases.iter_mut().find(|r| r.id == phase) {
            row.state = state;
        }
    }

    fn push(&mut self, kind: LogKind, text: String) {
        if self.log.len() == LOG_LINES {
            self.log.pop_front();
        }
        self.log.push_back(LogLine { kind, text: redact(&text, &self.secrets) });
    }

    pub fn succeeded(&self) -> bool {
        self.finished.as_ref().is_some_and(|f| matches!(f.status, RunStatus::Succeeded | RunStatus::AlreadyDone))
    }

    pub fn can_retry(&self) -> bool {
        !self.running && self.finished.is_some() && !self.succeeded()
    }

    /// The arrow and page keys scroll the log pane back and forth.
    pub fn scroll(&mut self, action: Action) {
        // The log counts back from its newest line: up goes further back.
        if let Some(step) = keys::scroll_step(action) {
            self.scroll_log(-i64::from(step));
        }
    }

    pub fn scroll_log(&mut self, back: i64) {
        let max = self.log.len().saturating_sub(1) as i64;
        self.log_back = (self.log_back as i64 + back).clamp(0, max) as usize;
    }

    /// Finished and skipped phases over all phases.
    pub fn ratio(&self) -> f64 {
        let total = self.phases.len().max(1);
        let finished = self.phases.iter().filter(|r| matches!(r.state, PhaseState::Done { .. } | PhaseState::Skipped { .. } | PhaseState::Failed { .. })).count();
        finished as f64 / total as f64
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme, now: Duration) {
        let diagnosis = self.diagnosis_lines(theme);
        let inner = area.width.saturating_sub(2).max(1) as usize;
        let rows: usize = diagnosis.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
        let diag_height = if diagnosis.is_empty() { 0 } else { (rows as u16 + 2).min(area.height / 2) };
        let [gauge_area, body, diag_area] = Layout::vertical([Constraint::Length(1), Constraint::Min(5), Constraint::Length(diag_height)]).areas(area);
        frame.render_widget(self.gauge(theme), gauge_area);
        let list_width = if area.width >= 100 { 46 } else { 36 };
        let [phases_area, log_area] = Layout::horizontal([Constraint::Length(list_width), Constraint::Min(20)]).areas(body);
        self.render_phases(frame, phases_area, theme, now);
        self.render_log(frame, log_area, theme);
        if !diagnosis.is_empty() {
            let title = if self.succeeded() { " Finished " } else { " What went wrong " };
            let block = Block::default().borders(Borders::ALL).title(title);
            frame.render_widget(Paragraph::new(diagnosis).block(block).wrap(Wrap { trim: true }), diag_area);
        }
    }

    fn gauge(&self, theme: &Theme) -> Gauge<'static> {
        let done = (self.ratio() * self.phases.len() as f64).round() as usize;
        let label = format!("{done}/{} phases{}", self.phases.len(), if self.dry_run { " (dry run)" } else { "" });
        let style = if self.failure.is_some() { theme.err() } else { theme.ok() };
        Gauge::default().ratio(self.ratio()).label(label).gauge_style(style)
    }

    fn render_phases(&self, frame: &mut Frame, area: Rect, theme: &Theme, now: Duration) {
        let visible = area.height.saturating_sub(2) as usize;
        // Keep the running (or failed) phase in view on short terminals.
        let focus = self.phases.iter().position(|r| matches!(r.state, PhaseState::Running { .. } | PhaseState::Failed { .. } | PhaseState::Pending)).unwrap_or(self.phases.len());
        let skip = focus.saturating_sub(visible.saturating_sub(3));
        let width = area.width.saturating_sub(2) as usize;
        let items: Vec<ListItem> = self.phases.iter().skip(skip).map(|r| ListItem::new(phase_line(r, theme, now, width))).collect();
        let block = Block::default().borders(Borders::ALL).title(" Phases ");
        frame.render_widget(List::new(items).block(block), area);
    }

    fn render_log(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let visible = area.height.saturating_sub(2) as usize;
        let end = self.log.len().saturating_sub(self.log_back);
        let start = end.saturating_sub(visible);
        let lines: Vec<Line> = self.log.range(start..end).map(|l| log_line(l, theme)).collect();
        let title = if self.log_back > 0 { format!(" Log ({} lines back) ", self.log_back) } else { " Log ".to_string() };
        let block = Block::default().borders(Borders::ALL).title(title);
        frame.render_widget(Paragraph::new(lines).block(block), area);
    }

    fn diagnosis_lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let Some(finished) = &self.finished else { return vec![] };
        match (&self.failure, finished.status) {
            (Some(f), RunStatus::NotAvailable) => vec![
                Line::styled(format!("✗ {} is not available yet in this version of kubelift.", f.phase), theme.err()),
                Line::raw(f.error.clone()),
                Line::styled(format!("hint: {}", f.hint), theme.dim()),
                Line::raw(format!("Nothing after this phase ran. r runs again (it resumes here); Esc goes back to {}.", self.flow.back_to())),
            ],
            (Some(f), _) => vec![
                Line::styled(format!("✗ {} failed: {}", f.phase, f.error), theme.err()),
                Line::styled(format!("hint: {}", f.hint), theme.accent()),
                Line::raw(self.flow.retry(&f.phase)),
            ],
            (None, RunStatus::Succeeded | RunStatus::AlreadyDone) => vec![Line::styled(format!("✓ every phase finished in {}. {}", ms(finished.duration_ms), self.flow.after_success()), theme.ok())],
            (None, status) => vec![Line::styled(format!("stopped: {status:?}"), theme.err())],
        }
    }
}

fn phase_line(r: &PhaseRow, theme: &Theme, now: Duration, width: usize) -> Line<'static> {
    let (mark, style, time) = match &r.state {
        PhaseState::Pending => ("·", theme.dim(), String::new()),
        PhaseState::Running { since } => ("▸", theme.accent(), secs(now.saturating_sub(*since))),
        PhaseState::Done { ms: t } => ("✓", theme.ok(), ms(*t)),
        PhaseState::Skipped { .. } => ("-", theme.dim(), "skipped".into()),
        PhaseState::Failed { ms: t } => ("✗", theme.err(), ms(*t)),
    };
    let name_width = width.saturating_sub(time.chars().count() + 3);
    let name: String = r.id.chars().take(name_width).collect();
    Line::from(vec![Span::styled(format!("{mark} "), style), Span::raw(format!("{name:<name_width$}")), Span::styled(format!(" {time}"), theme.dim())])
}

fn log_line(l: &LogLine, theme: &Theme) -> Line<'static> {
    match l.kind {
        LogKind::Info => Line::raw(l.text.clone()),
        LogKind::Warning => Line::styled(format!("! {}", l.text), theme.warn()),
        LogKind::Error => Line::styled(format!("✗ {}", l.text), theme.err()),
    }
}

pub fn ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

fn secs(d: Duration) -> String {
    format!("{} s", d.as_secs())
}
