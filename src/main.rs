//! Bootstrap only: parse the command line, set up logging, run the command,
//! and turn any error into one clear message and a non-zero exit.

use clap::Parser;
use std::process::ExitCode;

use policybot::cli::{self, Cli, Setup};
use policybot::config::LogFormat;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.command.as_ref().is_some_and(|c| !matches!(c, cli::Cmd::Run { .. })) {
        quiet_on_closed_pipe();
    }
    let setup = match Setup::new(&cli.global) {
        Ok(s) => s,
        Err(e) => {
            // The doctor's first line, in its own shape.
            if matches!(cli.command, Some(cli::Cmd::Doctor)) {
                println!(
                    "{}",
                    policybot::doctor::Check::new(policybot::doctor::Status::Fail, "config", format!("{e:#}"))
                );
            }
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

/// A one-shot command whose output is cut short (`policybot topics | head`)
/// ends quietly, as Unix tools do, instead of panicking in `println!`. Only
/// for one-shot commands: the running bot talks to the network, where a
/// closed connection must be an error to handle, not a signal that ends it.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition before any thread
    // starts; no handler runs Rust code.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Logs go to stderr (stdout is the chat and command output), filtered by
/// RUST_LOG, in JSON when the config asks for it.
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        // matrix-sdk logs every failed request at error level, and returns
        // the same error to the adapter, which logs it with what to do.
        .unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new("warn,matrix_sdk::http_client=off,matrix_sdk_crypto::backups=off")
        });
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}
