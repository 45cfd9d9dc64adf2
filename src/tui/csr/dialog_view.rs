//! Draws the approve and deny dialogs over the CSR screen: every request
//! they will write, each with its verdict, and what the force key changes.

use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::dialog::{Dialog, Target};
use super::view::{fit, level_style, mark};
use super::CsrScreen;
use crate::csr::Level;
use crate::tui::keys;
use crate::tui::theme::Theme;
use crate::tui::view::centered;

impl CsrScreen {
    pub(super) fn render_dialog(&self, frame: &mut Frame, dialog: &Dialog, t: &Theme) {
        let screen = frame.area();
        let width = screen.width.saturating_sub(4).min(96);
        let fit_to = Fit { rows: screen.height.saturating_sub(10) as usize, width: width.saturating_sub(2) as usize };
        let (title, lines) = match dialog {
            Dialog::Approve { targets, force, .. } => (format!(" Approve {}? ", count(targets.len())), approve_lines(targets, *force, fit_to, t)),
            Dialog::Deny { targets, reason, .. } => (format!(" Deny {}? ", count(targets.len())), deny_lines(targets, reason, fit_to, t)),
        };
        let mut lines = lines;
        if self.dry_run {
            lines.push(Line::styled("Dry run: the API server checks the write without storing it.", t.dim()));
        }
        if let Some(e) = dialog.error() {
            lines.push(Line::styled(format!("✗ {e}"), t.err()));
        }
        let inner = width.saturating_sub(2).max(1) as usize;
        let height: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
        let area = centered(screen, width, height as u16 + 2);
        frame.render_widget(Clear, area);
        let hints: Vec<String> = keys::footer(self.context(), |a| self.enabled(a)).into_iter().map(|(k, l)| format!("{k} {l}")).collect();
        let block = Block::default().borders(Borders::ALL).title(title).title_bottom(Line::from(format!(" {} ", hints.join("  "))));
        frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), area);
    }
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 certificate request".into()
    } else {
        format!("{n} certificate requests")
    }
}

/// The room a dialog has for its list of requests.
#[derive(Clone, Copy)]
struct Fit {
    rows: usize,
    width: usize,
}

/// One line per target (cut to the width), up to `room` rows, then how many more.
fn target_lines(targets: &[Target], room: Fit, t: &Theme, with_verdict: bool) -> Vec<Line<'static>> {
    let shown = if targets.len() > room.rows { room.rows.saturating_sub(1).max(1) } else { targets.len() };
    let mut lines: Vec<Line> = targets
        .iter()
        .take(shown)
        .map(|x| {
            let text = if with_verdict { format!("  {} {}  {}  {}", mark(x.level), x.name, x.requestor, x.summary) } else { format!("  {}  {}", x.name, x.requestor) };
            Line::styled(fit(&text, room.width), if with_verdict { level_style(x.level, t) } else { Style::new() })
        })
        .collect();
    if targets.len() > shown {
        let rest = &targets[shown..];
        let n = |l: Level| rest.iter().filter(|x| x.level == l).count();
        lines.push(Line::raw(format!("  … and {} more ({} pass, {} warn, {} fail)", rest.len(), n(Level::Pass), n(Level::Warn), n(Level::Fail))));
    }
    lines
}

fn approve_lines(targets: &[Target], force: bool, room: Fit, t: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::raw("kubelift writes an Approved condition on each; kube-controller-manager then signs the certificate.")];
    lines.extend(target_lines(targets, Fit { rows: room.rows.saturating_sub(4).max(2), ..room }, t, true));
    let failing: Vec<&str> = targets.iter().filter(|x| x.fails()).map(|x| x.name.as_str()).collect();
    let names = fit(&failing.join(", "), 200);
    if !failing.is_empty() && !force {
        lines.push(Line::styled(format!("✗ Failing checks, so NOT approved: {names}. Press F to approve anyway (force)."), t.err()));
    } else if force {
        lines.push(Line::styled(format!("⚠ FORCED: {names} will be approved despite failing checks."), t.err()));
    }
    lines
}

fn deny_lines(targets: &[Target], reason: &str, room: Fit, t: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::raw("kubelift writes a Denied condition on each; a denied request is never signed.")];
    lines.extend(target_lines(targets, Fit { rows: room.rows.saturating_sub(5).max(2), ..room }, t, false));
    lines.push(Line::raw("Reason (the requester reads it in the Denied condition):"));
    lines.push(Line::styled(format!("{reason}▏"), t.selected()));
    lines
}
