//! `kubelift reset`: plan from the journal (or kubeadm's paths), confirm, undo.
//!
//! Headless, reset acts only with `--force` (without it the run stops at the
//! question and exits 4, having changed nothing); `--dry-run` prints the plan.

use std::path::Path;
use std::sync::Arc;

use super::args::{Global, ResetArgs};
use super::workflow::{self, FAIL_PHASE_ENV};
use crate::engine::{self, RunOptions, Settings, WriteGate};
use crate::exit;
use crate::phases;
use crate::preflight::{Host, RealHost};
use crate::reset::{self, ResetOptions, ResetSettings};

pub fn run(g: &Global, args: &ResetArgs) -> u8 {
    let phases = phases::reset::phases();
    let unknown = engine::runner::unknown_selectors(&phases, &args.skip_phases);
    if !unknown.is_empty() {
        eprintln!("error: unknown phase {} (fix: reset's phases are preflight, remove-etcd-member, cleanup-node)", unknown.join(", "));
        return exit::INVALID;
    }
    let gate = match if g.dry_run { WriteGate::dry_run(&g.root, "reset") } else { WriteGate::apply(&g.root, "reset") } {
        Ok(gate) => gate,
        Err(e) => {
            eprintln!("error: {e}\n  hint: {}", e.hint());
            return exit::INVALID;
        }
    };
    let host: Arc<dyn Host> = Arc::new(RealHost::new(&g.root));
    let options = options(g, args, host.as_ref());
    let plan = reset::plan(&gate, host.as_ref(), &options);
    if !plan.from_journal {
        // No journal to keep up to date: a reset of kubeadm's paths leaves none behind.
        if let Err(e) = gate.retire_journal() {
            eprintln!("error: {e}\n  hint: {}", e.hint());
            return exit::INVALID;
        }
    }
    let run_options = RunOptions {
        workflow: "reset".into(),
        skip: args.skip_phases.clone(),
        // Every phase runs every time: reset is idempotent, and it must ask every time.
        only: Some("all".into()),
        config_fingerprint: "reset".into(),
        fail_at: std::env::var(FAIL_PHASE_ENV).ok(),
        ephemeral: true,
    };
    let settings = Settings::Reset(Arc::new(ResetSettings { options, plan, host }));
    workflow::run(g, settings, gate, &phases, &run_options, vec![])
}

fn options(g: &Global, args: &ResetArgs, host: &dyn Host) -> ResetOptions {
    let on_machine = g.root == Path::new("/");
    ResetOptions {
        force: args.force,
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
