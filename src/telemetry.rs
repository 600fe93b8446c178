//! Logging: human-readable lines on a terminal, JSON for log shippers.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. Logs go to standard error; standard
/// output is left to the command's own output.
pub fn init(level: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text if std::io::stderr().is_terminal() => builder
            .compact()
            .with_target(false)
            .without_time()
            .try_init(),
        LogFormat::Text => builder.with_ansi(false).try_init(),
    };
}
