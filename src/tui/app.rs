//! The TUI's state and its one update function (The Elm Architecture): every
//! key, engine event and task result is a `Msg`; `update` changes the state
//! and returns the `Cmd`s (I/O) for the event loop to run. Nothing here
//! touches the terminal, the disk or the engine, so all of it is unit-tested.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::choices::{self, Choices, Slot};
use super::csr::{self, CsrCmd, CsrMsg, CsrScreen};
use super::done::Done;
use super::form;
use super::host::HostFacts;
use super::join::{self, Join};
use super::keys::{self, Action, Context};
use super::preflight::Preflight;
use super::progress::Progress;
use super::reset::{self, Reset, ResetPlanView};
use super::review::{PlannedPhase, Review};
use super::theme::Theme;
use super::welcome::{Task, Welcome};
use crate::config::{InitSettings, JoinSettings};
use crate::engine::Event;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Welcome,
    Preflight,
    Choices,
    Review,
    Progress,
    Done,
    Join,
    JoinProgress,
    JoinDone,
    Reset,
    ResetProgress,
    ResetDone,
    Csr,
}

impl Screen {
    pub fn title(&self) -> &'static str {
        match self {
            Screen::Welcome => "Welcome",
            Screen::Preflight => "1/4 Preflight checks",
            Screen::Choices => "2/4 Your cluster",
            Screen::Review => "3/4 Review",
            Screen::Progress => "4/4 Installing",
            Screen::Done => "Done",
            Screen::Join => "Join a cluster: your answers",
            Screen::JoinProgress => "Joining the cluster",
            Screen::JoinDone => "Joined",
            Screen::Reset => "Reset this machine: the plan",
            Screen::ResetProgress => "Resetting this machine",
            Screen::ResetDone => "Reset done",
            Screen::Csr => "Certificate requests",
        }
    }
}

/// Which engine run an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    /// The preflight pass of the Preflight screen.
    Checks,
    /// The install itself.
    Install,
    Join,
    Reset,
}

/// A dialog over the screen; it takes the keys first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Modal {
    Help,
    Notice { title: String, text: String },
    ConfirmQuit,
    ConfirmFix { check: String, changes: Vec<String> },
    ConfirmIgnore { check: String, why: String },
    /// The engine asks (a `decision_needed`); the answer goes back to the phase.
    Decision { question: String, choices: Vec<String>, selected: usize },
    SaveAs { path: String, error: Option<String> },
    /// Reset runs only after `reset` is typed here: Enter alone is not an answer.
    ConfirmReset { typed: String, error: Option<String> },
}

pub enum Msg {
    Key(KeyEvent),
    /// The terminal changed size: only a redraw.
    Resize,
    /// Time since the TUI started (for running phases and the token's life).
    Tick(Duration),
    Engine { run: RunKind, event: Event, at: Duration },
    Decision { question: String, choices: Vec<String> },
    Planned(Vec<PlannedPhase>),
    FixPreview { check: String, result: Result<Vec<String>, String> },
    FixApplied { check: String, result: Result<Vec<String>, String> },
    Saved(Result<PathBuf, String>),
    CaHash(Option<String>),
    ResetPlanned(Result<ResetPlanView, String>),
    /// A command could not start (the gate's folder, a runtime error).
    Failed(String),
    /// The CSR screen's watch and writes.
    Csr(CsrMsg),
}

/// I/O for the event loop.
#[derive(Debug, Clone)]
pub enum Cmd {
    RunChecks(Arc<InitSettings>),
    Plan(Arc<InitSettings>),
    StartInstall(Arc<InitSettings>),
    PreviewFix(String),
    ApplyFix(String),
    SaveConfig { path: PathBuf, yaml: String },
    ReadCaHash(Arc<InitSettings>),
    Copy(String),
    Answer(Option<String>),
    StartJoin(Arc<JoinSettings>),
    /// Work out the reset plan (the driver keeps it for the run).
    PlanReset,
    /// Run the reset the last plan described.
    StartReset,
    Csr(CsrCmd),
}

/// What does not change while the TUI runs.
#[derive(Debug, Clone)]
pub struct Session {
    pub dry_run: bool,
    pub root: String,
    pub log_file: Option<String>,
    pub host: HostFacts,
    /// The config file with the flags applied, before defaults: the form adds to it.
    pub base: InitSettings,
    /// The same for join: the JoinConfiguration file and join's flags.
    pub join_base: JoinSettings,
}

pub struct App {
    pub screen: Screen,
    pub theme: Theme,
    pub session: Session,
    pub welcome: Welcome,
    pub preflight: Preflight,
    pub choices: Choices,
    pub review: Review,
    pub progress: Progress,
    pub done: Done,
    pub join: Join,
    pub reset: Reset,
    pub csr: CsrScreen,
    /// Where Esc on the CSR screen goes; `None` leaves kubelift (it was opened by `kubelift csr`).
    pub csr_back: Option<Screen>,
    pub modal: Option<Modal>,
    /// A one-line message in the footer ("copied", "saved").
    pub status: Option<String>,
    pub now: Duration,
    pub quit: bool,
}

impl App {
    pub fn new(session: Session, theme: Theme) -> App {
        let mut choices = Choices::new(&session.base, &session.host);
        choices.validate(&session.base, &session.host, &[]);
        let join = Join::new(&session.join_base, &session.host);
        App {
            screen: Screen::Welcome,
            theme,
            welcome: Welcome::default(),
            preflight: Preflight::default(),
            choices,
            review: Review::default(),
            progress: Progress::default(),
            done: Done::default(),
            join,
            reset: Reset::default(),
            csr: CsrScreen::new(crate::csr::Policy::default(), session.dry_run),
            csr_back: None,
            modal: None,
            status: None,
            now: Duration::ZERO,
            quit: false,
            session,
        }
    }

    /// Where keys go now: the dialog on top, else the screen.
    pub fn context(&self) -> Context {
        match &self.modal {
            Some(Modal::Help) => Context::Help,
            Some(Modal::Notice { .. }) => Context::Notice,
            Some(Modal::ConfirmQuit | Modal::ConfirmFix { .. } | Modal::ConfirmIgnore { .. }) => Context::Confirm,
            Some(Modal::Decision { .. }) => Context::Choose,
            Some(Modal::SaveAs { .. }) => Context::Input,
            Some(Modal::ConfirmReset { .. }) => Context::TypeConfirm,
            None => self.screen_context(),
        }
    }

    /// The screen's own context, under any dialog (what the help lists).
    pub fn screen_context(&self) -> Context {
        match self.screen {
            Screen::Welcome => Context::Welcome,
            Screen::Preflight => Context::Preflight,
            Screen::Choices => Context::Form,
            Screen::Join => Context::Form,
            Screen::Review => Context::Review,
            Screen::Progress | Screen::JoinProgress | Screen::ResetProgress => Context::Progress,
            Screen::Done => Context::Done,
            Screen::Reset => Context::ResetPlan,
            Screen::JoinDone | Screen::ResetDone => Context::Finished,
            Screen::Csr => self.csr.context(),
        }
    }

    /// The run the current screen shows (or last showed), if any.
    pub fn run_progress(&self) -> Option<&Progress> {
        match self.screen {
            Screen::Progress | Screen::Done => Some(&self.progress),
            Screen::JoinProgress | Screen::JoinDone => Some(&self.join.progress),
            Screen::ResetProgress | Screen::ResetDone => Some(&self.reset.progress),
            _ => None,
        }
    }

    /// The command whose run the screen shows, as the user would type it again.
    pub fn workflow(&self) -> &'static str {
        match self.screen {
            Screen::Join | Screen::JoinProgress | Screen::JoinDone => "join",
            Screen::Reset | Screen::ResetProgress | Screen::ResetDone => "reset",
            _ => "init",
        }
    }

    /// Whether an action does something right now (the footer shows only those).
    pub fn enabled(&self, action: Action) -> bool {
        match action {
            _ if self.screen == Screen::Csr => self.csr.enabled(action),
            Action::Fix => self.preflight.can_fix() && !self.preflight.running,
            Action::Ignore => self.preflight.can_ignore(),
            Action::Recheck => !self.preflight.running,
            Action::Retry => self.run_progress().is_some_and(Progress::can_retry),
            Action::Back | Action::Enter if self.screen_context() == Context::Progress => {
                let run = self.run_progress().expect("a progress screen has a run");
                if action == Action::Back { !run.running } else { run.succeeded() }
            }
            Action::Save => self.review.settings.is_some(),
            Action::CopyWorker | Action::OpenCsr => self.screen == Screen::Done,
            Action::CopyControlPlane => self.screen == Screen::Done && self.done.control_plane_join().is_some(),
            Action::Back => self.screen != Screen::Welcome,
            _ => true,
        }
    }

    /// Phases are running: leaving now would stop them half-way.
    pub fn busy(&self) -> bool {
        self.progress.running || self.preflight.running || self.join.progress.running || self.reset.progress.running
    }

    /// Something on screen moves with time: running phases' timers, or the CSR list's ages.
    pub fn ticking(&self) -> bool {
        self.busy() || self.screen == Screen::Csr
    }

    fn ignored(&self) -> Vec<String> {
        self.preflight.ignored.iter().cloned().collect()
    }

    fn notice(&mut self, title: &str, text: impl Into<String>) {
        self.modal = Some(Modal::Notice { title: title.into(), text: text.into() });
    }
}

pub fn update(app: &mut App, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::Key(key) => on_key(app, key),
        Msg::Resize => vec![],
        Msg::Tick(now) => {
            app.now = now;
            vec![]
        }
        Msg::Engine { run, event, at } => {
            app.now = app.now.max(at);
            on_engine(app, run, event, at)
        }
        Msg::Decision { question, choices } => {
            app.modal = Some(Modal::Decision { question, choices, selected: 0 });
            vec![]
        }
        Msg::Planned(plan) => {
            app.review.plan = Some(plan);
            vec![]
        }
        Msg::FixPreview { check, result } => {
            match result {
                Ok(changes) => app.modal = Some(Modal::ConfirmFix { check, changes }),
                Err(e) => app.notice("The fix cannot be applied", e),
            }
            vec![]
        }
        Msg::FixApplied { check, result } => match result {
            Ok(done) => {
                app.status = Some(format!("fixed {check}: {}; checking again", done.join("; ")));
                start_checks(app)
            }
            Err(e) => {
                app.notice(&format!("Fixing {check} failed"), e);
                vec![]
            }
        },
        Msg::Saved(result) => {
            match result {
                Ok(path) => {
                    let text = format!("saved {}; replay it with: kubelift init --non-interactive --config {}", path.display(), path.display());
                    app.review.saved = Some(text.clone());
                    app.status = Some(text);
                    app.modal = None;
                }
                Err(e) => {
                    if let Some(Modal::SaveAs { error, .. }) = &mut app.modal {
                        *error = Some(e);
                    }
                }
            }
            vec![]
        }
        Msg::CaHash(hash) => {
            app.done.ca_hash = hash;
            vec![]
        }
        Msg::ResetPlanned(result) => {
            reset::on_planned(app, result);
            vec![]
        }
        Msg::Csr(msg) => csr::update(&mut app.csr, msg).into_iter().map(Cmd::Csr).collect(),
        Msg::Failed(e) => {
            app.progress.running = false;
            app.preflight.running = false;
            app.join.progress.running = false;
            app.reset.progress.running = false;
            app.notice("Something went wrong", e);
            vec![]
        }
    }
}

fn on_engine(app: &mut App, run: RunKind, event: Event, at: Duration) -> Vec<Cmd> {
    match run {
        RunKind::Checks => {
            app.preflight.on_event(event);
            vec![]
        }
        RunKind::Install => {
            let finished = matches!(event, Event::RunFinished { .. });
            app.progress.on_event(event, at);
            if finished && app.progress.succeeded() {
                return open_done(app);
            }
            vec![]
        }
        RunKind::Join => {
            join::on_engine(app, event, at);
            vec![]
        }
        RunKind::Reset => {
            reset::on_engine(app, event, at);
            vec![]
        }
    }
}

fn open_done(app: &mut App) -> Vec<Cmd> {
    let Some(settings) = app.review.settings.clone() else { return vec![] };
    let addon = choices::addon(app.choices.get(Slot::Addon)).copied();
    let dry_dir = app.progress.finished.as_ref().and_then(|f| f.dry_run_dir.clone());
    app.done = Done::new(&settings, addon, dry_dir, &app.session.root);
    app.screen = Screen::Done;
    vec![Cmd::ReadCaHash(settings)]
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    let context = app.context();
    let action = keys::action_for(context, &key);
    if app.modal.is_some() {
        return on_modal_key(app, key, action);
    }
    app.status = None;
    if app.screen == Screen::Csr {
        return csr_key(app, key, action);
    }
    if context == Context::Form && action.is_none() {
        edit_form(app, key);
        return vec![];
    }
    let Some(action) = action.filter(|a| app.enabled(*a)) else { return vec![] };
    match action {
        Action::Help => {
            app.modal = Some(Modal::Help);
            vec![]
        }
        Action::Quit => {
            if app.busy() {
                app.modal = Some(Modal::ConfirmQuit);
            } else {
                app.quit = true;
            }
            vec![]
        }
        _ => on_screen_action(app, action),
    }
}

/// Typing into the focused field of a form, then validating as you type.
fn edit_form(app: &mut App, key: KeyEvent) {
    let form = match app.screen {
        Screen::Join => &mut app.join.form,
        _ => &mut app.choices.form,
    };
    let changed = match key.code {
        KeyCode::Backspace => form.backspace(),
        KeyCode::Char(ch) if keys::is_text(&key) => form.type_char(ch),
        _ => false,
    };
    if changed {
        revalidate(app);
    }
}

fn revalidate(app: &mut App) {
    if app.screen == Screen::Join {
        join::revalidate(app);
    } else {
        let ignored = app.ignored();
        app.choices.validate(&app.session.base, &app.session.host, &ignored);
    }
}

fn on_screen_action(app: &mut App, action: Action) -> Vec<Cmd> {
    match app.screen {
        Screen::Welcome => welcome_action(app, action),
        Screen::Preflight => preflight_action(app, action),
        Screen::Choices => choices_action(app, action),
        Screen::Review => review_action(app, action),
        Screen::Progress => progress_action(app, action),
        Screen::Done => done_action(app, action),
        Screen::Join => join::form_action(app, action),
        Screen::JoinProgress => join::progress_action(app, action),
        Screen::JoinDone => join::done_action(app, action),
        Screen::Reset => reset::plan_action(app, action),
        Screen::ResetProgress => reset::progress_action(app, action),
        Screen::ResetDone => reset::done_action(app, action),
        Screen::Csr => vec![],
    }
}

/// Keys of the CSR screen: help, quit and back are the app's; the rest is the screen's.
fn csr_key(app: &mut App, key: KeyEvent, action: Option<Action>) -> Vec<Cmd> {
    match action {
        Some(Action::Help) => app.modal = Some(Modal::Help),
        Some(Action::Quit) => app.quit = true,
        Some(Action::Back) => match app.csr_back {
            Some(screen) => {
                app.screen = screen;
                return vec![Cmd::Csr(CsrCmd::Stop)];
            }
            None => app.quit = true,
        },
        _ => return csr::on_key(&mut app.csr, key, action).into_iter().map(Cmd::Csr).collect(),
    }
    vec![]
}

/// Derived state a frame needs, computed once before it is drawn.
pub fn prepare(app: &mut App) {
    if app.screen == Screen::Csr {
        app.csr.prepare();
    }
}

fn welcome_action(app: &mut App, action: Action) -> Vec<Cmd> {
    match action {
        Action::Up | Action::Down => app.welcome.move_selection(action == Action::Down),
        Action::Enter => match app.welcome.task() {
            Task::Init => {
                app.screen = Screen::Preflight;
                return start_checks(app);
            }
            Task::Join => app.screen = Screen::Join,
            // This machine's cluster: admin.conf under --root, else $KUBECONFIG.
            Task::ApproveCerts => return open_csr(app, Screen::Welcome, None),
            Task::Reset => return reset::open(app),
        },
        _ => {}
    }
    vec![]
}

/// Opens the CSR screen on a cluster (`kubeconfig`: the file to use, else the usual search).
fn open_csr(app: &mut App, back: Screen, kubeconfig: Option<PathBuf>) -> Vec<Cmd> {
    let (screen, cmd) = CsrScreen::open(app.csr.list.policy().clone(), app.session.dry_run, kubeconfig, PathBuf::from(&app.session.root));
    app.csr = screen;
    app.csr_back = Some(back);
    app.screen = Screen::Csr;
    vec![Cmd::Csr(cmd)]
}

/// From the Done screen: the cluster the install just made, through the admin.conf it wrote.
fn open_csr_after_install(app: &mut App) -> Vec<Cmd> {
    if app.done.dry_run_dir.is_some() || app.session.dry_run {
        app.csr = CsrScreen::without_cluster(format!(
            "This was a dry run: no cluster was created, so no kubelet has asked for a certificate. The admin.conf the dry run wrote ({}) names an API server that does not run. Install without --dry-run, then press a here again (or run `kubelift csr`).",
            app.done.admin_conf
        ));
        app.csr_back = Some(Screen::Done);
        app.screen = Screen::Csr;
        return vec![];
    }
    let admin = PathBuf::from(&app.done.admin_conf);
    open_csr(app, Screen::Done, Some(admin))
}

/// The settings for a preflight pass: the form's, or kubeadm's defaults while the form has errors.
fn check_settings(app: &App) -> Arc<InitSettings> {
    let s = &app.session;
    let ignored = app.ignored();
    let settings = app.choices.settings(&s.base, &s.host, &ignored).or_else(|_| InitSettings::empty().resolve(&s.host.defaults));
    Arc::new(settings.unwrap_or_else(|_| InitSettings::empty()))
}

fn start_checks(app: &mut App) -> Vec<Cmd> {
    app.preflight.start();
    vec![Cmd::RunChecks(check_settings(app))]
}

fn preflight_action(app: &mut App, action: Action) -> Vec<Cmd> {
    match action {
        Action::Up | Action::Down => app.preflight.move_selection(action == Action::Down),
        Action::Recheck => return start_checks(app),
        Action::Fix => {
            if let Some(c) = app.preflight.selected_check() {
                return vec![Cmd::PreviewFix(c.auto.clone().unwrap_or_else(|| c.name.clone()))];
            }
        }
        Action::Ignore => {
            if let Some(c) = app.preflight.selected_check() {
                app.modal = Some(Modal::ConfirmIgnore { check: c.name.clone(), why: c.why.clone() });
            }
        }
        Action::Enter if app.preflight.running => app.status = Some("the checks are still running".into()),
        Action::Enter => {
            let blocking: Vec<String> = app.preflight.blocking().iter().map(|c| c.name.clone()).collect();
            if blocking.is_empty() {
                app.screen = Screen::Choices;
                revalidate(app);
            } else {
                app.notice("Some checks failed", format!("{} must be fixed (f) or knowingly ignored (i) before the install can start.", blocking.join(", ")));
            }
        }
        Action::Back => app.screen = Screen::Welcome,
        _ => {}
    }
    vec![]
}

fn choices_action(app: &mut App, action: Action) -> Vec<Cmd> {
    let form = &mut app.choices.form;
    match action {
        Action::NextField => form.next(),
        Action::PrevField => form.prev(),
        Action::Left | Action::Right => {
            let before = app.choices.get(Slot::Addon).to_string();
            if app.choices.form.cycle(action == Action::Right) {
                if app.choices.focused_slot() == Slot::Addon {
                    app.choices.addon_changed(&before);
                }
                revalidate(app);
            }
        }
        Action::ClearField if form.clear() => revalidate(app),
        Action::Enter => return submit_choices(app),
        Action::Back => app.screen = Screen::Preflight,
        _ => {}
    }
    vec![]
}

fn submit_choices(app: &mut App) -> Vec<Cmd> {
    let ignored = app.ignored();
    let s = &app.session;
    match app.choices.validate(&s.base, &s.host, &ignored) {
        Some(settings) => {
            app.review.open(settings, &app.choices);
            app.screen = Screen::Review;
            vec![Cmd::Plan(app.review.settings.clone().expect("just opened"))]
        }
        None => {
            if let Some(i) = app.choices.form.first_error() {
                app.choices.form.focus = i;
            }
            app.status = Some("fix the fields marked ✗ first".into());
            vec![]
        }
    }
}

fn review_action(app: &mut App, action: Action) -> Vec<Cmd> {
    match action {
        Action::Up | Action::Down | Action::PageUp | Action::PageDown => app.review.scroll(action),
        Action::Save => app.modal = Some(Modal::SaveAs { path: "kubelift-init.yaml".into(), error: None }),
        Action::Enter => {
            if let Some(settings) = app.review.settings.clone() {
                app.progress.start();
                app.screen = Screen::Progress;
                return vec![Cmd::StartInstall(settings)];
            }
        }
        Action::Back => app.screen = Screen::Choices,
        _ => {}
    }
    vec![]
}

fn progress_action(app: &mut App, action: Action) -> Vec<Cmd> {
    match action {
        Action::Up | Action::Down | Action::PageUp | Action::PageDown => app.progress.scroll(action),
        Action::Retry => {
            if let Some(settings) = app.review.settings.clone() {
                app.progress.start();
                return vec![Cmd::StartInstall(settings)];
            }
        }
        Action::Enter => return open_done(app),
        Action::Back => app.screen = Screen::Review,
        _ => {}
    }
    vec![]
}

fn done_action(app: &mut App, action: Action) -> Vec<Cmd> {
    match action {
        Action::CopyWorker => {
            app.status = Some("copied the worker join command (OSC 52: your terminal must allow clipboard access)".into());
            return vec![Cmd::Copy(app.done.worker_join())];
        }
        Action::CopyControlPlane => match app.done.control_plane_join() {
            Some(cmd) => {
                app.status = Some("copied the control-plane join command (OSC 52)".into());
                return vec![Cmd::Copy(cmd)];
            }
            None => app.status = Some("no control-plane join: no control-plane endpoint was set".into()),
        },
        Action::OpenCsr => return open_csr_after_install(app),
        Action::Up | Action::Down => app.done.scroll = keys::scrolled(app.done.scroll, action, usize::MAX),
        Action::Back => app.screen = Screen::Progress,
        _ => {}
    }
    vec![]
}

fn on_modal_key(app: &mut App, key: KeyEvent, action: Option<Action>) -> Vec<Cmd> {
    let modal = app.modal.take().expect("called with a modal");
    match (modal, action) {
        (Modal::Help | Modal::Notice { .. }, Some(Action::Back)) => {}
        (Modal::ConfirmQuit, Some(Action::Yes)) => app.quit = true,
        (Modal::ConfirmFix { check, .. }, Some(Action::Yes)) => return vec![Cmd::ApplyFix(check)],
        (Modal::ConfirmIgnore { check, .. }, Some(Action::Yes)) => {
            app.status = Some(format!("{check} ignored: the install goes on as if it passed"));
            app.preflight.ignore(&check);
        }
        (Modal::ConfirmQuit | Modal::ConfirmFix { .. } | Modal::ConfirmIgnore { .. }, Some(Action::No)) => {}
        (Modal::Decision { .. }, Some(Action::Back)) => return vec![Cmd::Answer(None)],
        (Modal::Decision { choices, selected, .. }, Some(Action::Enter)) => return vec![Cmd::Answer(choices.get(selected).cloned())],
        (Modal::Decision { question, choices, selected }, Some(Action::Up | Action::Down)) => {
            let down = action == Some(Action::Down);
            let selected = if down { (selected + 1).min(choices.len().saturating_sub(1)) } else { selected.saturating_sub(1) };
            app.modal = Some(Modal::Decision { question, choices, selected });
        }
        (Modal::SaveAs { .. }, Some(Action::Back)) => {}
        (Modal::SaveAs { path, .. }, Some(Action::Enter)) => return save(app, path),
        (Modal::SaveAs { path, error }, _) => app.modal = Some(Modal::SaveAs { path: form::edit_text(path, key, action), error }),
        (Modal::ConfirmReset { .. }, Some(Action::Back)) => reset::cancel(app),
        (Modal::ConfirmReset { typed, .. }, Some(Action::Enter)) => return reset::confirm(app, typed),
        (Modal::ConfirmReset { typed, error }, _) => app.modal = Some(Modal::ConfirmReset { typed: form::edit_text(typed, key, action), error }),
        (other, _) => app.modal = Some(other),
    }
    vec![]
}

fn save(app: &mut App, path: String) -> Vec<Cmd> {
    let Some(settings) = &app.review.settings else { return vec![] };
    let yaml = settings.to_yaml();
    // Keep the dialog open until the write says how it went.
    app.modal = Some(Modal::SaveAs { path: path.clone(), error: None });
    vec![Cmd::SaveConfig { path: PathBuf::from(path), yaml }]
}

/// A key press, for tests and scripted input.
pub fn press(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}
