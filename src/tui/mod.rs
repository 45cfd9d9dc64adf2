//! The guided terminal UI: a second renderer of the engine's events, and the
//! `Decider` that answers its questions. Screens: welcome → preflight →
//! choices → review → progress → done; the join wizard (form → progress →
//! done); reset (plan → typed confirmation → progress → result); the CSR
//! screen (live list → details → approve/deny dialogs).
//!
//! `app` holds the state and the pure `update`; `view` and the screen modules
//! draw it; `run` is the event loop; `driver` does the I/O; `keys` is the one
//! key registry.

pub mod app;
pub mod choices;
pub mod clipboard;
pub mod csr;
pub mod done;
pub mod driver;
pub mod form;
pub mod host;
pub mod join;
pub mod join_done;
pub mod keys;
pub mod preflight;
pub mod progress;
pub mod reset;
pub mod reset_done;
pub mod review;
pub mod run;
pub mod theme;
pub mod view;
pub mod welcome;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::args::{Global, InitArgs, JoinArgs, ResetArgs};
use crate::cli::{reset_cmd, workflow};
use crate::exit;
use app::{App, Cmd, Screen, Session};
use driver::{Driver, PreflightFixer};
use host::HostFacts;

/// `kubelift init` at a terminal.
pub fn init(g: &Global, args: &InitArgs, log_file: Option<&Path>) -> u8 {
    start(g, Entry { init: args.clone(), ..Entry::default() }, log_file, |app| {
        app.screen = Screen::Welcome;
        vec![]
    })
}

/// `kubelift join` at a terminal: straight to the join wizard, flags prefilled.
pub fn join(g: &Global, args: &JoinArgs, log_file: Option<&Path>) -> u8 {
    start(g, Entry { join: args.clone(), ..Entry::default() }, log_file, |app| {
        app.screen = Screen::Join;
        vec![]
    })
}

/// `kubelift reset` at a terminal: straight to the reset plan.
pub fn reset(g: &Global, args: &ResetArgs, log_file: Option<&Path>) -> u8 {
    if let Some(error) = reset_cmd::unknown_phases(args) {
        eprintln!("error: {error}");
        return exit::INVALID;
    }
    start(g, Entry { reset: args.clone(), ..Entry::default() }, log_file, reset::open)
}

/// `kubelift csr` at a terminal: straight to the CSR screen; Esc leaves.
pub fn csr(g: &Global, kubeconfig: Option<PathBuf>, checks: crate::csr::Policy, log_file: Option<&Path>) -> u8 {
    let root = g.root.clone();
    start(g, Entry::default(), log_file, move |app| {
        let (screen, cmd) = csr::CsrScreen::open(checks, app.session.dry_run, kubeconfig, root);
        app.csr = screen;
        app.csr_back = None;
        app.screen = Screen::Csr;
        vec![Cmd::Csr(cmd)]
    })
}

/// The flags of the command that opened the TUI (the others at their defaults).
struct Entry {
    init: InitArgs,
    join: JoinArgs,
    reset: ResetArgs,
}

impl Default for Entry {
    fn default() -> Self {
        Entry { init: InitArgs::default(), join: JoinArgs::default(), reset: reset_cmd::default_args() }
    }
}

/// Runs the TUI; `open` puts it on its first screen and returns that screen's commands.
fn start(g: &Global, entry: Entry, log_file: Option<&Path>, open: impl FnOnce(&mut App) -> Vec<Cmd>) -> u8 {
    // A config file that does not read is reported before the screen is taken.
    let bases = workflow::base_settings(&entry.init).and_then(|init| Ok((init, workflow::join_base(&entry.join)?)));
    let (base, join_base) = match bases {
        Ok(bases) => bases,
        Err(errors) => {
            workflow::report_config_errors(g, &errors);
            return exit::INVALID;
        }
    };
    let session = Session {
        dry_run: g.dry_run,
        root: g.root.display().to_string(),
        log_file: log_file.map(|p| p.display().to_string()),
        host: HostFacts::detect(&g.root),
        base,
        join_base,
    };
    let mut app = App::new(session, theme::Theme::from_env());
    let first = open(&mut app);
    let (global, reset_args) = (g.clone(), entry.reset);
    let make_driver = move |tx, started| {
        let fixer = Arc::new(PreflightFixer::new(&global.root, global.dry_run));
        Driver::new(global.clone(), crate::phases::init, fixer, tx, started).with_reset_args(reset_args)
    };
    let result = workflow::runtime().block_on(run::run(app, first, make_driver));
    match result {
        Ok(app) => farewell(&app),
        Err(e) => {
            eprintln!("kubelift: the terminal UI stopped: {e}");
            exit::PHASE_FAILED
        }
    }
}

/// What stays on the terminal after the TUI closes, and the exit code.
fn farewell(app: &App) -> u8 {
    if let Some(log) = &app.session.log_file {
        eprintln!("kubelift: logs are in {log}");
    }
    match app.screen {
        Screen::Done => println!("Join worker nodes with:\n  {}", app.done.worker_join()),
        Screen::JoinDone if app.session.dry_run => println!("kubelift: the join dry run went through every phase; nothing on this machine changed."),
        Screen::JoinDone => println!("This node has joined the cluster. On a control-plane node: kubectl get nodes"),
        Screen::ResetDone if app.session.dry_run => println!("kubelift: the reset dry run went through every phase; nothing on this machine changed."),
        Screen::ResetDone => println!("This machine was reset."),
        _ => {}
    }
    let run = app.run_progress().unwrap_or(&app.progress);
    match &run.finished {
        Some(f) => workflow::exit_code(f.status, None),
        None if app.busy() => exit::PHASE_FAILED,
        None => exit::OK,
    }
}
