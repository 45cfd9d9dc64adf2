//! Draws the CSR screen from its state: a summary line, the list (only the
//! visible rows are built), the detail pane of the request under the cursor
//! and a status line; dialog_view.rs draws the dialogs on top.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell as TableCell, Paragraph, Row as TableRow, Table, Wrap};
use ratatui::Frame;

use super::{CsrScreen, Link};
use crate::csr::model::{Entry, Row, Scope, SortKey};
use crate::csr::{Level, State};
use crate::tui::theme::Theme;

/// A list column: its header, width, and rank (lower ranks stay on narrow terminals).
struct Column {
    title: &'static str,
    width: u16,
    rank: u8,
    cell: fn(&Row) -> String,
}

/// The NAME column takes what the others leave, and at least this.
const NAME_MIN: u16 = 10;

/// Display order; `rank` decides which columns a narrow terminal drops.
const COLUMNS: &[Column] = &[
    Column { title: "", width: 1, rank: 0, cell: |r| if r.selected { "●".into() } else { " ".into() } },
    Column { title: "AGE", width: 4, rank: 1, cell: |r| r.age.clone() },
    Column { title: "NAME", width: NAME_MIN, rank: 0, cell: |r| r.name.clone() },
    Column { title: "SIGNER", width: 15, rank: 2, cell: |r| signer_label(&r.signer).to_string() },
    Column { title: "REQUESTOR", width: 18, rank: 3, cell: |r| r.requestor.clone() },
    Column { title: "SUBJECT", width: 16, rank: 6, cell: subject },
    Column { title: "SANS", width: 13, rank: 7, cell: |r| if r.sans.is_empty() { "-".into() } else { r.sans.join(",") } },
    Column { title: "KEY", width: 11, rank: 5, cell: |r| r.key.clone() },
    Column { title: "DUR", width: 4, rank: 8, cell: |r| r.duration.clone() },
    Column { title: "CONDITION", width: 9, rank: 4, cell: |r| r.condition.label().to_string() },
    Column { title: "VERDICT", width: 7, rank: 0, cell: |r| verdict_text(r.verdict) },
];

fn subject(r: &Row) -> String {
    if r.organizations.is_empty() {
        r.common_name.clone()
    } else {
        format!("{} O={}", r.common_name, r.organizations)
    }
}

/// The signers kubelet requests use, shortened so that the column stays narrow.
fn signer_label(signer: &str) -> &str {
    match signer {
        crate::csr::KUBELET_SERVING => "kubelet-serving",
        crate::csr::KUBELET_CLIENT => "kubelet-client",
        crate::csr::APISERVER_CLIENT => "apiserver-client",
        other => other.strip_prefix("kubernetes.io/").unwrap_or(other),
    }
}

pub(super) fn mark(level: Level) -> &'static str {
    match level {
        Level::Pass => "✓",
        Level::Warn => "!",
        Level::Fail => "✗",
    }
}

/// A mark as well as a word and a colour: nothing is said by colour alone.
fn verdict_text(level: Level) -> String {
    format!("{} {}", mark(level), level.label())
}

pub(super) fn level_style(level: Level, t: &Theme) -> Style {
    match level {
        Level::Pass => t.ok(),
        Level::Warn => t.warn(),
        Level::Fail => t.err(),
    }
}

/// The columns that fit `width`, in display order (one space between columns).
fn fitting(width: u16) -> Vec<&'static Column> {
    let mut by_rank: Vec<&Column> = COLUMNS.iter().collect();
    by_rank.sort_by_key(|c| c.rank);
    let mut used = 0u16;
    let mut kept = vec![];
    for c in by_rank {
        if used + c.width < width || c.rank == 0 {
            used += c.width + 1;
            kept.push(c.title);
        }
    }
    COLUMNS.iter().filter(|c| kept.contains(&c.title)).collect()
}

/// `text` cut to `width` characters, with `…` when cut.
pub(super) fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

impl CsrScreen {
    pub fn render(&self, frame: &mut Frame, area: Rect, t: &Theme) {
        let details = self.show_details && self.synced && area.height >= 14 && self.list.at_cursor().is_some();
        let detail_height = if details { (area.height * 45 / 100).clamp(6, 16) } else { 0 };
        let [summary, list, detail, status] = Layout::vertical([Constraint::Length(1), Constraint::Min(2), Constraint::Length(detail_height), Constraint::Length(1)]).areas(area);
        frame.render_widget(Paragraph::new(self.summary_line(t)), summary);
        match self.blocker() {
            Some(lines) => frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), list),
            None => self.render_list(frame, list, t),
        }
        if details {
            self.render_detail(frame, detail, t);
        }
        frame.render_widget(Paragraph::new(self.status_line(t)), status);
        if let Some(dialog) = &self.dialog {
            self.render_dialog(frame, dialog, t);
        }
    }

    fn summary_line(&self, t: &Theme) -> Line<'static> {
        if !self.synced {
            return Line::styled("Certificate signing requests", t.title());
        }
        let f = self.list.filter();
        let counts = self.list.tally();
        let sort = self.list.sort();
        let mut spans = vec![
            Span::styled(if f.scope == Scope::Pending { "Pending" } else { "All" }, t.title()),
            Span::raw(format!(" · {}", f.signer.as_deref().map_or("all signers", signer_label))),
            Span::raw(format!(" · by {} {}", sort_name(sort.key), if sort.descending { "↓" } else { "↑" })),
        ];
        if self.typing_filter || !f.text.is_empty() {
            let cursor = if self.typing_filter { "▏" } else { "" };
            spans.push(Span::styled(format!(" · /{}{cursor}", f.text), t.accent()));
        }
        // The selection first: it is what `a` and `d` act on; a narrow terminal cuts the end.
        spans.push(Span::raw(format!(" · {} selected · {}/{} shown · {} pending pass", counts.selected, counts.visible, counts.total, counts.pending_passing)));
        Line::from(spans)
    }

    /// What stands in for the list while there is none to show.
    fn blocker(&self) -> Option<Vec<Line<'static>>> {
        let text = match &self.link {
            Link::Connecting => vec!["Connecting to the cluster…".to_string()],
            Link::NoCluster { why } => vec!["No cluster to ask.".to_string(), why.clone()],
            Link::Failed { problem, kubeconfig, fix } => connection_problem(problem, kubeconfig, fix),
            Link::Live { kubeconfig, server } if !self.synced => match &self.watch_error {
                Some(e) => connection_problem(e, kubeconfig, &format!("check that the API server at {server} runs (`crictl ps -a | grep kube-apiserver`) and that {kubeconfig} is this cluster's admin.conf, or give another with --kubeconfig. kubelift keeps retrying.")),
                None => vec![format!("Listing certificate requests from {server}…")],
            },
            Link::Live { .. } if self.list.tally().visible == 0 => vec![self.empty_text()],
            Link::Live { .. } => return None,
        };
        Some(text.into_iter().map(Line::raw).collect())
    }

    fn empty_text(&self) -> String {
        let f = self.list.filter();
        if f.scope == Scope::Pending && f.signer.is_none() && f.text.is_empty() {
            "No pending certificate requests. New ones appear here as kubelets ask (p shows decided ones too).".into()
        } else {
            "No request matches the filter (p: pending/all, s: signer, /: text, Esc in the filter clears it).".into()
        }
    }

    fn render_list(&self, frame: &mut Frame, area: Rect, t: &Theme) {
        let columns = fitting(area.width);
        let rows_room = area.height.saturating_sub(1) as usize;
        self.page.set(rows_room.max(1));
        // Page by page: the window is a pure function of the cursor and the height.
        let offset = self.list.cursor() / rows_room.max(1) * rows_room.max(1);
        let rows = self.list.window(offset, rows_room, self.now);
        let widths: Vec<Constraint> = columns.iter().map(|c| if c.title == "NAME" { Constraint::Min(NAME_MIN) } else { Constraint::Length(c.width) }).collect();
        let header = TableRow::new(columns.iter().map(|c| TableCell::from(c.title))).style(t.title());
        let body: Vec<TableRow> = rows.iter().map(|r| table_row(r, &columns, t)).collect();
        frame.render_widget(Table::new(body, widths).header(header).column_spacing(1), area);
    }

    fn render_detail(&self, frame: &mut Frame, area: Rect, t: &Theme) {
        let Some(e) = self.list.at_cursor() else { return };
        let block = Block::default().borders(Borders::ALL).title(format!(" {} ", e.request.name));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [facts, checks] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).spacing(1).areas(inner);
        frame.render_widget(Paragraph::new(fact_lines(e, facts.width as usize, t)), facts);
        frame.render_widget(Paragraph::new(check_lines(e, checks.width as usize, t)), checks);
    }

    /// The watch's trouble first, then the writes, then the last note, then where the list comes from.
    fn status_line(&self, t: &Theme) -> Line<'static> {
        let w = &self.writes;
        if let Some(e) = &self.watch_error {
            return Line::styled(format!("watch: {e} (retrying)"), t.err());
        }
        if w.in_flight > 0 || w.done + w.failed > 0 {
            let mut text = format!("{} {}, {} failed", w.done, w.past, w.failed);
            if w.in_flight > 0 {
                text.push_str(&format!(", {} in flight", w.in_flight));
            }
            if let Some(f) = &w.last_failure {
                text.push_str(&format!(" · last failure: {}", f.replace('\n', " ")));
            }
            if let Some(n) = &self.note {
                text.push_str(&format!(" · {n}"));
            }
            return Line::styled(text, if w.failed > 0 { t.err() } else { t.ok() });
        }
        match (&self.note, &self.link) {
            (Some(n), _) => Line::styled(n.clone(), t.accent()),
            (None, Link::Live { kubeconfig, server }) => Line::styled(format!("live from {server} with {kubeconfig}{}", if self.dry_run { " · dry run: writes are validated, not stored" } else { "" }), t.dim()),
            _ => Line::raw(""),
        }
    }
}


fn sort_name(key: SortKey) -> &'static str {
    match key {
        SortKey::Age => "age",
        SortKey::Name => "name",
        SortKey::Signer => "signer",
        SortKey::Requestor => "requestor",
        SortKey::Verdict => "verdict",
        SortKey::Condition => "condition",
    }
}

fn connection_problem(problem: &str, kubeconfig: &str, fix: &str) -> Vec<String> {
    vec!["Cannot list the certificate requests.".into(), format!("Problem:    {problem}"), format!("Kubeconfig: {kubeconfig}"), format!("Fix:        {fix}")]
}

fn table_row(r: &Row, columns: &[&Column], t: &Theme) -> TableRow<'static> {
    let cells = columns.iter().map(|c| {
        let text = fit(&(c.cell)(r), if c.title == "NAME" { 64 } else { c.width as usize });
        match c.title {
            "VERDICT" => TableCell::from(Span::styled(text, level_style(r.verdict, t))),
            "CONDITION" if r.condition == State::Denied || r.condition == State::Failed => TableCell::from(Span::styled(text, t.err())),
            _ => TableCell::from(text),
        }
    });
    let row = TableRow::new(cells);
    if r.under_cursor {
        row.style(t.selected())
    } else {
        row
    }
}

fn label(name: &str, value: String, width: usize) -> Line<'static> {
    Line::raw(fit(&format!("{name:<10} {value}"), width))
}

/// The request as decoded: who asks, for what, with which key.
fn fact_lines(e: &Entry, width: usize, t: &Theme) -> Vec<Line<'static>> {
    let r = &e.request;
    let mut lines = vec![
        label("Signer", r.signer.clone(), width),
        label("Requestor", r.username.clone(), width),
        label("Groups", r.groups.join(", "), width),
    ];
    match r.decoded.as_ref() {
        Ok(d) => {
            lines.push(label("Subject", format!("CN={} O={}", d.common_names.join(","), d.organizations.join(",")), width));
            lines.push(label("SANs", if d.sans.is_empty() { "none".into() } else { d.sans.describe().join(", ") }, width));
            let signature = match &d.signature {
                Ok(()) => "signature valid".to_string(),
                Err(e) => format!("signature: {e}"),
            };
            lines.push(label("Key", format!("{} ({signature})", d.key), width));
        }
        Err(err) => lines.push(Line::styled(fit(&format!("Request    does not decode: {err}"), width), t.err())),
    }
    lines.push(label("Usages", r.usages.join(", "), width));
    let duration = r.expiration_seconds.map_or_else(|| "the signer's default".to_string(), |s| crate::config::duration::format(std::time::Duration::from_secs(s.max(0) as u64)));
    lines.push(label("Duration", duration, width));
    lines.push(label("Condition", r.state.label().to_string(), width));
    lines
}

/// The verdict, then every check: problems first (they matter), then the passes.
fn check_lines(e: &Entry, width: usize, t: &Theme) -> Vec<Line<'static>> {
    let v = &e.verdict;
    let mut lines = vec![Line::styled(fit(&format!("Verdict: {} ({} checks)", verdict_text(v.level), v.checks.len()), width), level_style(v.level, t))];
    let passes = v.checks.iter().filter(|c| c.level == Level::Pass);
    for c in v.problems().into_iter().chain(passes) {
        lines.push(Line::styled(fit(&format!("{} {}: {}", mark(c.level), c.id, c.detail), width), level_style(c.level, t)));
    }
    lines
}
