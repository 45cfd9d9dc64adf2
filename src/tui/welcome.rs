//! Welcome: what kubelift can do here, one sentence each.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

use super::theme::Theme;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    Init,
    Join,
    ApproveCerts,
    Reset,
}

pub struct TaskInfo {
    pub task: Task,
    pub title: &'static str,
    pub what: &'static str,
}

pub const TASKS: &[TaskInfo] = &[
    TaskInfo { task: Task::Init, title: "Create a cluster (init a control plane)", what: "Makes this machine the first control-plane node: certificates, the API server, etcd and the join token for other nodes." },
    TaskInfo { task: Task::Join, title: "Join a cluster", what: "Adds this machine to an existing cluster as a worker or another control-plane node, using a join token." },
    TaskInfo { task: Task::ApproveCerts, title: "Approve node certificates", what: "Reviews the certificate requests of the cluster's kubelets and approves the ones that belong to their node." },
    TaskInfo { task: Task::Reset, title: "Reset this machine", what: "Undoes what init or join changed here, from kubelift's journal of every file and object it wrote." },
];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Welcome {
    pub selected: usize,
}

impl Welcome {
    pub fn task(&self) -> Task {
        TASKS[self.selected].task
    }

    pub fn move_selection(&mut self, down: bool) {
        self.selected = if down { (self.selected + 1).min(TASKS.len() - 1) } else { self.selected.saturating_sub(1) };
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme, dry_run: bool) {
        let [intro, list] = Layout::vertical([Constraint::Length(5), Constraint::Min(0)]).areas(area);
        let mut text = vec![
            Line::styled("Welcome to kubelift.", theme.title()),
            Line::raw("It sets up Kubernetes the way kubeadm does, and explains each step. What would you like to do?"),
        ];
        if dry_run {
            text.push(Line::styled("Dry run: nothing here will change; files go to a temporary folder.", theme.warn()));
        }
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), intro);
        let width = list.width.saturating_sub(6) as usize;
        let items: Vec<ListItem> = TASKS
            .iter()
            .map(|t| {
                let mut lines = vec![Line::from(Span::styled(t.title, theme.title()))];
                lines.extend(wrap(t.what, width).into_iter().map(|l| Line::styled(format!("  {l}"), theme.dim())));
                lines.push(Line::raw(""));
                ListItem::new(lines)
            })
            .collect();
        let mut state = ListState::default().with_selected(Some(self.selected));
        let list_widget = List::new(items).highlight_symbol("▶ ").highlight_style(theme.accent());
        frame.render_stateful_widget(list_widget, list, &mut state);
    }
}

/// Word-wraps text for list items, which ratatui does not wrap.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![];
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width.max(10) {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
