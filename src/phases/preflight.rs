//! `preflight`: checks that catch a failing install before it changes anything.
//!
//! Runs init's check catalogue (crate::preflight) on this machine. Error-level
//! failures fail the phase, naming the `--ignore-preflight-errors=` that would
//! let it pass; in a dry run they are reported as warnings and the phase
//! passes, so a dry run works on a machine without kubelet or runtime.

use async_trait::async_trait;
use std::sync::Arc;

use crate::config::HostDefaults;
use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError, Settings};
use crate::preflight::input::socket_path;
use crate::preflight::{self, CheckInput, Host, IgnoreList, Options, RealHost};

pub struct Preflight;

/// The config key that settles which CRI socket to use.
pub const CRI_SOCKET_KEY: &str = "nodeRegistration.criSocket";

#[async_trait]
impl Phase for Preflight {
    fn id(&self) -> &'static str {
        "preflight"
    }
    fn title(&self) -> &'static str {
        "Run pre-flight checks"
    }
    fn plan(&self, _ctx: &Context) -> Vec<Change> {
        // Checks only read the machine; fixes are a separate, explicit step.
        vec![]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        let root = ctx.gate().root().to_path_buf();
        let dry_run = ctx.gate().is_dry_run();
        let sockets = HostDefaults::detect(&root).cri_sockets;
        let (mut input, ignored) = match &ctx.ctx.settings {
            Settings::Init(s) => (CheckInput::for_init(s, &sockets), s.init.node_registration.ignore_preflight_errors.clone()),
            Settings::Join(j) => (CheckInput::for_join(j, &sockets), j.join.node_registration.ignore_preflight_errors.clone()),
        };
        input.dry_run = dry_run;
        if input.cri_socket.is_none() {
            input.cri_socket = Some(socket_path(&choose_cri_socket(ctx, &input).await?));
        }
        let host: Arc<dyn Host> = Arc::new(RealHost::new(&root));
        let ignore = IgnoreList::new(&ignored);
        let unknown: Vec<String> = ignore.unknown(&preflight::checks::plan(&input)).into_iter().map(String::from).collect();
        if !unknown.is_empty() {
            ctx.warn(format!("--ignore-preflight-errors names {}, which is no check of this workflow", unknown.join(", ")), Some("`kubelift preflight --output json` lists the check names".into()));
        }
        let report = preflight::run(host, Arc::new(input), &Options { ignore, dry_run }, &ctx.ctx.events).await;
        let failed = report.failed();
        if !failed.is_empty() {
            return Err(PhaseError::failed(format!("[preflight] Some fatal errors occurred: {} error-level check(s) failed: {}", failed.len(), failed.join(", ")), preflight::ignore_hint(&failed)));
        }
        let would_fail = report.would_fail();
        if dry_run && !would_fail.is_empty() {
            ctx.warn(
                format!("{} error-level check(s) failed and are reported as warnings because this is a dry run; a real run stops here: {}", would_fail.len(), would_fail.join(", ")),
                Some(preflight::ignore_hint(&would_fail)),
            );
        }
        Ok(())
    }
}

/// Several runtimes found and none configured: the TUI asks; headless fails naming the key.
async fn choose_cri_socket(ctx: &PhaseCtx<'_>, input: &CheckInput) -> Result<String, PhaseError> {
    let choices: Vec<String> = input.cri_candidates.iter().map(|c| format!("unix://{c}")).collect();
    let question = format!("Found several CRI sockets ({}). Which container runtime should the kubelet use?", choices.join(", "));
    ctx.decide(&question, choices, CRI_SOCKET_KEY).await
}
