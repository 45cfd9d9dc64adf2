//! The join wizard: the API server endpoint, token and CA hash (format checks
//! by the foundation's join validator, beside each field), then the join run.
//! The join runs headless for now: submitting says so plainly, and shows
//! the `kubelift join` command line that runs it headless with the same answers.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use super::form::{self, Choice, Field, Form};
use super::host::HostFacts;
use super::theme::Theme;
use crate::cli::args::JoinArgs;
use crate::config::{BootstrapTokenDiscovery, ConfigErrors, JoinControlPlane, JoinSettings};
use crate::secret::SecretString;

const ENDPOINT: usize = 0;
const TOKEN: usize = 1;
const CA_HASH: usize = 2;
const NODE_NAME: usize = 3;
const ROLE: usize = 4;
const CERT_KEY: usize = 5;

/// Where a submitted join stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinRun {
    /// The join workflow is not built: what to run meanwhile.
    NotAvailable { what: String, meanwhile: String, command: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Join {
    pub form: Form,
    pub run: Option<JoinRun>,
}

impl Join {
    pub fn new(args: &JoinArgs, host: &HostFacts) -> Join {
        let role = if args.control_plane { "control-plane" } else { "worker" };
        let fields = vec![
            Field::text("API server endpoint", "host:port of the control plane, as the init's join command prints it (e.g. 10.0.0.10:6443)", args.endpoint.clone().unwrap_or_default()),
            Field::text("Token", "the bootstrap token: 6 and 16 characters of [a-z0-9] joined by a dot (abcdef.0123456789abcdef)", args.token.clone().unwrap_or_default()),
            Field::text("CA certificate hash", "sha256:<64 hex> pins the cluster's CA so nobody can impersonate it; it is in the init's join command", args.discovery_token_ca_cert_hash.join(",")),
            Field::text("Node name", "this machine's name in the cluster; default: the hostname", args.node_name.clone().unwrap_or_else(|| host.defaults.hostname.clone())),
            Field::pick("Role", "worker runs workloads; control-plane adds another API server and etcd member (needs a control-plane endpoint)", role, vec![Choice::plain("worker"), Choice::plain("control-plane")]),
            Field::text("Certificate key", "control-plane only: the key printed by `init --upload-certs` (64 hex characters)", args.certificate_key.clone().unwrap_or_default()),
        ];
        Join { form: Form::new(fields), run: None }
    }

    fn is_control_plane(&self) -> bool {
        self.form.value(ROLE) == "control-plane"
    }

    /// The answers as join settings, through the foundation's validator.
    pub fn settings(&self, host: &HostFacts) -> Result<JoinSettings, ConfigErrors> {
        let mut s = JoinSettings::empty();
        let v = |i: usize| self.form.value(i).trim().to_string();
        s.join.discovery.bootstrap_token = Some(BootstrapTokenDiscovery {
            token: SecretString::new(v(TOKEN)),
            api_server_endpoint: v(ENDPOINT),
            ca_cert_hashes: v(CA_HASH).split(',').map(str::trim).filter(|h| !h.is_empty()).map(String::from).collect(),
            unsafe_skip_ca_verification: false,
        });
        s.join.node_registration.name = v(NODE_NAME);
        if self.is_control_plane() {
            s.join.control_plane = Some(JoinControlPlane { certificate_key: SecretString::new(v(CERT_KEY)), ..Default::default() });
        }
        s.resolve(&host.defaults)
    }

    pub fn validate(&mut self, host: &HostFacts) -> Option<JoinSettings> {
        self.form.clear_errors();
        match self.settings(host) {
            Ok(s) => Some(s),
            Err(errors) => {
                for e in errors.errors {
                    self.place(e);
                }
                None
            }
        }
    }

    fn place(&mut self, e: crate::config::FieldError) {
        let slot = match e.path.as_str() {
            "discovery.bootstrapToken.apiServerEndpoint" => Some(ENDPOINT),
            "discovery.bootstrapToken.token" | "discovery.tlsBootstrapToken" => Some(TOKEN),
            "discovery.bootstrapToken.caCertHashes" => Some(CA_HASH),
            "nodeRegistration.name" => Some(NODE_NAME),
            "controlPlane.certificateKey" => Some(CERT_KEY),
            p if p.starts_with("controlPlane.") => Some(ROLE),
            _ => None,
        };
        match slot {
            Some(i) if self.form.fields[i].error.is_none() => {
                self.form.fields[i].error = Some(e.problem.clone());
                self.form.fields[i].detail = Some(format!("{}: {} (fix: {})", e.path, e.problem, e.fix));
            }
            Some(_) => {}
            None => self.form.other_errors.push(e.to_string()),
        }
    }

    /// Submits valid answers; the run says what is not built yet.
    pub fn submit(&mut self, host: &HostFacts) -> bool {
        if self.validate(host).is_none() {
            if let Some(i) = self.form.first_error() {
                self.form.focus = i;
            }
            return false;
        }
        let (what, meanwhile) = crate::cli::JOIN_NOT_AVAILABLE;
        self.run = Some(JoinRun::NotAvailable { what: what.into(), meanwhile: meanwhile.into(), command: self.kubeadm_command() });
        true
    }

    /// The same join as a kubeadm command line.
    pub fn kubeadm_command(&self) -> String {
        let v = |i: usize| self.form.value(i).trim().to_string();
        let mut cmd = format!("kubelift join {} --non-interactive --token {}", v(ENDPOINT), v(TOKEN));
        for hash in v(CA_HASH).split(',').map(str::trim).filter(|h| !h.is_empty()) {
            cmd.push_str(&format!(" --discovery-token-ca-cert-hash {hash}"));
        }
        cmd.push_str(&format!(" --node-name {}", v(NODE_NAME)));
        if self.is_control_plane() {
            cmd.push_str(" --control-plane");
            if !v(CERT_KEY).is_empty() {
                cmd.push_str(&format!(" --certificate-key {}", v(CERT_KEY)));
            }
        }
        cmd
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let Some(JoinRun::NotAvailable { what, meanwhile, command }) = &self.run else {
            form::render(&self.form, frame, area, theme);
            return;
        };
        let [form_area, run_area] = Layout::vertical([Constraint::Length(self.form.fields.len() as u16 + 1), Constraint::Min(6)]).areas(area);
        form::render(&self.form, frame, form_area, theme);
        let lines = vec![
            Line::styled("✓ the answers are valid", theme.ok()),
            Line::raw("· discovery (fetch and verify the cluster CA with the token)"),
            Line::styled(format!("✗ {what} is not available yet in this version of kubelift: nothing was changed."), theme.err()),
            Line::styled(format!("  meanwhile: {meanwhile}:"), theme.dim()),
            Line::styled(format!("  {command}"), theme.accent()),
        ];
        let block = Block::default().borders(Borders::ALL).title(" Join ");
        frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), run_area);
    }
}
