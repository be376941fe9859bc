//! Running the chat platforms: one tokio runtime, each configured platform
//! as a task over the same [`Bot`], SIGHUP to reload the knowledge, and
//! ctrl-c / SIGTERM to stop taking messages and exit cleanly.
//!
//! A stop ends the process within [`STOP_WITHIN`] whatever the platforms are
//! doing (connecting, retrying, replying): they are asked to stop, given
//! [`STOP_GRACE`], then cut off; replies in flight get what time is left. A
//! second signal exits at once. A platform that fails (its credentials
//! rejected, its task ending in an error) stops the others too and the
//! process exits non-zero naming it: a half-working bot that looks healthy
//! to its service manager is worse than a loud restart.

use anyhow::{Context, Result};
use std::sync::Arc;
use std::time::Duration;

use crate::adapters::Stop;
use crate::bot::Bot;
use crate::secrets::Secret;

/// Which platforms have what they need to start.
#[derive(Default)]
pub(crate) struct Platforms {
    pub discord: Option<Secret>,
    #[cfg(feature = "matrix")]
    pub matrix: Option<crate::adapters::matrix::Credential>,
    /// Directories this process holds for as long as it serves (the
    /// Matrix store): a second process is refused them.
    #[cfg_attr(not(feature = "matrix"), allow(dead_code))]
    pub held: Vec<crate::lock::DirInUse>,
}

impl Platforms {
    /// Reads the secrets of the platforms enabled in the config. A platform
    /// with a secret but compiled out is named in a warning, not skipped
    /// silently.
    pub(crate) fn from_env(bot: &Bot) -> Result<Platforms> {
        #[cfg_attr(not(any(feature = "discord", feature = "matrix")), allow(unused_mut))]
        let mut platforms = Platforms::default();
        if bot.config.discord.enabled
            && let Some(token) = crate::secrets::from_env("DISCORD_TOKEN")?
        {
            #[cfg(feature = "discord")]
            {
                crate::adapters::discord::check_token_format(&token)?;
                platforms.discord = Some(token);
            }
            #[cfg(not(feature = "discord"))]
            {
                drop(token);
                tracing::warn!("DISCORD_TOKEN is set but this build has no Discord support (feature `discord`)");
            }
        }
        let m = &bot.config.matrix;
        if m.enabled && m.homeserver.is_some() {
            #[cfg(feature = "matrix")]
            {
                platforms.matrix = crate::adapters::matrix::credential(m, &bot.config.data.dir)?;
                match platforms.matrix {
                    // Two processes on one store would both log in as one
                    // device, answer every message twice and tear the
                    // crypto store between them.
                    Some(_) => platforms.held.push(crate::lock::take(
                        &crate::adapters::matrix::session_dir(m, &bot.config.data.dir),
                        "Matrix store",
                    )?),
                    None => tracing::warn!(
                        "[matrix] is configured but neither MATRIX_PASSWORD nor MATRIX_ACCESS_TOKEN is set"
                    ),
                }
            }
            #[cfg(not(feature = "matrix"))]
            tracing::warn!("[matrix] is configured but this build has no Matrix support (feature `matrix`)");
        }
        Ok(platforms)
    }

    pub(crate) fn is_empty(&self) -> bool {
        #[cfg(feature = "matrix")]
        if self.matrix.is_some() {
            return false;
        }
        self.discord.is_none()
    }
}

/// From a stop signal to the process's end, at most (with nothing stuck in
/// the records database).
pub(crate) const STOP_WITHIN: Duration = Duration::from_secs(8);
/// How long platforms get to stop on their own before they are cut off.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// Serves every platform in `platforms` until a stop signal or until one of
/// them fails.
pub(crate) fn serve(bot: Arc<Bot>, platforms: Platforms) -> Result<()> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let result = runtime.block_on(run(bot, platforms));
    // A reload still running on a blocking thread must not hold the exit.
    runtime.shutdown_timeout(Duration::from_millis(500));
    result
}

type Ended = (&'static str, Result<()>);

async fn run(bot: Arc<Bot>, platforms: Platforms) -> Result<()> {
    let (stop_tx, stop) = Stop::new();
    let mut tasks: tokio::task::JoinSet<Ended> = tokio::task::JoinSet::new();
    #[cfg(feature = "discord")]
    if let Some(token) = platforms.discord {
        bot.metrics.platform_started(crate::platform::Platform::Discord);
        let run = crate::adapters::discord::run(bot.clone(), token, stop.clone());
        tasks.spawn(async move { ("Discord", run.await) });
    }
    #[cfg(feature = "matrix")]
    if let Some(credential) = platforms.matrix {
        bot.metrics.platform_started(crate::platform::Platform::Matrix);
        let run = crate::adapters::matrix::run(bot.clone(), credential, stop.clone());
        tasks.spawn(async move { ("Matrix", run.await) });
    }
    #[cfg(not(any(feature = "discord", feature = "matrix")))]
    let _ = (platforms, &stop);
    tokio::spawn(reload_on_sighup(bot.clone()));
    let mut failure: Option<anyhow::Error> = None;
    tokio::select! {
        () = stop_signal() => tracing::info!("stop signal received; finishing replies in flight"),
        Some(ended) = tasks.join_next() => {
            note(ended, &mut failure);
            if !tasks.is_empty() {
                tracing::warn!("stopping the other platform too, so the failure is seen");
            }
        }
    }
    let _ = stop_tx.send(true);
    let deadline = tokio::time::Instant::now() + STOP_WITHIN;
    let grace = tokio::time::Instant::now() + STOP_GRACE;
    let second = stop_signal();
    tokio::pin!(second);
    loop {
        tokio::select! {
            ended = tasks.join_next() => match ended {
                Some(ended) => note(ended, &mut failure),
                None => break,
            },
            () = tokio::time::sleep_until(grace) => {
                tracing::warn!("platforms still busy {} s after the stop (connecting or retrying); cutting them off", STOP_GRACE.as_secs());
                tasks.shutdown().await;
                break;
            }
            () = &mut second => {
                tracing::warn!("second stop signal; exiting now");
                tasks.shutdown().await;
                break;
            }
        }
    }
    // No new messages arrive now; let the replies being written finish.
    while bot.in_flight() > 0 && tokio::time::Instant::now() < deadline {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(20)) => {}
            () = &mut second => break,
        }
    }
    if bot.in_flight() > 0 {
        tracing::warn!(in_flight = bot.in_flight(), "stopping with replies still unsent");
    }
    bot.close();
    match failure {
        Some(e) => Err(e),
        None => {
            tracing::info!("stopped");
            Ok(())
        }
    }
}

/// Logs how a platform's task ended; keeps the first failure.
fn note(ended: Result<Ended, tokio::task::JoinError>, failure: &mut Option<anyhow::Error>) {
    let (name, result) = match ended {
        Ok(ended) => ended,
        // Cut off at a stop: already logged.
        Err(e) if e.is_cancelled() => return,
        Err(e) => ("a platform", Err(anyhow::anyhow!("its task crashed: {e}"))),
    };
    match result {
        Ok(()) => tracing::info!("{name} stopped"),
        // The first failure is the process's error, printed once by main
        // as its last line; later ones are logged here.
        Err(e) if failure.is_some() => tracing::error!("{name} failed too: {e:#}"),
        Err(e) => *failure = Some(e.context(format!("{name} failed"))),
    }
}

/// ctrl-c, or SIGTERM (what service managers send).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only ctrl-c stops the bot");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// SIGHUP reloads the knowledge through the same path as /reload.
async fn reload_on_sighup(bot: Arc<Bot>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; reload with /reload instead");
            return;
        };
        while hup.recv().await.is_some() {
            let bot = bot.clone();
            match tokio::task::spawn_blocking(move || bot.reload(crate::bot::Trigger::Asked)).await {
                Ok(Ok(_)) => tracing::info!("reloaded on SIGHUP"),
                Ok(Err(_)) => tracing::warn!("reload on SIGHUP refused; still serving the previous knowledge"),
                Err(e) => tracing::error!(error = %e, "reload on SIGHUP crashed"),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = bot;
}
