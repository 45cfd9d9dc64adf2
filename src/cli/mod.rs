//! The `kubelift` command: parse, pick a renderer, run, map to an exit code.

pub mod args;
mod config_cmd;
mod csr_cmd;
mod logging;
mod preflight_cmd;
mod workflow;

use clap::{CommandFactory, Parser};
use std::io::IsTerminal;
use std::process::ExitCode;

use crate::exit;
use args::{Cli, Command, Global, Output};

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let _logs = match logging::init(&cli.global) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(exit::INVALID);
        }
    };
    ExitCode::from(dispatch(cli))
}

fn dispatch(cli: Cli) -> u8 {
    let g = &cli.global;
    match cli.command {
        Command::Init(args) => {
            if wants_tui(g) {
                return not_available("the guided terminal UI of `kubelift init`", "run `kubelift init --non-interactive` for the headless mode");
            }
            workflow::init(g, &args, None)
        }
        Command::Phase(args) if args.list => workflow::list_phases(g),
        Command::Phase(args) => workflow::init(g, &args.init, args.id.as_deref()),
        Command::Config(c) => config_cmd::run(g, c),
        Command::Version => version(g),
        Command::Completion { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "kubelift", &mut std::io::stdout());
            exit::OK
        }
        Command::Join(_) => not_available("`kubelift join`", "discovery and TLS bootstrap arrive with the join issue; `kubeadm join` works against a kubelift control plane meanwhile"),
        Command::Reset(_) => not_available("`kubelift reset`", "it arrives with the day-2 issue; the journal at /var/lib/kubelift/journal.json lists every file kubelift wrote"),
        Command::Token(_) => not_available("`kubelift token`", "it arrives with the control-plane bring-up issue"),
        Command::Certs(_) => not_available("`kubelift certs`", "it arrives with the certificates issue"),
        Command::Csr(args) => csr_cmd::run(g, &args),
        Command::Preflight(args) => preflight_cmd::run(g, &args),
    }
}

/// The TUI opens only for a person at a terminal who did not ask for JSON.
fn wants_tui(g: &Global) -> bool {
    !g.non_interactive && g.output == Output::Text && std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

/// Says plainly that a command is not built, and exits 64: never a fake success.
fn not_available(what: &str, meanwhile: &str) -> u8 {
    eprintln!("kubelift: {what} is not available yet in this version ({}).\n  meanwhile: {meanwhile}", env!("CARGO_PKG_VERSION"));
    exit::NOT_AVAILABLE
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
