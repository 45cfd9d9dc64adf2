//! The join wizard: the API server endpoint, token and CA hash (format checks
//! by the foundation's join validator, beside each field), then the join run
//! itself (discovery, kubelet-start, and for a control-plane node its phases)
//! on the shared Progress screen, and the Done view (`join_done`).
//!
//! The form starts from the JoinConfiguration file and flags (the session's
//! `join_base`) and only puts its own answers in, so the run is the one
//! `kubelift join --non-interactive` would make with the same answers.

use std::sync::Arc;
use std::time::Duration;

use super::app::{App, Cmd, Screen};
use super::form::{self, Choice, Field, Form, Mask};
use super::host::HostFacts;
use super::join_done::JoinDone;
use super::keys::{self, Action};
use super::progress::{Flow, Progress};
use super::theme::Theme;
use crate::config::{BootstrapTokenDiscovery, ConfigErrors, JoinControlPlane, JoinSettings};
use crate::engine::Event;
use crate::secret::SecretString;
use ratatui::layout::Rect;
use ratatui::Frame;

const ENDPOINT: usize = 0;
const TOKEN: usize = 1;
const CA_HASH: usize = 2;
const NODE_NAME: usize = 3;
const ROLE: usize = 4;
const CERT_KEY: usize = 5;

#[derive(Debug, Clone)]
pub struct Join {
    pub form: Form,
    /// Resolved once per submit: the run and its retries use these.
    pub settings: Option<Arc<JoinSettings>>,
    pub progress: Progress,
    pub done: Option<JoinDone>,
}

impl Join {
    /// The form, prefilled from the config file and flags.
    pub fn new(base: &JoinSettings, host: &HostFacts) -> Join {
        let bt = base.join.discovery.bootstrap_token.clone().unwrap_or_default();
        let cp = base.join.control_plane.as_ref();
        let role = if cp.is_some() { "control-plane" } else { "worker" };
        let name = Some(base.join.node_registration.name.clone()).filter(|n| !n.is_empty()).unwrap_or_else(|| host.defaults.hostname.clone());
        let fields = vec![
            Field::text("API server endpoint", "host:port of the control plane, as the init's join command prints it (e.g. 10.0.0.10:6443)", bt.api_server_endpoint),
            Field::secret("Token", "the bootstrap token: 6 and 16 characters of [a-z0-9] joined by a dot (abcdef.0123456789abcdef)", bt.token.expose(), Mask::AfterDot),
            Field::text("CA certificate hash", "sha256:<64 hex> pins the cluster's CA so nobody can impersonate it; it is in the init's join command", bt.ca_cert_hashes.join(",")),
            Field::text("Node name", "this machine's name in the cluster; default: the hostname", name),
            Field::pick("Role", "worker runs workloads; control-plane adds another API server and etcd member (needs a control-plane endpoint)", role, vec![Choice::plain("worker"), Choice::plain("control-plane")]),
            Field::secret("Certificate key", "control-plane only: the key printed by `init --upload-certs` (64 hex characters)", cp.map(|c| c.certificate_key.expose().to_string()).unwrap_or_default(), Mask::Whole),
        ];
        Join { form: Form::new(fields), settings: None, progress: Progress::new(Flow::Join), done: None }
    }

    fn is_control_plane(&self) -> bool {
        self.form.value(ROLE) == "control-plane"
    }

    /// The answers put into the config file's settings, through the foundation's validator.
    pub fn settings(&self, base: &JoinSettings, host: &HostFacts) -> Result<JoinSettings, ConfigErrors> {
        let mut s = base.clone();
        let v = |i: usize| self.form.value(i).trim().to_string();
        let old = s.join.discovery.bootstrap_token.take().unwrap_or_default();
        let token = SecretString::new(v(TOKEN));
        // The TLS bootstrap token follows --token unless it was given on its own.
        let tls = &mut s.join.discovery.tls_bootstrap_token;
        if tls.expose().is_empty() || tls.expose() == old.token.expose() {
            *tls = token.clone();
        }
        s.join.discovery.bootstrap_token = Some(BootstrapTokenDiscovery {
            token,
            api_server_endpoint: v(ENDPOINT),
            ca_cert_hashes: v(CA_HASH).split(',').map(str::trim).filter(|h| !h.is_empty()).map(String::from).collect(),
            unsafe_skip_ca_verification: old.unsafe_skip_ca_verification,
        });
        s.join.node_registration.name = v(NODE_NAME);
        s.join.control_plane = match (self.is_control_plane(), s.join.control_plane.take()) {
            (true, cp) => Some(JoinControlPlane { certificate_key: SecretString::new(v(CERT_KEY)), ..cp.unwrap_or_default() }),
            (false, _) => None,
        };
        s.resolve(&host.defaults)
    }

    pub fn validate(&mut self, base: &JoinSettings, host: &HostFacts) -> Option<JoinSettings> {
        self.form.clear_errors();
        match self.settings(base, host) {
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

    /// The token and the certificate key: never shown in the log pane.
    fn secrets(&self) -> Vec<String> {
        let token = self.form.value(TOKEN).trim().to_string();
        let secret_part = token.split_once('.').map(|(_, s)| s.to_string()).unwrap_or_default();
        vec![token, secret_part, self.form.value(CERT_KEY).trim().to_string()]
    }

    /// The same join headless, with the secrets left for the user to fill in.
    pub fn command_line(&self) -> String {
        let v = |i: usize| self.form.value(i).trim().to_string();
        let mut cmd = format!("kubelift join {} --non-interactive --token <token>", v(ENDPOINT));
        for hash in v(CA_HASH).split(',').map(str::trim).filter(|h| !h.is_empty()) {
            cmd.push_str(&format!(" --discovery-token-ca-cert-hash {hash}"));
        }
        cmd.push_str(&format!(" --node-name {}", v(NODE_NAME)));
        if self.is_control_plane() {
            cmd.push_str(" --control-plane --certificate-key <key>");
        }
        cmd
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        form::render(&self.form, frame, area, theme);
    }
}

/// Keys on the form: edit, then submit to run the join.
pub fn form_action(app: &mut App, action: Action) -> Vec<Cmd> {
    let form = &mut app.join.form;
    match action {
        Action::NextField => form.next(),
        Action::PrevField => form.prev(),
        Action::Left | Action::Right if form.cycle(action == Action::Right) => revalidate(app),
        Action::ClearField if form.clear() => revalidate(app),
        Action::Enter => return submit(app),
        Action::Back => app.screen = Screen::Welcome,
        _ => {}
    }
    vec![]
}

pub fn revalidate(app: &mut App) {
    app.join.validate(&app.session.join_base, &app.session.host);
}

/// Valid answers start the join; invalid ones keep the form, focused on the first error.
fn submit(app: &mut App) -> Vec<Cmd> {
    let join = &mut app.join;
    let Some(settings) = join.validate(&app.session.join_base, &app.session.host) else {
        if let Some(i) = join.form.first_error() {
            join.form.focus = i;
        }
        app.status = Some("fix the fields marked ✗ first".into());
        return vec![];
    };
    let settings = Arc::new(settings);
    join.settings = Some(settings.clone());
    join.progress = Progress { secrets: join.secrets(), ..Progress::new(Flow::Join) };
    start(app, settings)
}

fn start(app: &mut App, settings: Arc<JoinSettings>) -> Vec<Cmd> {
    app.join.progress.start();
    app.join.done = None;
    app.screen = Screen::JoinProgress;
    vec![Cmd::StartJoin(settings)]
}

/// Keys while (or after) the join runs.
pub fn progress_action(app: &mut App, action: Action) -> Vec<Cmd> {
    match action {
        Action::Retry => {
            if let Some(settings) = app.join.settings.clone() {
                return start(app, settings);
            }
        }
        Action::Enter => open_done(app),
        Action::Back => app.screen = Screen::Join,
        other => app.join.progress.scroll(other),
    }
    vec![]
}

pub fn on_engine(app: &mut App, event: Event, at: Duration) {
    let finished = matches!(event, Event::RunFinished { .. });
    app.join.progress.on_event(event, at);
    if finished && app.join.progress.succeeded() {
        open_done(app);
    }
}

fn open_done(app: &mut App) {
    let Some(settings) = &app.join.settings else { return };
    let dry_dir = app.join.progress.finished.as_ref().and_then(|f| f.dry_run_dir.clone());
    app.join.done = Some(JoinDone::new(settings, dry_dir));
    app.screen = Screen::JoinDone;
}

/// Keys on the Done view.
pub fn done_action(app: &mut App, action: Action) -> Vec<Cmd> {
    match (action, &mut app.join.done) {
        (Action::Up | Action::Down | Action::PageUp | Action::PageDown, Some(done)) => done.scroll = keys::scrolled(done.scroll, action, usize::MAX),
        (Action::Back, _) => app.screen = Screen::JoinProgress,
        _ => {}
    }
    vec![]
}
