//! Logs go to a file (--log-file) and, with -vv, to stderr; never into the
//! event stream's stdout, so JSON output stays machine-readable. While the
//! terminal UI owns the screen nothing may reach stderr either, so the TUI
//! always logs to a file (a default one when --log-file is not given).

use std::path::PathBuf;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer};

use super::args::Global;

/// Where the TUI logs when --log-file is not given.
pub fn default_tui_log() -> PathBuf {
    std::env::temp_dir().join("kubelift.log")
}

/// Keeps the file writer alive; `path` is the log file, if any.
pub struct Logs {
    pub path: Option<PathBuf>,
    _guard: Option<WorkerGuard>,
}

pub fn init(g: &Global, tui: bool) -> Result<Logs, String> {
    let stderr_level = if g.verbose >= 2 && !tui { "debug" } else { "off" };
    let stderr = fmt::layer().with_writer(std::io::stderr).with_filter(EnvFilter::new(stderr_level));
    let path = g.log_file.clone().or_else(|| tui.then(default_tui_log));
    let (file, guard) = match &path {
        Some(path) => {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("--log-file {}: {e} (give a writable file path)", path.display()))?;
            let (writer, guard) = tracing_appender::non_blocking(f);
            let layer = fmt::layer().with_ansi(false).with_writer(writer).with_filter(EnvFilter::new("debug"));
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    tracing_subscriber::registry().with(stderr).with(file).try_init().map_err(|e| e.to_string())?;
    Ok(Logs { path, _guard: guard })
}
