//! The guided terminal UI: a second renderer of the engine's events, and the
//! `Decider` that answers its questions. Screens: welcome → preflight →
//! choices → review → progress → done, and the join wizard.
//!
//! `app` holds the state and the pure `update`; `view` and the screen modules
//! draw it; `run` is the event loop; `driver` does the I/O; `keys` is the one
//! key registry.

pub mod app;
pub mod choices;
pub mod clipboard;
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

use std::path::Path;
use std::sync::Arc;

use crate::cli::args::{Global, InitArgs, JoinArgs};
use crate::cli::workflow;
use crate::exit;
use app::{App, Screen, Session};
use driver::{Driver, PreflightFixer};
use host::HostFacts;

/// `kubelift init` at a terminal.
pub fn init(g: &Global, args: &InitArgs, log_file: Option<&Path>) -> u8 {
    start(g, args, &JoinArgs::default(), Screen::Welcome, log_file)
}

/// `kubelift join` at a terminal: straight to the join wizard.
pub fn join(g: &Global, args: &JoinArgs, log_file: Option<&Path>) -> u8 {
    start(g, &InitArgs::default(), args, Screen::Join, log_file)
}

fn start(g: &Global, init_args: &InitArgs, join_args: &JoinArgs, screen: Screen, log_file: Option<&Path>) -> u8 {
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
    app.screen = screen;
    let global = g.clone();
    let result = workflow::runtime().block_on(run::run(app, move |tx, started| Driver::new(global.clone(), crate::phases::init, Arc::new(PreflightFixer::new(&global.root, global.dry_run)), tx, started)));
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
