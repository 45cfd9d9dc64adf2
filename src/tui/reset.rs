//! Reset from the TUI: the engine's plan for this node (under --root), a
//! confirmation that must be typed (`reset`, not just Enter), the run on the
//! shared Progress screen, and the result (`reset_done`).
//!
//! Typing `reset` answers the reset preflight's own question, so it is not
//! asked twice; any other question of the engine (the cluster's last etcd
//! member) still comes as the Decision dialog.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;
use std::sync::Arc;
use std::time::Duration;

use super::app::{App, Cmd, Modal, Screen};
use super::keys::{self, Action};
use super::progress::{Flow, Progress};
use super::review::{self, plan_lines, PlannedPhase};
use super::theme::Theme;
use crate::cli::reset_cmd::Prepared;
use crate::engine::{runner, Context, Event, EventSink, NoDecisions, Settings};
use crate::phases::reset::CONFIRM;

/// The reset plan as the screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetPlanView {
    pub phases: Vec<PlannedPhase>,
    pub from_journal: bool,
    /// This node's etcd member, removed from the cluster first.
    pub etcd_member: Option<String>,
    /// What is left in place, and why.
    pub notes: Vec<String>,
}

/// Each reset phase's changes, as the runner will make them (skips included).
pub fn plan_view(prepared: &Prepared, skip: &[String]) -> ResetPlanView {
    let (sink, _rx) = EventSink::channel();
    let ctx = Context::new(Settings::Reset(prepared.settings.clone()), prepared.gate.clone(), sink, Arc::new(NoDecisions));
    let phases = crate::phases::reset::phases()
        .iter()
        .map(|p| {
            let skipped = skip.iter().find(|s| runner::selects(s, p.id())).map(|s| format!("--skip-phases={s}"));
            let changes = if skipped.is_some() { vec![] } else { p.plan(&ctx).iter().map(|c| c.describe()).collect() };
            PlannedPhase { id: p.id().into(), title: p.title().into(), changes, skipped }
        })
        .collect();
    let plan = &prepared.settings.plan;
    ResetPlanView { phases, from_journal: plan.from_journal, etcd_member: plan.etcd.as_ref().map(|e| e.name.clone()), notes: plan.notes.clone() }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reset {
    /// `None` while the plan is worked out; an error says why there is none.
    pub plan: Option<Result<ResetPlanView, String>>,
    pub scroll: u16,
    pub progress: Progress,
    pub done_scroll: u16,
}

/// Opens the reset screen and asks for a fresh plan.
pub fn open(app: &mut App) -> Vec<Cmd> {
    app.reset.plan = None;
    app.reset.scroll = 0;
    app.screen = Screen::Reset;
    vec![Cmd::PlanReset]
}

pub fn on_planned(app: &mut App, result: Result<ResetPlanView, String>) {
    app.reset.plan = Some(result);
}

/// Keys on the plan: read it, then ask for the typed confirmation.
pub fn plan_action(app: &mut App, action: Action) -> Vec<Cmd> {
    match action {
        Action::Up | Action::Down | Action::PageUp | Action::PageDown => app.reset.scroll_by(action),
        Action::Enter => match &app.reset.plan {
            None => app.status = Some("the plan is still being worked out".into()),
            Some(Err(e)) => app.status = Some(format!("no reset without a plan: {e}")),
            Some(Ok(_)) => app.modal = Some(Modal::ConfirmReset { typed: String::new(), error: None }),
        },
        Action::Back => app.screen = Screen::Welcome,
        _ => {}
    }
    vec![]
}

impl Reset {
    fn scroll_by(&mut self, action: Action) {
        let lines = match &self.plan {
            Some(Ok(p)) => plan_lines(&p.phases),
            _ => 0,
        };
        self.scroll = keys::scrolled(self.scroll, action, lines.saturating_sub(1));
    }
}

/// Enter in the confirmation: only the word itself starts the reset.
pub fn confirm(app: &mut App, typed: String) -> Vec<Cmd> {
    if typed.trim() != CONFIRM {
        let error = if typed.trim().is_empty() { format!("type {CONFIRM} to reset this machine, or press Esc to keep everything") } else { format!("\"{}\" is not {CONFIRM}: type {CONFIRM} to go on, or press Esc to keep everything", typed.trim()) };
        app.modal = Some(Modal::ConfirmReset { typed, error: Some(error) });
        return vec![];
    }
    app.reset.progress = Progress::new(Flow::Reset);
    app.reset.progress.start();
    app.reset.done_scroll = 0;
    app.screen = Screen::ResetProgress;
    vec![Cmd::StartReset]
}

/// Esc in the confirmation.
pub fn cancel(app: &mut App) {
    app.status = Some("reset cancelled: nothing was changed".into());
}

/// Keys while (or after) the reset runs.
pub fn progress_action(app: &mut App, action: Action) -> Vec<Cmd> {
    match action {
        // What is left has changed: plan again, and confirm again.
        Action::Retry => return open(app),
        Action::Enter => app.screen = Screen::ResetDone,
        Action::Back => app.screen = Screen::Reset,
        other => app.reset.progress.scroll(other),
    }
    vec![]
}

pub fn on_engine(app: &mut App, event: Event, at: Duration) {
    let finished = matches!(event, Event::RunFinished { .. });
    app.reset.progress.on_event(event, at);
    if finished && app.reset.progress.succeeded() {
        app.screen = Screen::ResetDone;
    }
}

pub fn done_action(app: &mut App, action: Action) -> Vec<Cmd> {
    match action {
        Action::Up | Action::Down | Action::PageUp | Action::PageDown => app.reset.done_scroll = keys::scrolled(app.reset.done_scroll, action, usize::MAX),
        Action::Back => app.screen = Screen::ResetProgress,
        _ => {}
    }
    vec![]
}

impl Reset {
    pub fn render_plan(&self, frame: &mut Frame, area: Rect, theme: &Theme, root: &str) {
        let plan = match &self.plan {
            None => return frame.render_widget(Paragraph::new("Working out what reset would remove…").block(plan_block(" Plan ")), area),
            Some(Err(e)) => {
                let lines = vec![Line::styled(format!("✗ {e}"), theme.err()), Line::raw("Nothing was changed. Esc goes back.")];
                return frame.render_widget(Paragraph::new(lines).block(plan_block(" No plan ")).wrap(Wrap { trim: false }), area);
            }
            Some(Ok(plan)) => plan,
        };
        let summary = summary_lines(plan, theme, root);
        let inner = area.width.saturating_sub(2).max(1) as usize;
        let rows: usize = summary.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
        let [top, bottom] = Layout::vertical([Constraint::Length((rows as u16).min(area.height / 2)), Constraint::Min(3)]).areas(area);
        frame.render_widget(Paragraph::new(summary).wrap(Wrap { trim: false }), top);
        let changes: usize = plan.phases.iter().map(|p| p.changes.len()).sum();
        let lines: Vec<Line> = plan.phases.iter().flat_map(|p| review::phase_lines(p, theme)).collect();
        let title = format!(" Plan: {changes} changes (↑/↓ scroll) ");
        frame.render_widget(Paragraph::new(lines).block(plan_block(&title)).scroll((self.scroll, 0)), bottom);
    }
}

fn plan_block(title: &str) -> Block<'_> {
    Block::default().borders(Borders::ALL).title(title)
}

fn summary_lines(plan: &ResetPlanView, t: &Theme, root: &str) -> Vec<Line<'static>> {
    let place = if root == "/" { "this machine".to_string() } else { format!("the folder {root} (--root)") };
    let mut lines = vec![Line::raw(format!("Reset undoes what init or join set up on {place}. Nothing changes until you confirm."))];
    lines.push(Line::raw(if plan.from_journal {
        "Source: kubelift's journal. Only what kubelift wrote is removed or put back; files changed since are left.".to_string()
    } else {
        "Source: no kubelift journal here, so kubeadm's standard paths are removed, as `kubeadm reset` does.".to_string()
    }));
    lines.push(match &plan.etcd_member {
        Some(name) => Line::styled(format!("etcd: this node's member {name} is removed from the cluster's etcd first (never the only member)."), t.warn()),
        None => Line::raw("etcd: no local etcd member (no etcd static Pod manifest)."),
    });
    lines.extend(plan.notes.iter().map(|n| Line::styled(format!("! {n}"), t.warn())));
    lines
}

/// The confirmation dialog's text: the consequences, then what to type.
pub fn confirm_lines(app: &App, typed: &str, error: &Option<String>, t: &Theme) -> Vec<Line<'static>> {
    let etcd = match &app.reset.plan {
        Some(Ok(ResetPlanView { etcd_member: Some(name), .. })) => format!(" Its etcd member {name} leaves the cluster's etcd."),
        _ => String::new(),
    };
    let mut lines = vec![
        Line::styled("This cannot be undone.", t.err()),
        Line::raw(format!("This node leaves the cluster: its certificates, kubeconfigs and static Pods are removed, and its workloads stop.{etcd}")),
        Line::raw(format!("Type {CONFIRM} and press Enter to go on; Esc keeps everything as it is.")),
        Line::styled(format!("> {typed}▏"), t.selected()),
    ];
    if app.session.dry_run {
        lines.insert(0, Line::styled("Dry run: nothing will change, but the run shows every step.", t.warn()));
    }
    if let Some(e) = error {
        lines.push(Line::styled(format!("✗ {e}"), t.err()));
    }
    lines
}
