//! The `kubelift` command: parse, pick a renderer, run, map to an exit code.

pub mod args;
mod certs_cmd;
mod config_cmd;
pub(crate) mod csr_cmd;
pub(crate) mod logging;
mod preflight_cmd;
pub(crate) mod reset_cmd;
mod token_cmd;
pub(crate) mod workflow;

use clap::{CommandFactory, Parser};
use std::io::IsTerminal;
use std::process::ExitCode;

use crate::exit;
use args::{Cli, Command, Global, Output};

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let tui = has_tui(&cli.command) && wants_tui(&cli.global);
    let logs = match logging::init(&cli.global, tui) {
        Ok(logs) => logs,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(exit::INVALID);
        }
    };
    ExitCode::from(dispatch(cli, tui, &logs))
}

fn dispatch(cli: Cli, tui: bool, logs: &logging::Logs) -> u8 {
    let g = &cli.global;
    match cli.command {
        Command::Init(args) if tui => crate::tui::init(g, &args, logs.path.as_deref()),
        Command::Init(args) => workflow::init(g, &args, None),
        Command::Join(args) if tui => crate::tui::join(g, &args, logs.path.as_deref()),
        Command::Phase(args) if args.list => workflow::list_phases(g),
        Command::Phase(args) => workflow::init(g, &args.init, args.id.as_deref()),
        Command::Config(c) => config_cmd::run(g, c),
        Command::Version => version(g),
        Command::Completion { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "kubelift", &mut std::io::stdout());
            exit::OK
        }
        Command::Join(args) => workflow::join(g, &args),
        Command::Reset(args) if tui => crate::tui::reset(g, &args, logs.path.as_deref()),
        Command::Reset(args) => reset_cmd::run(g, &args),
        Command::Token(c) => token_cmd::run(g, c),
        Command::Certs(c) => certs_cmd::run(g, c),
        Command::Kubeconfig(c) => certs_cmd::kubeconfig(g, c),
        Command::Csr(args) if tui => csr_cmd::screen(g, &args, logs.path.as_deref()),
        Command::Csr(args) => csr_cmd::run(g, &args),
        Command::Preflight(args) => preflight_cmd::run(g, &args),
    }
}

/// The commands with a TUI. `reset --force` has already answered the only
/// question reset asks, so it runs headless even at a terminal.
fn has_tui(command: &Command) -> bool {
    match command {
        Command::Init(_) | Command::Join(_) => true,
        Command::Reset(args) => !args.force,
        Command::Csr(args) => args.action.is_none(),
        _ => false,
    }
}

/// The TUI opens only for a person at a terminal who did not ask for JSON.
pub fn wants_tui(g: &Global) -> bool {
    !g.non_interactive && g.output == Output::Text && std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

fn version(g: &Global) -> u8 {
    let supported = crate::versions::supported_range();
    let default = &crate::versions::newest().release;
    match g.output {
        Output::Json => println!(
            "{}",
            serde_json::json!({ "kubelift": env!("CARGO_PKG_VERSION"), "kubernetes": { "supported": supported, "default": default } })
        ),
        Output::Text => println!("kubelift {}\nKubernetes {supported} (default {default})", env!("CARGO_PKG_VERSION")),
    }
    exit::OK
}
