//! `kubelift preflight [--for init|join] [--fix[=NAMES]]`: the checks alone,
//! and the safe fixes. Writes nothing unless --fix names something; exits 3
//! when an error-level check fails (after the fixes, when fixes were applied).

use std::path::Path;
use std::sync::Arc;

use super::args::{Global, InitArgs, Output, PreflightArgs};
use super::workflow::{self, report_config_errors};
use crate::config::{defaults, ConfigErrors, FieldError, HostDefaults, JoinSettings};
use crate::engine::event::{Event, FixStage};
use crate::engine::{EventSink, WriteGate};
use crate::exit;
use crate::headless::{self, Format};
use crate::preflight::fix::{self, FixOptions};
use crate::preflight::{self, CheckInput, Host, IgnoreList, Options, RealHost, PHASE};

pub fn run(g: &Global, args: &PreflightArgs) -> u8 {
    let host_defaults = HostDefaults::detect(&g.root);
    let (mut input, configured_ignores) = match build_input(g, args, &host_defaults) {
        Ok(x) => x,
        Err(errors) => {
            report_config_errors(g, &errors);
            return exit::INVALID;
        }
    };
    input.network_probes = args.network_probes;
    let fixes = match fix::select(&args.fix) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INVALID;
        }
    };
    let ignore = IgnoreList::new(configured_ignores.iter().chain(&args.ignore_preflight_errors));
    let host: Arc<dyn Host> = Arc::new(RealHost::new(&g.root));
    let format = if g.output == Output::Json { Format::Json } else { Format::Text };
    let rt = workflow::runtime();
    rt.block_on(async {
        let (sink, rx) = EventSink::channel();
        let renderer = tokio::spawn(headless::render(rx, headless::Options { format, verbosity: g.verbose }));
        let code = check_and_fix(g, host, input, ignore, &fixes, &sink).await;
        drop(sink);
        let _ = renderer.await;
        code
    })
}

async fn check_and_fix(g: &Global, host: Arc<dyn Host>, input: CheckInput, ignore: IgnoreList, fixes: &[&str], sink: &EventSink) -> u8 {
    if input.cri_socket.is_none() {
        // Headless: the question is reported, and the CRI check fails naming --cri-socket.
        sink.emit(Event::DecisionNeeded {
            phase: PHASE.into(),
            question: "Found several CRI sockets. Which container runtime should the kubelet use?".into(),
            choices: input.cri_candidates.iter().map(|c| format!("unix://{c}")).collect(),
            config_key: "nodeRegistration.criSocket (or --cri-socket)".into(),
        });
    }
    let unknown: Vec<String> = ignore.unknown(&preflight::checks::plan(&input)).into_iter().map(String::from).collect();
    if !unknown.is_empty() {
        sink.emit(Event::Warning { phase: PHASE.into(), message: format!("--ignore-preflight-errors names {}, which is no check of this workflow", unknown.join(", ")), hint: Some("the report below lists every check's name".into()) });
    }
    let input = Arc::new(input);
    let options = Options { ignore, dry_run: false };
    let mut report = preflight::run(host.clone(), input.clone(), &options, sink).await;
    if !fixes.is_empty() {
        let applied = match apply_fixes(g, host.as_ref(), &input, fixes, sink) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("error: {e}");
                return exit::INVALID;
            }
        };
        if applied > 0 && !g.dry_run {
            // Judge the machine as the fixes left it.
            report = preflight::run(host, input, &options, sink).await;
        }
    }
    if report.failed().is_empty() {
        exit::OK
    } else {
        exit::PREFLIGHT_FAILED
    }
}

/// Plans, shows and applies each fix; returns how many changed something.
fn apply_fixes(g: &Global, host: &dyn Host, input: &CheckInput, fixes: &[&str], sink: &EventSink) -> Result<usize, String> {
    let gate = if g.dry_run { WriteGate::dry_run(&g.root, "preflight") } else { WriteGate::apply(&g.root, "preflight") };
    let gate = gate.map_err(|e| format!("{e}\n  hint: {}", e.hint()))?;
    let options = FixOptions { run_commands: !g.dry_run && g.root == Path::new("/") };
    let mut applied = 0;
    for name in fixes {
        let emit = |stage, changes, detail| sink.emit(Event::Fix { phase: PHASE.into(), fix: name.to_string(), stage, changes, detail });
        let plan = match fix::plan(name, host, input) {
            Ok(Some(plan)) => plan,
            Ok(None) => {
                emit(FixStage::Planned, vec![], vec!["nothing to change".into()]);
                continue;
            }
            Err(e) => {
                emit(FixStage::Failed, vec![], vec![e]);
                continue;
            }
        };
        emit(FixStage::Planned, plan.changes(), plan.detail.clone());
        match fix::apply(&plan, &gate, host, options) {
            Ok(done) => {
                applied += 1;
                emit(FixStage::Applied, plan.changes(), done);
            }
            Err(e) => emit(FixStage::Failed, plan.changes(), vec![e]),
        }
    }
    if let Some(dir) = gate.dry_run_dir() {
        sink.emit(Event::Warning { phase: PHASE.into(), message: format!("dry run: the fixes wrote their files under {} and ran no command", dir.display()), hint: None });
    }
    Ok(applied)
}

/// The check input for `--for`, and the ignore list of the config file.
fn build_input(g: &Global, args: &PreflightArgs, host: &HostDefaults) -> Result<(CheckInput, Vec<String>), ConfigErrors> {
    if args.workflow == "join" {
        return join_input(args, host);
    }
    let init_args = InitArgs {
        config: args.config.clone(),
        cri_socket: args.cri_socket.clone(),
        node_name: args.node_name.clone(),
        apiserver_advertise_address: args.apiserver_advertise_address.clone(),
        kubernetes_version: args.kubernetes_version.clone(),
        pod_network_cidr: args.pod_network_cidr.clone(),
        service_cidr: args.service_cidr.clone(),
        ..InitArgs::default()
    };
    let settings = workflow::init_settings(&g.root, &init_args)?;
    let ignores = settings.init.node_registration.ignore_preflight_errors.clone();
    Ok((CheckInput::for_init(&settings, &host.cri_sockets), ignores))
}

/// Join: a JoinConfiguration is validated in full; without one, only the
/// node's own settings are defaulted (discovery is not needed to check a node).
fn join_input(args: &PreflightArgs, host: &HostDefaults) -> Result<(CheckInput, Vec<String>), ConfigErrors> {
    let mut settings = match &args.config {
        Some(path) => {
            let source = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| ConfigErrors {
                file: source.clone(),
                errors: vec![FieldError::new("", "", format!("cannot read the file: {e}"), "check the path given to --config")],
            })?;
            JoinSettings::parse(&text, &source)?
        }
        None => JoinSettings::empty(),
    };
    let nr = &mut settings.join.node_registration;
    if let Some(n) = &args.node_name {
        nr.name = n.clone();
    }
    if let Some(s) = &args.cri_socket {
        nr.cri_socket = s.clone();
    }
    let settings = if args.config.is_some() {
        settings.resolve(host)?
    } else {
        defaults::join_configuration(&mut settings.join, host, settings.version);
        settings
    };
    let ignores = settings.join.node_registration.ignore_preflight_errors.clone();
    Ok((CheckInput::for_join(&settings, &host.cri_sockets), ignores))
}
