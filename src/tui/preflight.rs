//! Preflight: the checks as they finish, a detail pane (why it matters, the
//! fix), Fix (shows the change, asks, applies, re-checks), Ignore (with an
//! explicit warning) and re-run.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;
use std::collections::BTreeSet;

use super::theme::Theme;
use crate::engine::event::CheckStatus;
use crate::engine::{Event, RunStatus};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub severity: String,
    pub status: String,
    pub message: String,
    pub why: String,
    pub fix: Option<String>,
    /// The fix kubelift can apply itself (`--fix=NAME`), when there is one.
    pub auto: Option<String>,
}

/// Something the preflight phase said besides its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub failed: bool,
    pub text: String,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preflight {
    pub checks: Vec<Check>,
    pub selected: usize,
    pub running: bool,
    pub notes: Vec<Note>,
    pub outcome: Option<RunStatus>,
    /// Checks the user chose to go on without; passed to the run as --ignore-preflight-errors.
    pub ignored: BTreeSet<String>,
}

impl Preflight {
    /// A new pass: the list empties and fills again as checks finish.
    pub fn start(&mut self) {
        self.checks.clear();
        self.notes.clear();
        self.outcome = None;
        self.running = true;
    }

    pub fn on_event(&mut self, event: Event) {
        match event {
            Event::CheckResult { name, severity, status, message, why, fix, .. } => {
                let status = if self.ignored.contains(&name) && status == CheckStatus::Failed { CheckStatus::Ignored } else { status };
                let auto = fix.as_ref().and_then(|f| f.auto.clone());
                let fix = fix.map(|f| match f.auto {
                    Some(auto) => format!("{} (kubelift can do it: Fix, or `kubelift preflight --fix={auto}`)", f.how),
                    None => f.how,
                });
                self.checks.push(Check { name, severity: severity.as_str().into(), status: status.as_str().into(), message, why, fix, auto });
            }
            Event::Warning { message, hint, .. } => self.notes.push(Note { failed: false, text: message, hint }),
            Event::PhaseFailed { error, hint, .. } => self.notes.push(Note { failed: true, text: error, hint: Some(hint) }),
            Event::RunFinished { status, .. } => {
                self.running = false;
                self.outcome = Some(status);
            }
            _ => {}
        }
    }

    pub fn selected_check(&self) -> Option<&Check> {
        self.checks.get(self.selected)
    }

    pub fn move_selection(&mut self, down: bool) {
        let n = self.checks.len();
        if n > 0 {
            self.selected = if down { (self.selected + 1).min(n - 1) } else { self.selected.saturating_sub(1) };
        }
    }

    /// Checks that stop the install: failed, error severity, not ignored.
    pub fn blocking(&self) -> Vec<&Check> {
        self.checks.iter().filter(|c| c.status == "failed" && c.severity == "error").collect()
    }

    pub fn ignore(&mut self, name: &str) {
        self.ignored.insert(name.to_string());
        for c in self.checks.iter_mut().filter(|c| c.name == name && c.status == "failed") {
            c.status = "ignored".into();
        }
    }

    pub fn can_fix(&self) -> bool {
        self.selected_check().is_some_and(|c| c.auto.is_some() && c.status != "passed")
    }

    pub fn can_ignore(&self) -> bool {
        self.selected_check().is_some_and(|c| c.status == "failed" || c.status == "warning")
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let notes_height = (self.notes.len() as u16 * 2).min(area.height / 3);
        let [summary, body, notes] = Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(notes_height)]).areas(area);
        frame.render_widget(Paragraph::new(self.summary_line(theme)), summary);
        let list_width = if area.width >= 100 { 44 } else { 34 };
        let [list_area, detail_area] = Layout::horizontal([Constraint::Length(list_width), Constraint::Min(20)]).areas(body);
        self.render_list(frame, list_area, theme);
        self.render_detail(frame, detail_area, theme);
        let note_lines: Vec<Line> = self.notes.iter().flat_map(|n| note_lines(n, theme)).collect();
        frame.render_widget(Paragraph::new(note_lines).wrap(Wrap { trim: false }), notes);
    }

    fn summary_line(&self, theme: &Theme) -> Line<'static> {
        let count = |s: &str| self.checks.iter().filter(|c| c.status == s).count();
        if self.running {
            return Line::styled(format!("Checking this machine… {} checks done", self.checks.len()), theme.accent());
        }
        if self.checks.is_empty() {
            return Line::styled("No check reported a result: read the notes below before going on.", theme.warn());
        }
        let blocking = self.blocking().len();
        let verdict = if blocking > 0 {
            Span::styled(format!("{blocking} must be fixed or ignored before installing"), theme.err())
        } else {
            Span::styled("ready to go on".to_string(), theme.ok())
        };
        Line::from(vec![
            Span::raw(format!("{} passed, {} warnings, {} failed, {} ignored — ", count("passed"), count("warning"), count("failed"), count("ignored"))),
            verdict,
        ])
    }

    fn render_list(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let items: Vec<ListItem> = self
            .checks
            .iter()
            .map(|c| ListItem::new(Line::from(vec![status_span(&c.status, theme), Span::raw(" "), Span::raw(c.name.clone())])))
            .collect();
        let empty = self.checks.is_empty() && !self.running;
        let block = Block::default().borders(Borders::ALL).title(" Checks ");
        if empty {
            let text = "No check reported a result.";
            frame.render_widget(Paragraph::new(text).block(block).wrap(Wrap { trim: true }), area);
            return;
        }
        let mut state = ListState::default().with_selected(Some(self.selected));
        frame.render_stateful_widget(List::new(items).block(block).highlight_style(theme.selected()), area, &mut state);
    }

    fn render_detail(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let block = Block::default().borders(Borders::ALL).title(" Detail ");
        let lines = match self.selected_check() {
            None => vec![Line::raw("Select a check to see why it matters and how to fix it.")],
            Some(c) => detail_lines(c, &self.ignored, theme),
        };
        frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: true }), area);
    }
}

fn detail_lines(c: &Check, ignored: &BTreeSet<String>, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::from(vec![Span::styled(c.name.clone(), theme.title()), Span::raw("  "), status_span(&c.status, theme), Span::raw(format!(" {} ({})", c.status, c.severity))]),
        Line::raw(c.message.clone()),
        Line::raw(""),
        Line::styled("Why it matters", theme.title()),
        Line::raw(c.why.clone()),
    ];
    if let Some(fix) = &c.fix {
        lines.extend([Line::raw(""), Line::styled("Fix", theme.title()), Line::raw(fix.clone())]);
    }
    if ignored.contains(&c.name) {
        lines.extend([Line::raw(""), Line::styled("Ignored: the install goes on as if this check passed; it may fail later for this reason.", theme.warn())]);
    }
    lines
}

fn note_lines(n: &Note, theme: &Theme) -> Vec<Line<'static>> {
    let (mark, style) = if n.failed { ("✗", theme.err()) } else { ("!", theme.warn()) };
    let mut lines = vec![Line::styled(format!("{mark} {}", n.text), style)];
    if let Some(h) = &n.hint {
        lines.push(Line::styled(format!("  hint: {h}"), theme.dim()));
    }
    lines
}

pub fn status_span(status: &str, theme: &Theme) -> Span<'static> {
    match status {
        "passed" => Span::styled("✓", theme.ok()),
        "warning" => Span::styled("!", theme.warn()),
        "failed" => Span::styled("✗", theme.err()),
        "ignored" => Span::styled("~", theme.dim()),
        _ => Span::styled("-", theme.dim()),
    }
}
