//! kubelift's exit codes (docs/cli.md).

/// The run did what was asked (or there was nothing to do).
pub const OK: u8 = 0;
/// A phase failed; the journal records where, and a re-run resumes there.
pub const PHASE_FAILED: u8 = 1;
/// The command line or the configuration is invalid; nothing was changed.
pub const INVALID: u8 = 2;
/// An error-level preflight check failed; nothing was changed.
pub const PREFLIGHT_FAILED: u8 = 3;
/// The run needs an answer that --non-interactive cannot give; set the named config key.
pub const DECISION_NEEDED: u8 = 4;
/// The command or phase is not built yet.
pub const NOT_AVAILABLE: u8 = 64;
