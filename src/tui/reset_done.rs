//! The end of a reset: what happened, what was left in place (the run's
//! warnings), and what is left to do elsewhere in the cluster.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::progress::{ms, LogKind, Progress};
use super::theme::Theme;

pub fn lines(progress: &Progress, node: &str, t: &Theme) -> Vec<Line<'static>> {
    let took = progress.finished.as_ref().map(|f| ms(f.duration_ms)).unwrap_or_default();
    let mut lines = match progress.finished.as_ref().and_then(|f| f.dry_run_dir.clone()) {
        Some(dir) => vec![
            Line::styled(format!("✓ The dry run went through every reset phase in {took}: nothing on this machine changed."), t.ok()),
            Line::raw(format!("  The log above lists each step a real reset takes; the run's folder was {dir}.")),
        ],
        None => vec![
            Line::styled(format!("✓ This machine was reset in {took}."), t.ok()),
            Line::raw("  What init or join set up here is gone: this node is no longer part of the cluster."),
        ],
    };
    let warnings: Vec<&str> = progress.log.iter().filter(|l| l.kind == LogKind::Warning).map(|l| l.text.as_str()).collect();
    if !warnings.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Left as it is", t.title()));
        lines.extend(warnings.iter().map(|w| Line::styled(format!("! {w}"), t.warn())));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("What to do next", t.title()));
    lines.push(Line::raw("1. If other nodes remain, remove this node's API objects from a control-plane node:"));
    lines.push(Line::styled(format!("     kubectl delete node {node}"), t.accent()));
    lines.push(Line::raw("   (reset removes files on this machine only; on the last control-plane node they went with etcd's data)."));
    lines.push(Line::raw("2. To set this machine up again: kubelift init, or kubelift join with a fresh token."));
    lines
}

pub fn render(frame: &mut Frame, area: Rect, theme: &Theme, progress: &Progress, node: &str, scroll: u16) {
    frame.render_widget(Paragraph::new(lines(progress, node, theme)).wrap(Wrap { trim: false }).scroll((scroll, 0)), area);
}
