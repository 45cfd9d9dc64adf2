//! `preflight`: checks that catch a failing install before it changes anything.

use async_trait::async_trait;

use crate::engine::{Change, Context, Phase, PhaseCtx, PhaseError};

pub struct Preflight;

#[async_trait]
impl Phase for Preflight {
    fn id(&self) -> &'static str {
        "preflight"
    }
    fn title(&self) -> &'static str {
        "Run pre-flight checks"
    }
    fn plan(&self, _ctx: &Context) -> Vec<Change> {
        vec![]
    }
    async fn run(&self, ctx: &PhaseCtx<'_>) -> Result<(), PhaseError> {
        if ctx.gate().is_dry_run() {
            ctx.warn("the preflight check catalogue is not built yet; this dry run checked nothing on the host", Some("see `kubelift preflight` once it is available".into()));
            return Ok(());
        }
        Err(PhaseError::NotAvailable { what: "phase preflight".into(), why: "the check catalogue is not built yet (preflight issue); skip it knowingly with --skip-phases=preflight".into() })
    }
}
