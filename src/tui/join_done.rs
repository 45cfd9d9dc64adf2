//! The end of a join: this node is in the cluster, and what to do next on
//! the control plane (see it with `kubectl get nodes`, approve its serving
//! certificate), worked out once from the settings the join ran with.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::theme::Theme;
use crate::config::JoinSettings;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinDone {
    pub node: String,
    pub endpoint: String,
    pub control_plane: bool,
    /// Where a dry run wrote its files instead of the host.
    pub dry_run_dir: Option<String>,
    pub scroll: u16,
}

impl JoinDone {
    pub fn new(s: &JoinSettings, dry_run_dir: Option<String>) -> JoinDone {
        let endpoint = s.join.discovery.bootstrap_token.as_ref().map(|b| b.api_server_endpoint.clone()).unwrap_or_default();
        JoinDone { node: s.join.node_registration.name.clone(), endpoint, control_plane: s.join.control_plane.is_some(), dry_run_dir, scroll: 0 }
    }

    fn role(&self) -> &'static str {
        if self.control_plane {
            "a control-plane node"
        } else {
            "a worker"
        }
    }

    fn headline(&self, t: &Theme) -> Vec<Line<'static>> {
        match &self.dry_run_dir {
            Some(dir) => vec![
                Line::styled("✓ The dry run went through every join phase: nothing on this machine changed.", t.ok()),
                Line::raw(format!("  The files a real join writes are in {dir}. A real run ends with this node in the cluster, as {}.", self.role())),
            ],
            None => vec![
                Line::styled("✓ This node has joined the cluster.", t.ok()),
                Line::raw(format!("  {} joined as {} through {}; its kubelet authenticates with /etc/kubernetes/kubelet.conf.", self.node, self.role(), self.endpoint)),
            ],
        }
    }

    pub fn lines(&self, t: &Theme) -> Vec<Line<'static>> {
        let mut lines = self.headline(t);
        lines.push(Line::raw(""));
        lines.push(Line::styled("What to do next", t.title()));
        lines.push(Line::raw("1. On a control-plane node, check that this node is there:"));
        lines.push(Line::styled("     kubectl get nodes", t.accent()));
        lines.push(Line::raw(format!("   {} shows up within a minute and turns Ready once a pod network add-on runs.", self.node)));
        lines.push(Line::raw("2. Approve its serving certificate (logs, exec, metrics): the cluster never does."));
        lines.push(Line::raw(format!("   It is the kubelet-serving request of system:node:{}:", self.node)));
        lines.push(Line::styled("     kubectl get csr", t.accent()));
        lines.push(Line::styled("     kubelift csr approve --all-passing", t.accent()));
        lines.push(Line::raw("   (it checks each request; `kubectl certificate approve NAME` does not)."));
        if self.control_plane {
            lines.push(Line::raw("3. This node runs an API server and an etcd member too; kubectl works here with:"));
            lines.push(Line::styled("     export KUBECONFIG=/etc/kubernetes/admin.conf", t.accent()));
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(format!("To undo: `kubelift reset` on this node, then `kubectl delete node {}` on the control plane.", self.node), t.dim()));
        lines
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        frame.render_widget(Paragraph::new(self.lines(theme)).wrap(Wrap { trim: false }).scroll((self.scroll, 0)), area);
    }
}
