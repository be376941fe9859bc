//! Bootstrap only: parse the command line, set up logging, run the command,
//! and turn any error into one clear message and a non-zero exit.

use clap::Parser;
use std::process::ExitCode;

use policybot::cli::{self, Cli, Setup};
use policybot::config::LogFormat;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let setup = match Setup::new(&cli.global) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    init_logging(setup.config.logging.format);
    match cli::run(cli, setup) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr (stdout is the chat and command output), filtered by
/// RUST_LOG, in JSON when the config asks for it.
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}
