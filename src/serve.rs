//! Running the chat platforms: one tokio runtime, each configured platform
//! as a task over the same [`Bot`], SIGHUP to reload the knowledge, and
//! ctrl-c / SIGTERM to stop taking messages and exit cleanly.

use anyhow::{Context, Result};
use std::sync::Arc;
use std::time::Duration;

use crate::bot::Bot;
use crate::reply::Reply;
use crate::secrets::Secret;

/// Which platforms have what they need to start.
#[derive(Default)]
pub struct Platforms {
    pub discord: Option<Secret>,
    #[cfg(feature = "matrix")]
    pub matrix: Option<crate::adapters::matrix::Credential>,
}

impl Platforms {
    /// Reads the secrets of the platforms enabled in the config. A platform
    /// with a secret but compiled out is named in a warning, not skipped
    /// silently.
    pub fn from_env(bot: &Bot) -> Result<Platforms> {
        let mut platforms = Platforms::default();
        if bot.config.discord.enabled
            && let Some(token) = crate::secrets::from_env("DISCORD_TOKEN")?
        {
            if cfg!(feature = "discord") {
                platforms.discord = Some(token);
            } else {
                tracing::warn!("DISCORD_TOKEN is set but this build has no Discord support (feature `discord`)");
            }
        }
        let m = &bot.config.matrix;
        if m.enabled && m.homeserver.is_some() {
            #[cfg(feature = "matrix")]
            {
                platforms.matrix = crate::adapters::matrix::credential(m, &bot.config.data.dir)?;
                if platforms.matrix.is_none() {
                    tracing::warn!("[matrix] is configured but neither MATRIX_PASSWORD nor MATRIX_ACCESS_TOKEN is set");
                }
            }
            #[cfg(not(feature = "matrix"))]
            tracing::warn!("[matrix] is configured but this build has no Matrix support (feature `matrix`)");
        }
        Ok(platforms)
    }

    pub fn is_empty(&self) -> bool {
        #[cfg(feature = "matrix")]
        if self.matrix.is_some() {
            return false;
        }
        self.discord.is_none()
    }
}

/// Serves every platform in `platforms` until a stop signal or until one of
/// them fails.
pub fn serve(bot: Arc<Bot>, platforms: Platforms) -> Result<()> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stopped = move || {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        };
        let mut tasks: tokio::task::JoinSet<Result<()>> = tokio::task::JoinSet::new();
        #[cfg(feature = "discord")]
        if let Some(token) = platforms.discord {
            tasks.spawn(crate::adapters::discord::run(bot.clone(), token, stopped()));
        }
        #[cfg(feature = "matrix")]
        if let Some(credential) = platforms.matrix {
            tasks.spawn(crate::adapters::matrix::run(bot.clone(), credential, stopped()));
        }
        #[cfg(not(all(feature = "discord", feature = "matrix")))]
        let _ = &stopped;
        #[cfg(not(any(feature = "discord", feature = "matrix")))]
        let _ = platforms;
        tokio::spawn(reload_on_sighup(bot.clone()));
        tokio::select! {
            () = stop_signal() => {
                tracing::info!("stop signal received; finishing replies in flight");
                let _ = stop_tx.send(true);
            }
            Some(done) = tasks.join_next() => {
                let _ = stop_tx.send(true);
                done.context("a platform task crashed")??;
            }
        }
        while let Some(done) = tasks.join_next().await {
            done.context("a platform task crashed")??;
        }
        // No new messages arrive now; let the replies being written finish.
        let deadline = tokio::time::Instant::now() + DRAIN;
        while bot.in_flight() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if bot.in_flight() > 0 {
            tracing::warn!(in_flight = bot.in_flight(), "stopping with replies still unsent");
        }
        bot.close();
        tracing::info!("stopped");
        Ok(())
    })
}

/// Longest wait for replies in flight at a stop.
const DRAIN: Duration = Duration::from_secs(10);

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
                Ok(Reply::Reloaded(_)) => tracing::info!("reloaded on SIGHUP"),
                Ok(_) => tracing::warn!("reload on SIGHUP refused; still serving the previous knowledge"),
                Err(e) => tracing::error!(error = %e, "reload on SIGHUP crashed"),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = bot;
}
