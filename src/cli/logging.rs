//! Logs go to a file (--log-file) and, with -vv, to stderr; never into the
//! event stream's stdout, so JSON output stays machine-readable.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer};

use super::args::Global;

pub fn init(g: &Global) -> Result<Option<WorkerGuard>, String> {
    let stderr_level = if g.verbose >= 2 { "debug" } else { "off" };
    let stderr = fmt::layer().with_writer(std::io::stderr).with_filter(EnvFilter::new(stderr_level));
    let (file, guard) = match &g.log_file {
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
    Ok(guard)
}
