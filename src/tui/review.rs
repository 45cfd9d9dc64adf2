//! Review: the answers, and everything the run will do (every phase's plan),
//! with "save as config file" for a headless replay.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;
use std::sync::Arc;

use super::choices::{Choices, Slot};
use super::keys::{self, Action};
use super::theme::Theme;
use crate::config::InitSettings;

/// One phase of the plan as the review lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedPhase {
    pub id: String,
    pub title: String,
    /// `Change::describe()` of each change.
    pub changes: Vec<String>,
    /// Why the phase will not run (--skip-phases), if so.
    pub skipped: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Review {
    /// Resolved once when the review opens: the plan, the saved file and the
    /// run all use these (a fresh resolve would draw a new random token).
    pub settings: Option<Arc<InitSettings>>,
    pub summary: Vec<(&'static str, String)>,
    pub plan: Option<Vec<PlannedPhase>>,
    pub scroll: u16,
    pub saved: Option<String>,
}

/// Lines a plan takes on screen: each phase, then each of its changes.
pub fn plan_lines(plan: &[PlannedPhase]) -> usize {
    plan.iter().map(|phase| 1 + phase.changes.len()).sum()
}

impl Review {
    pub fn open(&mut self, settings: InitSettings, choices: &Choices) {
        self.summary = summary(&settings, choices);
        self.settings = Some(Arc::new(settings));
        self.plan = None;
        self.scroll = 0;
    }

    pub fn scroll(&mut self, action: Action) {
        let lines = self.plan.as_deref().map_or(0, plan_lines);
        self.scroll = keys::scrolled(self.scroll, action, lines.saturating_sub(1));
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let wide = area.width >= 110;
        let [top, bottom] = if wide {
            Layout::horizontal([Constraint::Length(52), Constraint::Min(30)]).areas(area)
        } else {
            Layout::vertical([Constraint::Length(self.summary.len() as u16 + 2), Constraint::Min(3)]).areas(area)
        };
        self.render_summary(frame, top, theme);
        self.render_plan(frame, bottom, theme);
    }

    fn render_summary(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let mut lines: Vec<Line> = self
            .summary
            .iter()
            .map(|(k, v)| Line::from(vec![Span::styled(format!("{k:<20}"), theme.title()), Span::raw(v.clone())]))
            .collect();
        if let Some(saved) = &self.saved {
            lines.push(Line::raw(""));
            lines.push(Line::styled(saved.clone(), theme.ok()));
        }
        let block = Block::default().borders(Borders::ALL).title(" Your answers ");
        frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: true }), area);
    }

    fn render_plan(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let Some(plan) = &self.plan else {
            frame.render_widget(Paragraph::new("Working out the plan…").block(Block::default().borders(Borders::ALL).title(" Plan ")), area);
            return;
        };
        let changes: usize = plan.iter().map(|p| p.changes.len()).sum();
        let running = plan.iter().filter(|p| p.skipped.is_none()).count();
        let title = format!(" Plan: {running} phases, {changes} changes (↑/↓ scroll) ");
        let lines: Vec<Line> = plan.iter().flat_map(|p| phase_lines(p, theme)).collect();
        let block = Block::default().borders(Borders::ALL).title(title);
        frame.render_widget(Paragraph::new(lines).block(block).scroll((self.scroll, 0)), area);
    }
}

pub fn phase_lines<'a>(p: &'a PlannedPhase, theme: &Theme) -> Vec<Line<'a>> {
    let head = match &p.skipped {
        Some(why) => Line::from(vec![Span::styled(format!("- {} ", p.id), theme.dim()), Span::styled(format!("skipped: {why}"), theme.dim())]),
        None if p.changes.is_empty() => Line::from(vec![Span::styled(format!("• {} ", p.id), theme.title()), Span::styled(p.title.as_str(), theme.dim())]),
        None => Line::from(vec![Span::styled(format!("• {}", p.id), theme.title())]),
    };
    let mut lines = vec![head];
    lines.extend(p.changes.iter().map(|c| Line::raw(format!("    {c}"))));
    lines
}

fn summary(s: &InitSettings, choices: &Choices) -> Vec<(&'static str, String)> {
    let or_none = |v: &str| if v.is_empty() { "(none)".to_string() } else { v.to_string() };
    let token = s.init.bootstrap_tokens.first();
    vec![
        ("Node name", s.init.node_registration.name.clone()),
        ("Advertise address", format!("{}:{}", s.init.local_api_endpoint.advertise_address, s.bind_port())),
        ("Control-plane ep.", or_none(&s.cluster.control_plane_endpoint)),
        ("Kubernetes", s.cluster.kubernetes_version.clone()),
        ("Pod CIDR", or_none(&s.cluster.networking.pod_subnet)),
        ("Service CIDR", s.cluster.networking.service_subnet.clone()),
        ("Pod network", choices.get(Slot::Addon).to_string()),
        ("Key type", s.encryption_algorithm().to_string()),
        ("Extra SANs", or_none(&s.cluster.api_server.cert_sans.join(", "))),
        ("Token TTL", token.map(|t| t.ttl.clone()).unwrap_or_default()),
        ("CRI socket", or_none(&s.init.node_registration.cri_socket)),
    ]
}
