//! The Matrix adapter on matrix-sdk: logs in (or restores the saved
//! session), skips the backlog with a first sync before any handler exists,
//! then answers mentions, direct chats and `!` commands with `m.notice`
//! replies rendered by [`render`]. Owns the Matrix-only state: the session
//! and sync position on disk, pending "did you mean" lists, which reply
//! answers which question (for edits), which answer is which entry (for 👍/👎).
//!
//! Every event it sends carries `m.mentions: {}`, so it can ping nobody.
//!
//! This file runs the sync loop; the rest, one job a file: `session`
//! (reaching the homeserver, login, the encrypted store), `lanes` (the
//! shared state and the workers that answer), `messages` (what a message
//! asks, the reply, the moderation log room), `edits` (edits, reactions, undecryptable
//! messages), `invites`, `moderators` (who may moderate), [`render`].

mod doctor;
mod edits;
mod invites;
mod lanes;
mod messages;
mod moderators;
pub mod render;
mod session;

use anyhow::{Context, Result, bail};
use matrix_sdk::ruma::UserId;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Backoff;
use super::Stop;
use crate::bot::Bot;
use crate::config::MatrixConfig;
use crate::platform::Platform;
use crate::secrets::Secret;

pub(crate) use doctor::doctor;
use lanes::*;
use session::*;

const PLATFORM: Platform = Platform::Matrix;
/// A "did you mean" list can be answered by number for this long.
const PICK_WINDOW: Duration = Duration::from_secs(600);
const SESSION_FILE: &str = "session.json";
const SYNC_TOKEN_FILE: &str = "sync-token";

/// How the bot proves who it is.
#[derive(Clone)]
pub(crate) enum Credential {
    Password(Secret),
    AccessToken(Secret),
    /// Only the session saved by an earlier run.
    Saved,
}

/// Reads `MATRIX_PASSWORD` / `MATRIX_ACCESS_TOKEN` (or their `_FILE`s).
/// `None` when neither is set and no session was saved: Matrix stays off.
pub(crate) fn credential(cfg: &MatrixConfig, data_dir: &Path) -> Result<Option<Credential>> {
    let password = crate::secrets::from_env("MATRIX_PASSWORD")?;
    let token = crate::secrets::from_env("MATRIX_ACCESS_TOKEN")?;
    Ok(match (password, token) {
        (Some(_), Some(_)) => bail!("both MATRIX_PASSWORD and MATRIX_ACCESS_TOKEN are set; keep one"),
        (Some(p), None) => Some(Credential::Password(p)),
        (None, Some(t)) => Some(Credential::AccessToken(t)),
        (None, None) if session_dir(cfg, data_dir).join(SESSION_FILE).exists() => Some(Credential::Saved),
        (None, None) => None,
    })
}

/// Where the session and sync token live.
pub(crate) fn session_dir(cfg: &MatrixConfig, data_dir: &Path) -> PathBuf {
    cfg.data_dir.clone().unwrap_or_else(|| data_dir.join("matrix"))
}

/// Connects and serves until `stop` resolves. Never gives up on a lost
/// homeserver: sync errors are logged and retried with backoff.
pub(crate) async fn run(bot: Arc<Bot>, credential: Credential, stop: Stop) -> Result<()> {
    let cfg = bot.config.matrix.clone();
    let (Some(homeserver), Some(user)) = (cfg.homeserver.clone(), cfg.user_id.clone()) else {
        bail!("[matrix] needs homeserver and user_id in config.toml");
    };
    let user = UserId::parse(&user).with_context(|| format!("[matrix] user_id \"{user}\" is not a Matrix user id"))?;
    let dir = session_dir(&cfg, &bot.config.data.dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let token_path = dir.join(SYNC_TOKEN_FILE);
    // Connecting can wait on the network for minutes (a homeserver that
    // takes connections and never answers); a stop ends it at any point.
    let (client, first) = tokio::select! {
        connected = connect(&homeserver, &user, credential.clone(), &dir, &token_path) => connected?,
        () = stop.wait() => {
            tracing::info!("stopped while connecting to Matrix");
            return Ok(());
        }
    };

    let metrics = bot.metrics.clone();
    metrics.set_connected(PLATFORM, true);
    let state = Arc::new(State::new(bot, cfg, user.clone()));
    state.start_lanes();
    state.clone().install(&client);
    state.clone().post_moderation_log();
    state.clone().invites_while_away(&client).await;
    tracing::info!(rooms = client.joined_rooms().len(), "Matrix ready: answering new messages");
    // Our own loop rather than the SDK's `sync`, which waits a second after
    // any sync that returned quickly: a question sent just after a reply
    // would wait for it. The homeserver's long poll paces this loop; a
    // server that ignores the timeout still gets at most 20 requests/s.
    let sync = {
        let mut client = client.clone();
        async move {
            let mut settings = sync_settings().token(first).timeout(Duration::from_secs(30));
            let mut backoff = Backoff::default();
            loop {
                let started = Instant::now();
                match client.sync_once(settings.clone()).await {
                    Ok(response) => {
                        save_token(&token_path, &response.next_batch);
                        settings = settings.token(response.next_batch);
                        backoff.reset();
                        metrics.set_connected(PLATFORM, true);
                    }
                    // Revoked or expired: log in again (password) with a
                    // new client, which gets the handlers; else give up
                    // loudly rather than look alive and answer nothing.
                    Err(e) if is_unknown_token(&e) => {
                        metrics.set_connected(PLATFORM, false);
                        client = relogin(&client, &user, &credential, &dir).await?;
                        state.clone().install(&client);
                        tracing::warn!("logged in to Matrix again; answering");
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "Matrix sync failed; retrying");
                        metrics.set_connected(PLATFORM, false);
                        backoff.wait().await;
                    }
                }
                if started.elapsed() < Duration::from_millis(50) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    };
    tokio::select! {
        ended = sync => ended,
        () = stop.wait() => {
            tracing::info!("stopping Matrix");
            Ok(())
        }
    }
}
