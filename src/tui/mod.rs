//! The guided terminal UI: a second renderer of the engine's events, and the
//! `Decider` that answers its questions. Screens: welcome → preflight →
//! choices → review → progress → done, the join wizard, and the CSR screen.
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
pub mod keys;
pub mod preflight;
pub mod progress;
pub mod review;
pub mod run;
pub mod theme;
pub mod view;
pub mod welcome;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::args::{Global, InitArgs, JoinArgs};
use crate::cli::workflow;
use crate::exit;
use app::{App, Screen, Session};
use driver::{Driver, PreflightFixer};
use host::HostFacts;

/// `kubelift init` at a terminal.
pub fn init(g: &Global, args: &InitArgs, log_file: Option<&Path>) -> u8 {
    start(g, args, &JoinArgs::default(), log_file, |app| {
        app.screen = Screen::Welcome;
        vec![]
    })
}

/// `kubelift join` at a terminal: straight to the join wizard.
pub fn join(g: &Global, args: &JoinArgs, log_file: Option<&Path>) -> u8 {
    start(g, &InitArgs::default(), args, log_file, |app| {
        app.screen = Screen::Join;
        vec![]
    })
}

/// `kubelift csr` at a terminal: straight to the CSR screen; Esc leaves.
pub fn csr(g: &Global, kubeconfig: Option<PathBuf>, checks: crate::csr::Policy, log_file: Option<&Path>) -> u8 {
    let root = g.root.clone();
    start(g, &InitArgs::default(), &JoinArgs::default(), log_file, move |app| {
        let (screen, cmd) = csr::CsrScreen::open(checks, app.session.dry_run, kubeconfig, root);
        app.csr = screen;
        app.csr_back = None;
        app.screen = Screen::Csr;
        vec![app::Cmd::Csr(cmd)]
    })
}

/// Runs the TUI; `open` puts it on its first screen and returns that screen's commands.
fn start(g: &Global, init_args: &InitArgs, join_args: &JoinArgs, log_file: Option<&Path>, open: impl FnOnce(&mut App) -> Vec<app::Cmd>) -> u8 {
    // A config file that does not read is reported before the screen is taken.
    let base = match workflow::base_settings(init_args) {
        Ok(base) => base,
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
    };
    let mut app = App::new(session, join_args, theme::Theme::from_env());
    let first = open(&mut app);
    let global = g.clone();
    let result = workflow::runtime().block_on(run::run(app, first, move |tx, started| Driver::new(global.clone(), crate::phases::init, Arc::new(PreflightFixer::new(&global.root, global.dry_run)), tx, started)));
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
    if app.screen == Screen::Done {
        println!("Join worker nodes with:\n  {}", app.done.worker_join());
    }
    match &app.progress.finished {
        Some(f) => workflow::exit_code(f.status, None),
        None if app.progress.running => exit::PHASE_FAILED,
        None => exit::OK,
    }
}
