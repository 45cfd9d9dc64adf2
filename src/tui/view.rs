//! Draws the whole screen from the state alone: a header, the current
//! screen, the footer hints from the key registry, and any dialog on top.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::app::{App, Modal, Screen};
use super::keys;
use super::theme::Theme;
use super::{reset, reset_done};

pub fn draw(frame: &mut Frame, app: &App) {
    let [header, body, footer] = Layout::vertical([Constraint::Length(2), Constraint::Min(0), Constraint::Length(1)]).areas(frame.area());
    draw_header(frame, header, app);
    draw_screen(frame, body, app);
    draw_footer(frame, footer, app);
    if let Some(modal) = &app.modal {
        draw_modal(frame, modal, app);
    }
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let mut spans = vec![Span::styled(" kubelift ", t.selected()), Span::raw(" "), Span::styled(app.screen.title(), t.title())];
    if app.session.dry_run {
        spans.push(Span::styled("  [dry run]", t.warn()));
    }
    if app.session.root != "/" {
        spans.push(Span::styled(format!("  root: {}", app.session.root), t.dim()));
    }
    frame.render_widget(Paragraph::new(vec![Line::from(spans), Line::raw("")]), area);
}

fn draw_screen(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let area = Rect { x: area.x + 1, width: area.width.saturating_sub(2), ..area };
    match app.screen {
        Screen::Welcome => app.welcome.render(frame, area, t, app.session.dry_run),
        Screen::Preflight => app.preflight.render(frame, area, t),
        Screen::Choices => app.choices.render(frame, area, t),
        Screen::Review => app.review.render(frame, area, t),
        Screen::Progress => app.progress.render(frame, area, t, app.now),
        Screen::Done => app.done.render(frame, area, t, app.progress.token_created, app.now),
        Screen::Join => app.join.render(frame, area, t),
        Screen::JoinProgress => app.join.progress.render(frame, area, t, app.now),
        Screen::JoinDone => {
            if let Some(done) = &app.join.done {
                done.render(frame, area, t);
            }
        }
        Screen::Reset => app.reset.render_plan(frame, area, t, &app.session.root),
        Screen::ResetProgress => app.reset.progress.render(frame, area, t, app.now),
        Screen::ResetDone => reset_done::render(frame, area, t, &app.reset.progress, &app.session.host.defaults.hostname, app.reset.done_scroll),
        Screen::Csr => app.csr.render(frame, area, t),
    }
}

fn draw_footer(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let line = match &app.status {
        Some(status) => Line::styled(format!(" {status}"), t.accent()),
        None => hints_line(app, t),
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn hints_line(app: &App, t: &Theme) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for (key, label) in keys::footer(app.context(), |a| app.enabled(a)) {
        spans.push(Span::styled(key, t.key()));
        spans.push(Span::raw(format!(" {label}  ")));
    }
    Line::from(spans)
}

fn draw_modal(frame: &mut Frame, modal: &Modal, app: &App) {
    let t = &app.theme;
    let (title, lines, width) = match modal {
        Modal::Help => (" Keys ".to_string(), help_lines(app), 72),
        Modal::Notice { title, text } => (format!(" {title} "), vec![Line::raw(text.clone())], 64),
        Modal::ConfirmQuit => (" Leave kubelift? ".into(), vec![
            Line::raw("Phases are running. Leaving now stops the run between two phases' writes."),
            Line::raw(format!("The journal keeps what finished: running `kubelift {}` again with the same answers resumes there.", app.workflow())),
        ], 64),
        Modal::ConfirmFix { check, changes } => (format!(" Fix {check}? "), fix_lines(changes, t), 70),
        Modal::ConfirmIgnore { check, why } => (format!(" Ignore {check}? "), vec![
            Line::styled("Ignoring a check does not fix it.", t.warn()),
            Line::raw(format!("Why it matters: {why}")),
            Line::raw("The install goes on as if the check passed (--ignore-preflight-errors) and may fail later for this reason."),
        ], 64),
        Modal::Decision { question, choices, selected } => (" A decision is needed ".into(), decision_lines(question, choices, *selected, t), 64),
        Modal::SaveAs { path, error } => (" Save the answers as a kubeadm config file ".into(), save_lines(path, error, t), 70),
        Modal::ConfirmReset { typed, error } => (" Reset this machine? ".into(), reset::confirm_lines(app, typed, error, t), 70),
    };
    let inner = width.min(frame.area().width).saturating_sub(2).max(1) as usize;
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let area = centered(frame.area(), width, rows as u16 + 2);
    frame.render_widget(Clear, area);
    let hints: Vec<String> = keys::footer(app.context(), |_| true).into_iter().map(|(k, l)| format!("{k} {l}")).collect();
    let block = Block::default().borders(Borders::ALL).title(title).title_bottom(Line::from(format!(" {} ", hints.join("  "))));
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), area);
}

fn help_lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    keys::bindings(app.screen_context())
        .map(|b| Line::from(vec![Span::styled(format!("{:<16}", keys::keys_text(b)), t.key()), Span::raw(b.help)]))
        .collect()
}

fn fix_lines(changes: &[String], t: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::raw("kubelift will make these changes:")];
    lines.extend(changes.iter().map(|c| Line::styled(format!("  {c}"), t.accent())));
    lines.push(Line::raw("Each change is recorded in the journal; the checks run again afterwards."));
    lines
}

fn decision_lines(question: &str, choices: &[String], selected: usize, t: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::raw(question.to_string()), Line::raw("")];
    lines.extend(choices.iter().enumerate().map(|(i, c)| {
        if i == selected {
            Line::styled(format!("▶ {c}"), t.selected())
        } else {
            Line::raw(format!("  {c}"))
        }
    }));
    lines
}

fn save_lines(path: &str, error: &Option<String>, t: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::raw("File name (it holds the join token: written 0600):"),
        Line::styled(format!("{path}▏"), t.selected()),
        Line::styled("Replay it: kubelift init --non-interactive --config FILE", t.dim()),
    ];
    if let Some(e) = error {
        lines.push(Line::styled(format!("✗ {e}"), t.err()));
    }
    lines
}

/// A box of at most `width` x `height`, centred, never larger than the screen.
pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(row);
    cell
}
