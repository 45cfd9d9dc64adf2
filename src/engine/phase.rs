//! What a phase is, and what it may touch while it runs.

use async_trait::async_trait;
use std::sync::Arc;

use super::event::{Change, Event, LogLevel};
use super::gate::{FileClass, GateError, WriteGate, WriteOutcome};
use super::sink::EventSink;
use crate::cluster::{Applied, Cluster, ClusterError, ObjectRef};
use crate::config::{InitSettings, JoinSettings};
use crate::engine::journal::{Action, Target};

/// The settings of the workflow being run.
#[derive(Debug, Clone)]
pub enum Settings {
    Init(Arc<InitSettings>),
    Join(Arc<JoinSettings>),
}

/// Answers the questions a phase cannot settle from the configuration.
/// The TUI asks the user; headless runs answer nothing and fail cleanly.
#[async_trait]
pub trait Decider: Send + Sync {
    async fn decide(&self, question: &str, choices: &[String]) -> Option<String>;
}

/// The headless answer: no answer, so the phase fails naming the config key.
pub struct NoDecisions;

#[async_trait]
impl Decider for NoDecisions {
    async fn decide(&self, _: &str, _: &[String]) -> Option<String> {
        None
    }
}

/// Everything a run shares between its phases.
#[derive(Clone)]
pub struct Context {
    pub settings: Settings,
    pub gate: Arc<WriteGate>,
    pub events: EventSink,
    pub decider: Arc<dyn Decider>,
    /// The admin client, made on first use (after kubeconfig/admin wrote admin.conf).
    cluster: Arc<tokio::sync::OnceCell<Cluster>>,
    /// What phases hand on to later phases of the same run (a key pool, a
    /// discovery result), one value per type.
    shared: Arc<std::sync::Mutex<SharedState>>,
}

type SharedState = std::collections::HashMap<std::any::TypeId, Arc<dyn std::any::Any + Send + Sync>>;

impl Context {
    pub fn new(settings: Settings, gate: Arc<WriteGate>, events: EventSink, decider: Arc<dyn Decider>) -> Context {
        Context { settings, gate, events, decider, cluster: Arc::default(), shared: Arc::default() }
    }

    /// The run's value of type `T`, made by `make` on first use.
    pub fn shared<T: Send + Sync + 'static>(&self, make: impl FnOnce() -> T) -> Arc<T> {
        let mut shared = self.shared.lock().expect("shared state lock");
        let entry = shared.entry(std::any::TypeId::of::<T>()).or_insert_with(|| Arc::new(make()));
        entry.clone().downcast::<T>().expect("one value per type")
    }

    /// The run's value of type `T`, if a phase stored one.
    pub fn get_shared<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let shared = self.shared.lock().expect("shared state lock");
        shared.get(&std::any::TypeId::of::<T>()).and_then(|v| v.clone().downcast::<T>().ok())
    }

    /// Stores the run's value of type `T`, replacing an earlier one.
    pub fn set_shared<T: Send + Sync + 'static>(&self, value: T) {
        self.shared.lock().expect("shared state lock").insert(std::any::TypeId::of::<T>(), Arc::new(value));
    }
}

/// For join: the cluster's configuration as this node sees it (the
/// ClusterConfiguration read from kube-system/kubeadm-config, with this node's
/// registration), so that init's artifact phases serve join unchanged.
pub struct ClusterView(pub Arc<InitSettings>);

/// How long API calls are retried on transient errors (kubeadm's kubernetesAPICall).
pub const API_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);
pub const ADMIN_CONF: &str = "/etc/kubernetes/admin.conf";

#[derive(Debug, thiserror::Error)]
pub enum PhaseError {
    #[error("{message}")]
    Failed { message: String, hint: String },
    #[error("{what} is not available yet: {why}")]
    NotAvailable { what: String, why: String },
    #[error("a decision is needed: {question}")]
    Decision { question: String, choices: Vec<String>, config_key: String },
}

impl PhaseError {
    pub fn failed(message: impl Into<String>, hint: impl Into<String>) -> PhaseError {
        PhaseError::Failed { message: message.into(), hint: hint.into() }
    }

    pub fn hint(&self) -> String {
        match self {
            PhaseError::Failed { hint, .. } => hint.clone(),
            PhaseError::NotAvailable { .. } => "run the workflow with --dry-run to see what it would do, or --skip-phases to leave this phase out".into(),
            PhaseError::Decision { config_key, .. } => format!("set {config_key} in the config file (or its flag) and run again"),
        }
    }
}

impl From<ClusterError> for PhaseError {
    fn from(e: ClusterError) -> Self {
        let hint = e.hint();
        PhaseError::Failed { message: e.to_string(), hint }
    }
}

impl From<GateError> for PhaseError {
    fn from(e: GateError) -> Self {
        let hint = e.hint();
        PhaseError::Failed { message: e.to_string(), hint }
    }
}

/// One step of a workflow, named as kubeadm names it (`certs/apiserver`).
#[async_trait]
pub trait Phase: Send + Sync {
    fn id(&self) -> &'static str;
    fn title(&self) -> &'static str;
    /// Phases whose results this one reads; `kubelift phase` checks them.
    fn needs(&self) -> &'static [&'static str] {
        &[]
    }
    /// Runs again when a run resumes, even if it completed before: for
    /// phases whose results live only in memory (join's discovery).
    fn always_runs(&self) -> bool {
        false
    }
    /// The changes the phase will make, computed without making them.
    fn plan(&self, ctx: &Context) -> Vec<Change>;
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError>;
}

/// A phase's view of the context: its events carry its id.
pub struct PhaseCtx<'a> {
    pub ctx: &'a Context,
    pub phase: &'static str,
}

impl PhaseCtx<'_> {
    /// The cluster's settings: init's own, or for join the view discovery
    /// built from the cluster's kubeadm-config and this node's registration.
    pub fn init(&self) -> Result<Arc<InitSettings>, PhaseError> {
        match &self.ctx.settings {
            Settings::Init(s) => Ok(s.clone()),
            Settings::Join(_) => self.ctx.get_shared::<ClusterView>().map(|v| v.0.clone()).ok_or_else(|| {
                PhaseError::failed(format!("phase {} needs the cluster's configuration, which discovery reads", self.phase), "run the discovery phase first (do not skip it)")
            }),
        }
    }

    pub fn gate(&self) -> &WriteGate {
        &self.ctx.gate
    }

    pub fn log(&self, message: impl Into<String>) {
        self.emit_log(LogLevel::Info, message.into());
    }

    pub fn debug(&self, message: impl Into<String>) {
        self.emit_log(LogLevel::Debug, message.into());
    }

    fn emit_log(&self, level: LogLevel, message: String) {
        tracing::event!(tracing::Level::INFO, phase = self.phase, "{message}");
        self.ctx.events.emit(Event::Log { phase: self.phase.into(), level, message });
    }

    pub fn warn(&self, message: impl Into<String>, hint: Option<String>) {
        let message = message.into();
        tracing::warn!(phase = self.phase, "{message}");
        self.ctx.events.emit(Event::Warning { phase: self.phase.into(), message, hint });
    }

    pub fn progress(&self, done: u32, total: u32, message: impl Into<String>) {
        self.ctx.events.emit(Event::Progress { phase: self.phase.into(), done, total, message: message.into() });
    }

    /// Writes a host file through the gate and says what happened.
    pub fn write(&self, host_path: &str, contents: &[u8], mode: u32, class: FileClass) -> Result<WriteOutcome, PhaseError> {
        let outcome = self.gate().write(self.phase, host_path, contents, mode, class)?;
        let verb = match outcome {
            WriteOutcome::Created => "wrote",
            WriteOutcome::Replaced => "replaced",
            WriteOutcome::Unchanged => "unchanged",
        };
        self.log(format!("{verb} {host_path}"));
        Ok(outcome)
    }

    pub fn ensure_dir(&self, host_path: &str, mode: u32) -> Result<(), PhaseError> {
        if self.gate().ensure_dir(self.phase, host_path, mode)? == WriteOutcome::Created {
            self.log(format!("created directory {host_path}"));
        }
        Ok(())
    }

    /// The admin client (admin.conf under --root), made once per run.
    pub async fn cluster(&self) -> Result<&Cluster, PhaseError> {
        let path = self.gate().source(ADMIN_CONF)?;
        let cluster = self.ctx.cluster.get_or_try_init(|| Cluster::from_kubeconfig(&path, API_PATIENCE)).await?;
        Ok(cluster)
    }

    /// Applies objects (server-side apply), or in a dry run writes them to the
    /// dry-run folder and says what would be applied. Records changes in the journal.
    pub async fn apply(&self, objects: &[serde_json::Value]) -> Result<(), PhaseError> {
        if let Some(dir) = self.gate().dry_run_dir() {
            return self.dry_apply(dir, objects);
        }
        let cluster = self.cluster().await?;
        self.apply_with(cluster, objects).await
    }

    /// Applies objects with a given client (super-admin.conf before the admin
    /// group is bound), recording each change.
    pub async fn apply_with(&self, cluster: &Cluster, objects: &[serde_json::Value]) -> Result<(), PhaseError> {
        if let Some(dir) = self.gate().dry_run_dir() {
            return self.dry_apply(dir, objects);
        }
        for object in objects {
            let target = ObjectRef::of(object)?;
            let outcome = cluster.apply(object).await?;
            self.record(&target, outcome, object)?;
        }
        Ok(())
    }

    /// Merge-patches an existing object, or says what it would patch.
    pub async fn patch(&self, target: &ObjectRef, patch: &serde_json::Value) -> Result<(), PhaseError> {
        if self.gate().is_dry_run() {
            self.log(format!("would patch {target}: {patch}"));
            return Ok(());
        }
        let outcome = self.cluster().await?.merge_patch(target, patch).await?;
        self.record(target, outcome, patch)
    }

    fn record(&self, target: &ObjectRef, outcome: Applied, content: &serde_json::Value) -> Result<(), PhaseError> {
        let action = match outcome {
            Applied::Unchanged => {
                self.log(format!("unchanged {target}"));
                return Ok(());
            }
            Applied::Created => Action::Created,
            Applied::Updated => Action::Replaced,
        };
        self.log(format!("{} {target}", if action == Action::Created { "created" } else { "updated" }));
        let journal_target = Target::Object { api_version: target.api_version(), kind: target.gvk.kind.clone(), namespace: target.namespace.clone(), name: target.name.clone() };
        let digest = crate::engine::gate::sha256_hex(content.to_string().as_bytes());
        self.gate().record_object(self.phase, journal_target, action, Some(digest))?;
        Ok(())
    }

    fn dry_apply(&self, dir: &std::path::Path, objects: &[serde_json::Value]) -> Result<(), PhaseError> {
        let out = dir.join("api");
        std::fs::create_dir_all(&out).map_err(|e| PhaseError::failed(format!("cannot write {}: {e}", out.display()), "check the temporary folder"))?;
        for object in objects {
            let target = ObjectRef::of(object)?;
            let file = out.join(format!("{}-{}-{}.yaml", target.gvk.kind.to_lowercase(), target.namespace.as_deref().unwrap_or("cluster"), target.name.replace(':', "_")));
            let yaml = serde_yaml::to_string(object).expect("JSON values serialize as YAML");
            std::fs::write(&file, yaml).map_err(|e| PhaseError::failed(format!("cannot write {}: {e}", file.display()), "check the temporary folder"))?;
            self.log(format!("would apply {target}"));
        }
        Ok(())
    }

    /// Asks the decider; with no answer, fails naming the key that settles it.
    pub async fn decide(&self, question: &str, choices: Vec<String>, config_key: &str) -> Result<String, PhaseError> {
        self.ctx.events.emit(Event::DecisionNeeded {
            phase: self.phase.into(),
            question: question.into(),
            choices: choices.clone(),
            config_key: config_key.into(),
        });
        match self.ctx.decider.decide(question, &choices).await {
            Some(answer) => Ok(answer),
            None => Err(PhaseError::Decision { question: question.into(), choices, config_key: config_key.into() }),
        }
    }
}
