//! `kubelift init` and `kubelift phase`, headless: settings → engine → renderer.
//! The pieces that build settings, gate and options are shared with the TUI.

use std::path::Path;
use std::sync::Arc;

use super::args::{Global, InitArgs, JoinArgs, Output, TlsBootstrap};
use crate::config::{ConfigErrors, HostDefaults, InitOverrides, InitSettings, JoinOverrides, JoinSettings};
use crate::engine::gate::GateError;
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
        pod_network_manifest: a.pod_network_manifest.clone(),
    }
}

/// Reads the file (or starts from defaults) and applies the flags, before
/// defaulting: the TUI's form starts from this and adds its answers.
pub fn base_settings(a: &InitArgs) -> Result<InitSettings, ConfigErrors> {
    let mut settings = match &a.config {
        Some(path) => InitSettings::load(path)?,
        None => InitSettings::empty(),
    };
    settings.apply(&overrides(a));
    Ok(settings)
}

/// Reads the file (or starts from defaults), applies the flags, defaults and validates.
pub fn init_settings(root: &Path, a: &InitArgs) -> Result<InitSettings, ConfigErrors> {
    base_settings(a)?.resolve(&HostDefaults::detect(root))
}

/// The gate a run writes through: `--dry-run` and `--root` decide which.
pub fn gate(g: &Global, workflow: &str) -> Result<Arc<WriteGate>, GateError> {
    if g.dry_run {
        WriteGate::dry_run(&g.root, workflow)
    } else {
        WriteGate::apply(&g.root, workflow)
    }
}

/// The run's gate, or the exit code after saying why it cannot be opened.
fn open_gate(g: &Global, workflow: &str) -> Result<Arc<WriteGate>, u8> {
    gate(g, workflow).map_err(|e| {
        eprintln!("error: {e}\n  hint: {}", e.hint());
        exit::INVALID
    })
}

/// Phase names in --skip-phases (and `phase ID`) that match no init phase.
pub fn unknown_phases(phases: &[Box<dyn engine::Phase>], settings: &InitSettings, only: Option<&str>) -> Vec<String> {
    let only_selector = only.map(String::from);
    let selectors = settings.init.skip_phases.iter().chain(only_selector.as_ref());
    engine::runner::unknown_selectors(phases, selectors)
}

/// How an init run is driven: skips from the settings, resume by fingerprint.
pub fn init_options(settings: &InitSettings, only: Option<&str>) -> RunOptions {
    RunOptions {
        workflow: "init".into(),
        skip: settings.init.skip_phases.clone(),
        only: only.map(String::from),
        config_fingerprint: settings.fingerprint(),
        fail_at: std::env::var(FAIL_PHASE_ENV).ok(),
        ephemeral: false,
    }
}

/// The exit code of a finished run (docs/cli.md).
/// The exit code of a finished run; a failed preflight phase has its own (3).
pub fn exit_code(status: RunStatus, failed_phase: Option<&str>) -> u8 {
    match status {
        RunStatus::Succeeded | RunStatus::AlreadyDone => exit::OK,
        RunStatus::Failed if failed_phase == Some("preflight") => exit::PREFLIGHT_FAILED,
        RunStatus::Failed => exit::PHASE_FAILED,
        RunStatus::NeedsDecision => exit::DECISION_NEEDED,
        RunStatus::NotAvailable => exit::NOT_AVAILABLE,
    }
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

pub fn runtime() -> tokio::runtime::Runtime {
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
    let unknown = unknown_phases(&phases, &settings, only);
    if !unknown.is_empty() {
        eprintln!("error: unknown phase {} (fix: see `kubelift phase --list` for init's phases)", unknown.join(", "));
        return exit::INVALID;
    }
    let options = init_options(&settings, only);
    let gate = match open_gate(g, "init") {
        Ok(gate) => gate,
        Err(code) => return code,
    };
    let warnings = settings.warnings.clone();
    let settings = Arc::new(settings);
    let code = run(g, Settings::Init(settings.clone()), gate.clone(), &phases, &options, warnings);
    if code == exit::OK && only.is_none() && g.output == Output::Text {
        print_next_steps(&settings, &gate);
    }
    code
}

/// What kubeadm prints after a successful init: how to use the cluster and
/// how to join it. Text only: the token is a secret, and JSON consumers ask
/// for it by name (`kubelift token create --print-join-command -o json`).
fn print_next_steps(s: &InitSettings, gate: &WriteGate) {
    let ca = gate.read(&format!("{}/ca.crt", s.cluster.certificates_dir)).ok().flatten();
    let hash = ca.and_then(|pem| pem::parse(pem).ok()).and_then(|p| crate::discovery::pin::hash_string(p.contents())).unwrap_or_else(|| "<see kubelift token create --print-join-command>".into());
    let token = s.init.bootstrap_tokens.first().map(|t| t.token.expose().to_string()).unwrap_or_default();
    let endpoint = s.control_plane_endpoint();
    if gate.is_dry_run() {
        println!("\nThis was a dry run: nothing on this machine changed. A real run ends like this:");
    }
    println!("\nYour Kubernetes control-plane has initialized successfully!\n");
    println!("To start using your cluster, as root:\n  export KUBECONFIG=/etc/kubernetes/admin.conf\nor as a regular user:\n  mkdir -p $HOME/.kube && sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config && sudo chown $(id -u):$(id -g) $HOME/.kube/config\n");
    println!("Then install a pod network add-on (kubectl apply -f <its manifest>; docs/init.md lists choices).\n");
    println!("Join worker nodes by running on each as root (kubeadm join takes the same flags):\n  kubelift join {endpoint} --token {token} \\\n    --discovery-token-ca-cert-hash {hash}");
    if s.upload_certs || !s.cluster.control_plane_endpoint.is_empty() {
        println!("\nJoin more control-plane nodes with the same command plus:\n    --control-plane --certificate-key <the key printed by `kubelift certs certificate-key` and uploaded with `kubelift phase upload-certs --upload-certs --certificate-key KEY`>");
    }
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
    exit_code(report.status, report.failed_phase.as_deref())
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

pub fn join_overrides(a: &JoinArgs) -> JoinOverrides {
    JoinOverrides {
        endpoint: a.endpoint.clone(),
        token: a.token.as_deref().map(SecretString::from),
        discovery_token: a.discovery_token.as_deref().map(SecretString::from),
        tls_bootstrap_token: a.tls_bootstrap_token.as_deref().map(SecretString::from),
        ca_cert_hashes: a.discovery_token_ca_cert_hash.clone(),
        unsafe_skip_ca_verification: a.discovery_token_unsafe_skip_ca_verification,
        discovery_file: a.discovery_file.clone(),
        control_plane: a.control_plane,
        certificate_key: a.certificate_key.as_deref().map(SecretString::from),
        advertise_address: a.apiserver_advertise_address.clone(),
        bind_port: a.apiserver_bind_port,
        node_name: a.node_name.clone(),
        cri_socket: a.cri_socket.clone(),
        ignore_preflight_errors: a.ignore_preflight_errors.clone(),
        skip_phases: a.skip_phases.clone(),
        kubelet_bootstraps: a.tls_bootstrap == TlsBootstrap::Kubelet,
    }
}

/// Reads the JoinConfiguration (or starts empty), applies the flags, defaults and validates.
pub fn join_settings(root: &std::path::Path, a: &JoinArgs) -> Result<JoinSettings, ConfigErrors> {
    join_base(a)?.resolve(&HostDefaults::detect(root))
}

/// The JoinConfiguration file (or nothing) with the flags applied, before
/// defaults: the TUI's join form starts from this and puts its answers in.
pub fn join_base(a: &JoinArgs) -> Result<JoinSettings, ConfigErrors> {
    let mut settings = match &a.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigErrors { file: path.display().to_string(), errors: vec![crate::config::FieldError::new("", "", format!("cannot read the file: {e}"), "check the path given to --config")] })?;
            JoinSettings::parse(&text, &path.display().to_string())?
        }
        None => JoinSettings::empty(),
    };
    settings.apply(&join_overrides(a));
    Ok(settings)
}

/// How a join run is driven: skips from the settings, resume by fingerprint.
pub fn join_options(settings: &JoinSettings) -> RunOptions {
    RunOptions {
        workflow: "join".into(),
        skip: settings.join.skip_phases.clone(),
        only: None,
        config_fingerprint: settings.fingerprint(),
        fail_at: std::env::var(FAIL_PHASE_ENV).ok(),
        ephemeral: false,
    }
}

/// Phase names in --skip-phases that match no join phase, as an error to show.
pub fn unknown_join_phases(phases: &[Box<dyn engine::Phase>], settings: &JoinSettings) -> Option<String> {
    let unknown = engine::runner::unknown_selectors(phases, settings.join.skip_phases.iter());
    (!unknown.is_empty()).then(|| format!("unknown phase {} (fix: join's phases are {})", unknown.join(", "), phases.iter().map(|p| p.id()).collect::<Vec<_>>().join(", ")))
}

/// `kubelift join`, headless.
pub fn join(g: &Global, args: &JoinArgs) -> u8 {
    let settings = match join_settings(&g.root, args) {
        Ok(s) => s,
        Err(errors) => {
            report_config_errors(g, &errors);
            return exit::INVALID;
        }
    };
    let phases = phases::join();
    if let Some(error) = unknown_join_phases(&phases, &settings) {
        eprintln!("error: {error}");
        return exit::INVALID;
    }
    let options = join_options(&settings);
    let gate = match open_gate(g, "join") {
        Ok(gate) => gate,
        Err(code) => return code,
    };
    let warnings = settings.warnings.clone();
    let settings = Arc::new(settings);
    let code = run(g, Settings::Join(settings.clone()), gate.clone(), &phases, &options, warnings);
    if code == exit::OK && g.output == Output::Text {
        print_join_next_steps(&settings, gate.is_dry_run());
    }
    code
}

/// What kubeadm prints after a successful join, for the scripts and people
/// who look for it.
fn print_join_next_steps(s: &JoinSettings, dry_run: bool) {
    if dry_run {
        println!("\nThis was a dry run: nothing on this machine changed. A real run ends like this:");
    }
    if s.join.control_plane.is_none() {
        println!("\nThis node has joined the cluster:\n* Certificate signing request was sent to apiserver and a response was received.\n* The Kubelet was informed of the new secure connection details.\n");
        println!("Run 'kubectl get nodes' on the control-plane to see this node join the cluster.");
        println!("Then approve its kubelet serving certificate there: kubelift csr approve --all-passing");
        return;
    }
    println!("\nThis node has joined the cluster and a new control plane instance was created:\n");
    println!("* Certificate signing request was sent to apiserver and approval was received.\n* The Kubelet was informed of the new secure connection details.\n* Control plane label and taint were applied to the new node.\n* The Kubernetes control plane instances scaled up.\n* A new etcd member was added to the local/stacked etcd cluster.\n");
    println!("To start administering your cluster from this node, you need to run the following as a regular user:\n\n\tmkdir -p $HOME/.kube\n\tsudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config\n\tsudo chown $(id -u):$(id -g) $HOME/.kube/config\n");
    println!("Run 'kubectl get nodes' to see this node join the cluster.");
}
