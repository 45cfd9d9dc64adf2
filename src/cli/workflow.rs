//! `kubelift init` and `kubelift phase`, headless: settings → engine → renderer.

use std::path::Path;
use std::sync::Arc;

use super::args::{Global, InitArgs, Output};
use crate::config::{ConfigErrors, HostDefaults, InitOverrides, InitSettings};
use crate::engine::{self, Context, Event, EventSink, NoDecisions, RunOptions, RunStatus, Settings, WriteGate};
use crate::exit;
use crate::headless::{self, Format};
use crate::phases;
use crate::secret::SecretString;

/// Environment hook for the engine tests: fail the named phase on purpose.
pub const FAIL_PHASE_ENV: &str = "KUBELIFT_TEST_FAIL_PHASE";

pub fn overrides(a: &InitArgs) -> InitOverrides {
    InitOverrides {
        advertise_address: a.apiserver_advertise_address.clone(),
        bind_port: a.apiserver_bind_port,
        node_name: a.node_name.clone(),
        cri_socket: a.cri_socket.clone(),
        kubernetes_version: a.kubernetes_version.clone(),
        control_plane_endpoint: a.control_plane_endpoint.clone(),
        pod_network_cidr: a.pod_network_cidr.clone(),
        service_cidr: a.service_cidr.clone(),
        service_dns_domain: a.service_dns_domain.clone(),
        cert_sans: a.apiserver_cert_extra_sans.clone(),
        cert_dir: a.cert_dir.clone(),
        image_repository: a.image_repository.clone(),
        token: a.token.as_deref().map(SecretString::from),
        token_ttl: a.token_ttl.clone(),
        certificate_key: a.certificate_key.as_deref().map(SecretString::from),
        encryption_algorithm: a.encryption_algorithm.clone(),
        skip_phases: a.skip_phases.clone(),
        ignore_preflight_errors: a.ignore_preflight_errors.clone(),
        upload_certs: a.upload_certs,
    }
}

/// Reads the file (or starts from defaults), applies the flags, defaults and validates.
pub fn init_settings(root: &Path, a: &InitArgs) -> Result<InitSettings, ConfigErrors> {
    let mut settings = match &a.config {
        Some(path) => InitSettings::load(path)?,
        None => InitSettings::empty(),
    };
    settings.apply(&overrides(a));
    settings.resolve(&HostDefaults::detect(root))
}

pub fn report_config_errors(g: &Global, errors: &ConfigErrors) {
    let event = Event::ConfigInvalid { file: errors.file.clone(), errors: errors.errors.clone() };
    match g.output {
        Output::Json => {
            let (sink, mut rx) = EventSink::channel();
            sink.emit(event);
            if let Ok(envelope) = rx.try_recv() {
                headless::print_json(&envelope);
            }
        }
        Output::Text => eprint!("{errors}"),
    }
}

pub(super) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime starts")
}

/// `init`, or with `only` set, `phase ID`.
pub fn init(g: &Global, args: &InitArgs, only: Option<&str>) -> u8 {
    let settings = match init_settings(&g.root, args) {
        Ok(s) => s,
        Err(errors) => {
            report_config_errors(g, &errors);
            return exit::INVALID;
        }
    };
    let phases = phases::init();
    let only_selector = only.map(String::from);
    let selectors = settings.init.skip_phases.iter().chain(only_selector.as_ref());
    let unknown = engine::runner::unknown_selectors(&phases, selectors);
    if !unknown.is_empty() {
        eprintln!("error: unknown phase {} (fix: see `kubelift phase --list` for init's phases)", unknown.join(", "));
        return exit::INVALID;
    }
    let options = RunOptions {
        workflow: "init".into(),
        skip: settings.init.skip_phases.clone(),
        only: only.map(String::from),
        config_fingerprint: settings.fingerprint(),
        fail_at: std::env::var(FAIL_PHASE_ENV).ok(),
        ephemeral: false,
    };
    let gate = match if g.dry_run { WriteGate::dry_run(&g.root, "init") } else { WriteGate::apply(&g.root, "init") } {
        Ok(gate) => gate,
        Err(e) => {
            eprintln!("error: {e}\n  hint: {}", e.hint());
            return exit::INVALID;
        }
    };
    let warnings = settings.warnings.clone();
    run(g, Settings::Init(Arc::new(settings)), gate, &phases, &options, warnings)
}

pub(super) fn run(g: &Global, settings: Settings, gate: Arc<WriteGate>, phases: &[Box<dyn engine::Phase>], options: &RunOptions, warnings: Vec<String>) -> u8 {
    let format = match g.output {
        Output::Json => Format::Json,
        Output::Text => Format::Text,
    };
    let rt = runtime();
    let report = rt.block_on(async {
        let (sink, rx) = EventSink::channel();
        let renderer = tokio::spawn(headless::render(rx, headless::Options { format, verbosity: g.verbose }));
        for message in warnings {
            sink.emit(Event::Warning { phase: String::new(), message, hint: None });
        }
        let ctx = Context::new(settings, gate, sink, Arc::new(NoDecisions));
        let report = engine::run(phases, &ctx, options).await;
        drop(ctx);
        let _ = renderer.await;
        report
    });
    match report.status {
        RunStatus::Succeeded | RunStatus::AlreadyDone => exit::OK,
        RunStatus::Failed if report.failed_phase.as_deref() == Some("preflight") => exit::PREFLIGHT_FAILED,
        RunStatus::Failed => exit::PHASE_FAILED,
        RunStatus::NeedsDecision => exit::DECISION_NEEDED,
        RunStatus::NotAvailable => exit::NOT_AVAILABLE,
    }
}

pub fn list_phases(g: &Global) -> u8 {
    let phases = phases::init();
    match g.output {
        Output::Json => {
            let list: Vec<_> = phases.iter().map(|p| serde_json::json!({ "id": p.id(), "title": p.title(), "needs": p.needs() })).collect();
            println!("{}", serde_json::Value::Array(list));
        }
        Output::Text => {
            let width = phases.iter().map(|p| p.id().len()).max().unwrap_or(0);
            for p in &phases {
                println!("{:width$}  {}", p.id(), p.title());
            }
        }
    }
    exit::OK
}
