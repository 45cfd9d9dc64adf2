//! Runs the `Cmd`s of `update` off the UI loop: engine runs, plans, fixes,
//! file writes. Results come back as `Msg`s on one channel, so the loop
//! never waits on I/O. This is also where the TUI answers the engine's
//! questions (`Decider`).

use async_trait::async_trait;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::{mpsc, oneshot};

use super::app::{Cmd, Msg, RunKind};
use super::csr::{CsrCmd, CsrMsg, Feed};
use super::review::PlannedPhase;
use crate::cli::args::{Global, ResetArgs};
use crate::cli::reset_cmd::{self, Prepared};
use crate::cli::workflow;
use crate::cluster::Cluster;
use crate::config::{InitSettings, JoinSettings};
use crate::csr::actions::{self, Outcome, Report};
use crate::csr::live;
use crate::engine::{self, runner, Context, Decider, EventSink, NoDecisions, Phase, RunOptions, Settings, WriteGate};

/// Applies preflight fixes. The check catalogue (another branch) provides
/// the real functions; this trait is where they plug in.
pub trait Fixer: Send + Sync {
    /// What fixing `check` would change, one line each, without changing it.
    fn preview(&self, check: &str) -> Result<Vec<String>, String>;
    /// Makes the change; returns what was done.
    fn apply(&self, check: &str) -> Result<Vec<String>, String>;
}

/// The preflight catalogue's safe fixes (crate::preflight::fix), through the
/// write gate and the journal, so that reset can undo them.
pub struct PreflightFixer {
    root: std::path::PathBuf,
    dry_run: bool,
    input: crate::preflight::CheckInput,
}

impl PreflightFixer {
    pub fn new(root: &std::path::Path, dry_run: bool) -> PreflightFixer {
        let host = crate::config::HostDefaults::detect(root);
        let settings = crate::config::InitSettings::empty().resolve(&host).unwrap_or_else(|_| crate::config::init_defaults(crate::config::ApiVersion::V1beta4));
        let input = crate::preflight::CheckInput::for_init(&settings, &host.cri_sockets);
        PreflightFixer { root: root.to_path_buf(), dry_run, input }
    }

    fn plan(&self, fix: &str) -> Result<crate::preflight::fix::FixPlan, String> {
        let host = crate::preflight::RealHost::new(&self.root);
        crate::preflight::fix::plan(fix, &host, &self.input)?.ok_or_else(|| format!("{fix}: nothing to change; press r to check again"))
    }
}

impl Fixer for PreflightFixer {
    fn preview(&self, fix: &str) -> Result<Vec<String>, String> {
        let plan = self.plan(fix)?;
        Ok(plan.changes().iter().map(|c| c.describe()).chain(plan.detail.iter().cloned()).collect())
    }

    fn apply(&self, fix: &str) -> Result<Vec<String>, String> {
        let plan = self.plan(fix)?;
        let gate = if self.dry_run { WriteGate::dry_run(&self.root, "preflight") } else { WriteGate::apply(&self.root, "preflight") }.map_err(|e| e.to_string())?;
        let host = crate::preflight::RealHost::new(&self.root);
        let run_commands = !self.dry_run && self.root == std::path::Path::new("/");
        crate::preflight::fix::apply(&plan, &gate, &host, crate::preflight::fix::FixOptions { run_commands })
    }
}

/// The phases a workflow runs; tests swap in scripted ones.
pub type PhaseList = fn() -> Vec<Box<dyn Phase>>;

pub struct Driver {
    global: Global,
    phases: PhaseList,
    fixer: Arc<dyn Fixer>,
    tx: mpsc::UnboundedSender<Msg>,
    started: Instant,
    /// The install's and the join's gates, made on first use and kept across
    /// retries: their journal (in memory for a dry run) is what a retry resumes from.
    gates: Mutex<std::collections::HashMap<&'static str, Arc<WriteGate>>>,
    decider: Arc<TuiDecider>,
    /// `kubelift reset`'s flags (the defaults when the TUI opened otherwise).
    reset_args: ResetArgs,
    /// The last reset plan: the run does exactly what it showed.
    reset_plan: Arc<Mutex<Option<Prepared>>>,
    csr: CsrLink,
}

impl Driver {
    pub fn new(global: Global, phases: PhaseList, fixer: Arc<dyn Fixer>, tx: mpsc::UnboundedSender<Msg>, started: Instant) -> Driver {
        let decider = Arc::new(TuiDecider { tx: tx.clone(), pending: Mutex::default() });
        let csr = CsrLink { tx: tx.clone(), cluster: Arc::default(), watch: Mutex::default() };
        Driver { global, phases, fixer, tx, started, gates: Mutex::default(), decider, reset_args: reset_cmd::default_args(), reset_plan: Arc::default(), csr }
    }

    pub fn with_reset_args(self, reset_args: ResetArgs) -> Driver {
        Driver { reset_args, ..self }
    }

    /// Starts a command; its result arrives later as a message.
    pub fn execute(&self, cmd: Cmd) -> Option<String> {
        match cmd {
            Cmd::RunChecks(settings) => self.spawn_checks(settings),
            Cmd::Plan(settings) => self.with_gate("init", |gate| {
                let (tx, phases) = (self.tx.clone(), self.phases);
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(Msg::Planned(plan(phases, &settings, gate)));
                });
            }),
            Cmd::StartInstall(settings) => self.with_gate("init", |gate| self.spawn_install(settings, gate)),
            Cmd::StartJoin(settings) => self.with_gate("join", |gate| self.spawn_join(settings, gate)),
            Cmd::PlanReset => self.spawn_reset_plan(),
            Cmd::StartReset => self.spawn_reset(),
            Cmd::ReadCaHash(settings) => self.with_gate("init", |gate| {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(Msg::CaHash(read_ca_hash(&settings, gate)));
                });
            }),
            Cmd::PreviewFix(check) => self.spawn_fix(check, false),
            Cmd::ApplyFix(check) => self.spawn_fix(check, true),
            Cmd::SaveConfig { path, yaml } => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(Msg::Saved(save_config(&path, &yaml)));
                });
            }
            Cmd::Answer(answer) => self.decider.answer(answer),
            Cmd::Csr(CsrCmd::Connect { kubeconfig, root }) => self.csr.connect(kubeconfig, root),
            Cmd::Csr(CsrCmd::Write { actions, dry_run }) => self.csr.write(actions, dry_run),
            Cmd::Csr(CsrCmd::Stop) => self.csr.stop(),
            Cmd::Copy(text) => return Some(super::clipboard::osc52(&text)),
        }
        None
    }

    fn with_gate(&self, workflow: &'static str, f: impl FnOnce(Arc<WriteGate>)) {
        let mut gates = self.gates.lock().expect("the gate lock is never poisoned");
        let gate = match gates.get(workflow) {
            Some(gate) => gate.clone(),
            None => match workflow::gate(&self.global, workflow) {
                Ok(gate) => gates.entry(workflow).or_insert(gate).clone(),
                Err(e) => {
                    let _ = self.tx.send(Msg::Failed(format!("{e} (hint: {})", e.hint())));
                    return;
                }
            },
        };
        drop(gates);
        f(gate);
    }

    /// The join, as headless `kubelift join` runs it, with the TUI answering questions.
    fn spawn_join(&self, settings: Arc<JoinSettings>, gate: Arc<WriteGate>) {
        let phases = crate::phases::join();
        if let Some(error) = workflow::unknown_join_phases(&phases, &settings) {
            let _ = self.tx.send(Msg::Failed(error));
            return;
        }
        let (options, warnings) = (workflow::join_options(&settings), settings.warnings.clone());
        self.spawn_run(Settings::Join(settings), gate, phases, options, RunKind::Join, &warnings);
    }

    /// Works out the reset plan off the loop (it reads the journal and the
    /// files) and keeps it: the run does exactly what the screen showed.
    fn spawn_reset_plan(&self) {
        let (global, args, tx, slot) = (self.global.clone(), self.reset_args.clone(), self.tx.clone(), self.reset_plan.clone());
        tokio::task::spawn_blocking(move || {
            let result = reset_cmd::prepare(&global, &args, true).map_err(|e| format!("{e} (hint: {})", e.hint()));
            let msg = result.map(|prepared| {
                let view = super::reset::plan_view(&prepared, &args.skip_phases);
                *slot.lock().expect("never poisoned") = Some(prepared);
                view
            });
            let _ = tx.send(Msg::ResetPlanned(msg));
        });
    }

    fn spawn_reset(&self) {
        let Some(prepared) = self.reset_plan.lock().expect("never poisoned").take() else {
            let _ = self.tx.send(Msg::Failed("there is no reset plan to run: go back (Esc) and open Reset again to work it out".into()));
            return;
        };
        if let Err(e) = prepared.retire_unused_journal() {
            let _ = self.tx.send(Msg::Failed(format!("{e} (hint: {})", e.hint())));
            return;
        }
        let options = reset_cmd::run_options(&self.reset_args);
        let ctx = Context::new(Settings::Reset(prepared.settings), prepared.gate, self.forward(RunKind::Reset), self.decider.clone());
        tokio::spawn(async move { engine::run(&crate::phases::reset::phases(), &ctx, &options).await });
    }

    fn spawn_install(&self, settings: Arc<InitSettings>, gate: Arc<WriteGate>) {
        let phases = (self.phases)();
        let unknown = workflow::unknown_phases(&phases, &settings, None);
        if !unknown.is_empty() {
            let _ = self.tx.send(Msg::Failed(format!("unknown phase {} in skipPhases (see `kubelift phase --list`)", unknown.join(", "))));
            return;
        }
        let (options, warnings) = (workflow::init_options(&settings, None), settings.warnings.clone());
        self.spawn_run(Settings::Init(settings), gate, phases, options, RunKind::Install, &warnings);
    }

    /// Runs a workflow off the render loop; the configuration's warnings
    /// open its event stream, as in headless runs.
    fn spawn_run(&self, settings: Settings, gate: Arc<WriteGate>, phases: Vec<Box<dyn Phase>>, options: RunOptions, run: RunKind, warnings: &[String]) {
        let events = self.forward(run);
        for message in warnings {
            events.emit(engine::Event::Warning { phase: String::new(), message: message.clone(), hint: None });
        }
        let ctx = Context::new(settings, gate, events, self.decider.clone());
        tokio::spawn(async move { engine::run(&phases, &ctx, &options).await });
    }

    /// A preflight pass: only the preflight phase, in the run's mode, under
    /// its own workflow name so that it leaves the install's resume state alone.
    fn spawn_checks(&self, settings: Arc<InitSettings>) {
        let gate = match workflow::gate(&self.global, "preflight") {
            Ok(gate) => gate,
            Err(e) => {
                let _ = self.tx.send(Msg::Failed(format!("{e} (hint: {})", e.hint())));
                return;
            }
        };
        let phases = (self.phases)();
        let options = RunOptions { workflow: "preflight".into(), only: Some("preflight".into()), config_fingerprint: settings.fingerprint(), ..RunOptions::default() };
        let ctx = Context::new(Settings::Init(settings), gate.clone(), self.forward(RunKind::Checks), Arc::new(NoDecisions));
        tokio::spawn(async move {
            engine::run(&phases, &ctx, &options).await;
            // The pass writes nothing: its dry-run folder is empty and need not stay.
            if let Some(dir) = gate.dry_run_dir() {
                let _ = std::fs::remove_dir(dir);
            }
        });
    }

    fn spawn_fix(&self, check: String, apply: bool) {
        let (fixer, tx) = (self.fixer.clone(), self.tx.clone());
        tokio::task::spawn_blocking(move || {
            let msg = if apply {
                Msg::FixApplied { result: fixer.apply(&check), check }
            } else {
                Msg::FixPreview { result: fixer.preview(&check), check }
            };
            let _ = tx.send(msg);
        });
    }

    /// An event sink whose envelopes reach the loop as messages of `run`.
    fn forward(&self, run: RunKind) -> EventSink {
        let (sink, mut rx) = EventSink::channel();
        let (tx, started) = (self.tx.clone(), self.started);
        tokio::spawn(async move {
            while let Some(envelope) = rx.recv().await {
                let _ = tx.send(Msg::Engine { run, event: envelope.event, at: started.elapsed() });
            }
        });
        sink
    }
}

/// The CSR screen's cluster: one connection, its watch, and the writes.
struct CsrLink {
    tx: mpsc::UnboundedSender<Msg>,
    /// Set once connected; the writes use it.
    cluster: Arc<Mutex<Option<Arc<Cluster>>>>,
    /// The running watch, stopped when the screen connects again.
    watch: Mutex<Option<tokio::task::AbortHandle>>,
}

/// How long the CSR screen's writes retry a briefly unavailable API server.
const CSR_PATIENCE: Duration = Duration::from_secs(30);

impl CsrLink {
    fn connect(&self, flag: Option<PathBuf>, root: PathBuf) {
        let (tx, slot) = (self.tx.clone(), self.cluster.clone());
        let task = tokio::spawn(async move {
            let send = |m| tx.send(Msg::Csr(m)).is_ok();
            let path = match crate::cli::csr_cmd::kubeconfig_path(&root, flag.as_deref()) {
                Ok(p) => p,
                Err(problem) => {
                    send(CsrMsg::ConnectFailed { kubeconfig: None, problem, fix: "run as root on a control-plane node (admin.conf), or give a kubeconfig with --kubeconfig".into() });
                    return;
                }
            };
            let cluster = match Cluster::from_kubeconfig(&path, CSR_PATIENCE).await {
                Ok(c) => Arc::new(c),
                Err(e) => {
                    let fix = crate::cli::csr_cmd::kubeconfig_fix(&e, Some(&path));
                    send(CsrMsg::ConnectFailed { kubeconfig: Some(path), problem: e.to_string(), fix });
                    return;
                }
            };
            *slot.lock().expect("never poisoned") = Some(cluster.clone());
            send(CsrMsg::Connected { kubeconfig: path, server: cluster.server.clone() });
            let mut updates = Box::pin(live::updates(&cluster));
            let mut feed = Feed::default();
            while let Some(update) = updates.next().await {
                // Decoding (signature verification) happens here, not on the render loop.
                if !send(feed.message(update, chrono::Utc::now())) {
                    break;
                }
            }
        });
        if let Some(previous) = self.watch.lock().expect("never poisoned").replace(task.abort_handle()) {
            previous.abort();
        }
    }

    fn stop(&self) {
        if let Some(watch) = self.watch.lock().expect("never poisoned").take() {
            watch.abort();
        }
    }

    /// Writes concurrently; each request's report comes back as it finishes.
    fn write(&self, actions: Vec<actions::Action>, dry_run: bool) {
        let tx = self.tx.clone();
        let Some(cluster) = self.cluster.lock().expect("never poisoned").clone() else {
            for a in actions {
                let why = "kubelift is not connected to the cluster: the screen shows why; nothing was written".to_string();
                let report = Report { name: a.object.metadata.name.clone().unwrap_or_default(), kind: a.kind, outcome: Outcome::Refused(why), attempts: 0 };
                let _ = tx.send(Msg::Csr(CsrMsg::Written(Box::new(report))));
            }
            return;
        };
        tokio::spawn(async move {
            let options = actions::Options { dry_run, ..actions::Options::default() };
            let mut reports = Box::pin(actions::execute(&cluster, actions, options));
            while let Some(report) = reports.next().await {
                let _ = tx.send(Msg::Csr(CsrMsg::Written(Box::new(report))));
            }
        });
    }
}

/// Every phase's changes, as the runner would plan them (skips included).
pub fn plan(phases: PhaseList, settings: &Arc<InitSettings>, gate: Arc<WriteGate>) -> Vec<PlannedPhase> {
    let (sink, _rx) = EventSink::channel();
    let ctx = Context::new(Settings::Init(settings.clone()), gate, sink, Arc::new(NoDecisions));
    let skip = &settings.init.skip_phases;
    phases()
        .iter()
        .map(|p| {
            let skipped = skip.iter().find(|s| runner::selects(s, p.id())).map(|s| format!("--skip-phases={s}"));
            let changes = if skipped.is_some() { vec![] } else { p.plan(&ctx).iter().map(|c| c.describe()).collect() };
            PlannedPhase { id: p.id().into(), title: p.title().into(), changes, skipped }
        })
        .collect()
}

fn read_ca_hash(settings: &InitSettings, gate: Arc<WriteGate>) -> Option<String> {
    let host_path = format!("{}/ca.crt", settings.cluster.certificates_dir.trim_end_matches('/'));
    let pem = std::fs::read(gate.source(&host_path).ok()?).ok()?;
    super::done::ca_cert_hash(&pem)
}

/// Writes the config file 0600 (it holds the bootstrap token) and says where.
fn save_config(path: &Path, yaml: &str) -> Result<PathBuf, String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    file.write_all(yaml.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// The engine's questions become a dialog; the answer comes back through `answer`.
pub struct TuiDecider {
    tx: mpsc::UnboundedSender<Msg>,
    pending: Mutex<Option<oneshot::Sender<Option<String>>>>,
}

impl TuiDecider {
    fn answer(&self, answer: Option<String>) {
        if let Some(reply) = self.pending.lock().expect("never poisoned").take() {
            let _ = reply.send(answer);
        }
    }
}

#[async_trait]
impl Decider for TuiDecider {
    async fn decide(&self, question: &str, choices: &[String]) -> Option<String> {
        let (reply, answer) = oneshot::channel();
        *self.pending.lock().expect("never poisoned") = Some(reply);
        self.tx.send(Msg::Decision { question: question.into(), choices: choices.to_vec() }).ok()?;
        answer.await.ok().flatten()
    }
}
