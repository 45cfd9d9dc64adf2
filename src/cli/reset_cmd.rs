//! `kubelift reset`: plan from the journal (or kubeadm's paths), confirm, undo.
//!
//! Headless, reset acts only with `--force` (without it the run stops at the
//! question and exits 4, having changed nothing); `--dry-run` prints the plan.
//! The TUI plans and runs through the same `prepare` and `run_options`.

use std::path::Path;
use std::sync::Arc;

use super::args::{Global, ResetArgs};
use super::workflow::{self, FAIL_PHASE_ENV};
use crate::engine::gate::GateError;
use crate::engine::{self, RunOptions, Settings, WriteGate};
use crate::exit;
use crate::phases;
use crate::preflight::{Host, RealHost};
use crate::reset::{self, ResetOptions, ResetSettings};

/// kubeadm's certificate folder: `--cert-dir`'s default.
pub const DEFAULT_CERT_DIR: &str = "/etc/kubernetes/pki";

/// `kubelift reset`'s flags as the command line defaults them (the TUI's Welcome → Reset).
pub fn default_args() -> ResetArgs {
    ResetArgs { cert_dir: DEFAULT_CERT_DIR.into(), ..ResetArgs::default() }
}

/// A reset ready to run: its gate and its plan, worked out in full.
pub struct Prepared {
    pub gate: Arc<WriteGate>,
    pub settings: Arc<ResetSettings>,
}

impl Prepared {
    /// Right before the run: a reset of kubeadm's paths keeps no journal up to date.
    pub fn retire_unused_journal(&self) -> Result<(), GateError> {
        if self.settings.plan.from_journal {
            return Ok(());
        }
        self.gate.retire_journal()
    }
}

/// Reset's phase names in `--skip-phases` that do not exist, as an error.
pub fn unknown_phases(args: &ResetArgs) -> Option<String> {
    let unknown = engine::runner::unknown_selectors(&phases::reset::phases(), &args.skip_phases);
    (!unknown.is_empty()).then(|| format!("unknown phase {} (fix: reset's phases are preflight, remove-etcd-member, cleanup-node)", unknown.join(", ")))
}

/// The gate and the whole plan. Changes nothing on the host.
/// `confirmed`: the user already agreed to the plan (the TUI's typed confirmation).
pub fn prepare(g: &Global, args: &ResetArgs, confirmed: bool) -> Result<Prepared, GateError> {
    let gate = if g.dry_run { WriteGate::dry_run(&g.root, "reset") } else { WriteGate::apply(&g.root, "reset") }?;
    let host: Arc<dyn Host> = Arc::new(RealHost::new(&g.root));
    let options = options(g, args, host.as_ref(), confirmed);
    let plan = reset::plan(&gate, host.as_ref(), &options);
    Ok(Prepared { gate, settings: Arc::new(ResetSettings { options, plan, host }) })
}

pub fn run_options(args: &ResetArgs) -> RunOptions {
    RunOptions {
        workflow: "reset".into(),
        skip: args.skip_phases.clone(),
        // Every phase runs every time: reset is idempotent, and it must ask every time.
        only: Some("all".into()),
        config_fingerprint: "reset".into(),
        fail_at: std::env::var(FAIL_PHASE_ENV).ok(),
        ephemeral: true,
    }
}

pub fn run(g: &Global, args: &ResetArgs) -> u8 {
    if let Some(error) = unknown_phases(args) {
        eprintln!("error: {error}");
        return exit::INVALID;
    }
    let prepared = match prepare(g, args, args.force).and_then(|p| p.retire_unused_journal().map(|()| p)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}\n  hint: {}", e.hint());
            return exit::INVALID;
        }
    };
    workflow::run(g, Settings::Reset(prepared.settings), prepared.gate, &phases::reset::phases(), &run_options(args), vec![])
}

fn options(g: &Global, args: &ResetArgs, host: &dyn Host, confirmed: bool) -> ResetOptions {
    let on_machine = g.root == Path::new("/");
    ResetOptions {
        force: args.force,
        confirmed: confirmed || args.force,
        cert_dir: args.cert_dir.clone(),
        cri_socket: args.cri_socket.clone(),
        keep_kubeconfig: args.keep_kubeconfig,
        run_commands: on_machine && !g.dry_run,
        inspect_machine: on_machine,
        homes: homes(host),
    }
}

/// $HOME, and the home of the user who ran sudo (whose ~/.kube/config is the one that matters).
fn homes(host: &dyn Host) -> Vec<String> {
    let mut homes: Vec<String> = host.env("HOME").filter(|h| h.starts_with('/')).into_iter().collect();
    if let Some(user) = host.env("SUDO_USER") {
        let passwd = host.read_file("/etc/passwd").map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        if let Some(home) = passwd.lines().map(|l| l.split(':').collect::<Vec<_>>()).find(|f| f.first() == Some(&user.as_str())).and_then(|f| f.get(5).map(|h| h.to_string())) {
            if !homes.contains(&home) {
                homes.push(home);
            }
        }
    }
    homes
}
