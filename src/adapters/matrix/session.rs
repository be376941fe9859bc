//! The Matrix session: reaching the homeserver, logging in (or restoring
//! the saved session), the encrypted store and its passphrase,
//! cross-signing, and what is synced.

use super::*;
use crate::adapters::Backoff;
use crate::secrets::Secret;
use anyhow::{Context, Result, bail};
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::{RequestConfig, SyncSettings};
use matrix_sdk::ruma::UserId;
use matrix_sdk::{Client, SessionMeta, SessionTokens};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What the bot syncs: room messages and state with members lazy-loaded
/// (a first sync of a room with thousands of members stays small; members
/// are fetched when a moderator check needs one), no presence, no typing
/// or receipts, and up to [`TIMELINE`] new events per room per sync.
pub(super) fn sync_settings() -> SyncSettings {
    use matrix_sdk::ruma::api::client::filter::{FilterDefinition, RoomEventFilter};
    let mut filter = FilterDefinition::with_lazy_loading();
    filter.presence = matrix_sdk::ruma::api::client::filter::Filter::ignore_all();
    filter.room.ephemeral = RoomEventFilter::ignore_all();
    filter.room.timeline.limit = Some(TIMELINE.into());
    SyncSettings::default()
        .filter(matrix_sdk::ruma::api::client::sync::sync_events::v3::Filter::FilterDefinition(filter))
}

/// New events per room in one sync. A server gives 10 by default and drops
/// the older ones of a larger burst (a "limited" timeline): after the bot
/// or the server was away for a moment, 30 questions asked at once came
/// back as the last 10, and 20 people got nothing.
pub(super) const TIMELINE: u32 = 200;

/// How long one request may wait for the homeserver while connecting.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a login (with the SDK's own retries) may take.
pub(super) const LOGIN_TIMEOUT: Duration = Duration::from_secs(45);

pub(super) fn request_config() -> RequestConfig {
    RequestConfig::new().retry_limit(8).timeout(Duration::from_secs(60))
}

/// For replies: a homeserver's message rate limit (Synapse's default is one
/// message per 5 s after a burst of 10; M_LIMIT_EXCEEDED with retry_after)
/// can hold a reply back for minutes when many people ask at once. The SDK
/// waits the retry_after it is given, up to its 15-minute total; a reply is
/// late rather than lost.
pub(super) fn send_config() -> RequestConfig {
    RequestConfig::new().retry_limit(500).timeout(Duration::from_secs(60))
}

/// Reaches the homeserver, logs in and catches up; returns the client and
/// the sync position to go on from.
pub(super) async fn connect(
    homeserver: &str,
    user: &UserId,
    credential: Credential,
    dir: &Path,
    token_path: &Path,
) -> Result<(Client, String)> {
    // Without a saved session there is no device the store belongs to: a
    // login makes a new device, which needs a store of its own.
    if !dir.join(SESSION_FILE).exists() {
        retire_store(dir);
    }
    let client = build_client(homeserver, dir).await?;
    let mut backoff = Backoff::default();
    let client = loop {
        reachable(&client, homeserver).await;
        // The SDK's retries make a login to a server that takes requests
        // and never answers last many minutes without a word.
        match tokio::time::timeout(LOGIN_TIMEOUT, log_in(client.clone(), user, credential.clone(), dir)).await {
            Ok(logged_in) => break logged_in?,
            Err(_) => {
                let wait = backoff.next();
                tracing::warn!(
                    homeserver,
                    retry_in_s = wait.as_secs(),
                    "the Matrix homeserver did not answer the login within {} s; retrying",
                    LOGIN_TIMEOUT.as_secs()
                );
                tokio::time::sleep(wait).await;
            }
        }
    };
    tracing::info!(user = %user, homeserver = %homeserver, "logged in to Matrix");

    // The first sync catches up (from the saved position, with full room
    // state) before any handler exists: nothing from before start-up, or
    // from while the bot was away, is answered.
    let mut settings = sync_settings().timeout(Duration::from_secs(0));
    // The state of every room is kept in the store, so a restart needs no
    // full state again.
    if let Ok(token) = std::fs::read_to_string(token_path) {
        settings = settings.token(token.trim());
    }
    let mut backoff = Backoff::default();
    let mut client = client;
    let first = loop {
        match client.sync_once(settings.clone()).await {
            Ok(response) => break response,
            Err(e) if is_unknown_token(&e) => client = relogin(&client, user, &credential, dir).await?,
            Err(e) => {
                tracing::warn!(error = %e, "first Matrix sync failed; retrying");
                backoff.wait().await;
            }
        }
    };
    save_token(token_path, &first.next_batch);
    Ok((client, first.next_batch))
}

/// Waits until the homeserver answers, saying each time it does not: the
/// SDK's own retries are silent, and an operator with a wrong URL or a
/// server down should read that, not a credentials error.
pub(super) async fn reachable(client: &Client, homeserver: &str) {
    let mut backoff = Backoff::default();
    let once = RequestConfig::new().disable_retry().timeout(CONNECT_TIMEOUT);
    loop {
        match client.fetch_server_versions(Some(once)).await {
            Ok(_) => return,
            Err(e) => {
                let wait = backoff.next();
                tracing::warn!(
                    homeserver,
                    error = %crate::adapters::causes(&e),
                    retry_in_s = wait.as_secs(),
                    "cannot reach the Matrix homeserver; check [matrix] homeserver (the client-API URL) and that the server is up"
                );
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// Whether a failed request never got an answer from the server.
pub(super) fn is_unreachable(e: &matrix_sdk::Error) -> bool {
    matches!(e, matrix_sdk::Error::Http(h) if matches!(**h, matrix_sdk::HttpError::Reqwest(_)))
}

pub(super) fn is_unknown_token(e: &matrix_sdk::Error) -> bool {
    e.to_string().contains("M_UNKNOWN_TOKEN")
}

/// Restores the saved session when it is for this user, else logs in with
/// the credential and saves the new session (owner-only permissions).
pub(super) async fn log_in(client: Client, user: &UserId, credential: Credential, dir: &Path) -> Result<Client> {
    let path = dir.join(SESSION_FILE);
    if let Ok(text) = std::fs::read_to_string(&path)
        && let Ok(session) = serde_json::from_str::<MatrixSession>(&text)
        && session.meta.user_id == user
    {
        client.restore_session(session).await.context("cannot restore the saved Matrix session")?;
        let mut backoff = Backoff::default();
        loop {
            match client.whoami().await {
                Ok(_) => return Ok(client),
                // No answer is not a rejected session: ask again.
                Err(matrix_sdk::HttpError::Reqwest(e)) => {
                    let wait = backoff.next();
                    tracing::warn!(error = %crate::adapters::causes(&e), retry_in_s = wait.as_secs(), "cannot reach the Matrix homeserver to check the saved session; retrying");
                    tokio::time::sleep(wait).await;
                }
                Err(e) if matches!(credential, Credential::Saved) => {
                    bail!("the saved Matrix session is not accepted ({e}); set MATRIX_PASSWORD to log in again")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the saved Matrix session is not accepted; logging in again");
                    // A restored session cannot be taken back: a new client.
                    let _ = std::fs::remove_file(&path);
                    return Box::pin(log_in(fresh(&client, dir).await?, user, credential, dir)).await;
                }
            }
        }
    }
    match credential {
        Credential::Password(password) => {
            let response = client
                .matrix_auth()
                .login_username(user, password.expose())
                .initial_device_display_name("policybot")
                .send()
                .await
                .map_err(|e| {
                    if is_unreachable(&e) {
                        anyhow::anyhow!(
                            "the Matrix homeserver stopped answering during login ({}); check that it is up",
                            crate::adapters::causes(&e)
                        )
                    } else {
                        anyhow::anyhow!("Matrix login failed ({e}); check [matrix] user_id and MATRIX_PASSWORD")
                    }
                })?;
            tracing::info!(device = %response.device_id, "new Matrix session");
            cross_sign(&client, user, password.expose()).await;
        }
        Credential::AccessToken(token) => {
            // The token's own device (encryption keys belong to it), asked
            // of the server with a client that keeps nothing.
            let session = |device_id| MatrixSession {
                meta: SessionMeta { user_id: user.to_owned(), device_id },
                tokens: SessionTokens { access_token: token.expose().to_owned(), refresh_token: None },
            };
            let probe =
                Client::builder().homeserver_url(client.homeserver()).request_config(request_config()).build().await?;
            probe.restore_session(session("PROBE".into())).await.context("cannot use MATRIX_ACCESS_TOKEN")?;
            let whoami = probe.whoami().await.context("the homeserver refused MATRIX_ACCESS_TOKEN")?;
            let device = whoami.device_id.context(
                "MATRIX_ACCESS_TOKEN belongs to no device, so the bot cannot take part in encrypted rooms; use MATRIX_PASSWORD or a token from a login",
            )?;
            client.restore_session(session(device)).await.context("cannot use MATRIX_ACCESS_TOKEN")?;
        }
        Credential::Saved => bail!("no saved Matrix session for {user}; set MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN"),
    }
    if let Some(session) = client.matrix_auth().session() {
        save_private(&path, &serde_json::to_string(&session)?)?;
    }
    Ok(client)
}

/// After the homeserver stopped accepting the session (M_UNKNOWN_TOKEN: a
/// token revoked, or one copied from a client that expired): a new client
/// logged in with the password, or the error that ends Matrix.
pub(super) async fn relogin(client: &Client, user: &UserId, credential: &Credential, dir: &Path) -> Result<Client> {
    let Credential::Password(_) = credential else {
        bail!(
            "the homeserver no longer accepts the Matrix session (M_UNKNOWN_TOKEN: revoked or expired) and MATRIX_PASSWORD is not set to log in again; set it (or a new MATRIX_ACCESS_TOKEN) and restart"
        );
    };
    tracing::warn!(
        "the homeserver no longer accepts the Matrix session (M_UNKNOWN_TOKEN); logging in again with MATRIX_PASSWORD"
    );
    // The saved session is dead; the login saves the new one.
    let _ = std::fs::remove_file(dir.join(SESSION_FILE));
    log_in(fresh(client, dir).await?, user, credential.clone(), dir).await
}

/// A new client for the same homeserver, for a new login (a failed restore
/// cannot be undone), with a store of its own: the old one belongs to the
/// old device.
pub(super) async fn fresh(client: &Client, dir: &Path) -> Result<Client> {
    retire_store(dir);
    build_client(client.homeserver().as_str(), dir).await
}

/// Where the SDK keeps room state and the device's encryption keys.
pub(super) fn store_dir(dir: &Path) -> PathBuf {
    dir.join("store")
}

/// A store no device will use again is renamed, never deleted: it holds
/// the keys of messages that old device could read.
pub(super) fn retire_store(dir: &Path) {
    let store = store_dir(dir);
    if store.exists() {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let retired = dir.join(format!("store.retired-{secs}"));
        match std::fs::rename(&store, &retired) {
            Ok(()) => {
                tracing::warn!(store = %retired.display(), "a new Matrix device: the old device's store is kept aside")
            }
            Err(e) => tracing::warn!(error = %e, "cannot move the old Matrix store aside"),
        }
    }
}

/// A client whose state and encryption keys live in an SQLite store in
/// `dir`, encrypted with the store passphrase.
pub(super) async fn build_client(homeserver: &str, dir: &Path) -> Result<Client> {
    let passphrase = store_passphrase(dir)?;
    Client::builder()
        .homeserver_url(homeserver)
        .sqlite_store(store_dir(dir), Some(passphrase.expose()))
        // Rate limits (M_LIMIT_EXCEEDED with retry-after) and server errors
        // are retried by the SDK with backoff; so are network failures,
        // given a retry limit.
        .request_config(request_config())
        .build()
        .await
        .with_context(|| format!("cannot set up a Matrix client for {homeserver} with its store in {}", dir.display()))
}

/// The passphrase the store is encrypted with: `MATRIX_STORE_PASSPHRASE`
/// (or a file named by `MATRIX_STORE_PASSPHRASE_FILE`); else one made once
/// and kept beside the store, owner-only, with a warning (the store is then
/// only as safe as the data directory).
pub(super) fn store_passphrase(dir: &Path) -> Result<Secret> {
    if let Some(secret) = crate::secrets::from_env("MATRIX_STORE_PASSPHRASE")? {
        return Ok(secret);
    }
    let path = dir.join("store.passphrase");
    if let Ok(text) = std::fs::read_to_string(&path)
        && !text.trim().is_empty()
    {
        return Ok(Secret::new(text.trim().to_owned()));
    }
    let made = crate::secrets::hex(&crate::secrets::random_key()?);
    save_private(&path, &made)?;
    tracing::warn!(
        file = %path.display(),
        "MATRIX_STORE_PASSPHRASE is not set; the Matrix store's passphrase was made and kept in the data directory"
    );
    Ok(Secret::new(made))
}

/// Cross-signs the new device (password-confirmed), so clients that send
/// keys only to verified devices still send them to the bot. Failing is a
/// warning: most clients send keys to unverified devices too.
pub(super) async fn cross_sign(client: &Client, user: &UserId, password: &str) {
    use matrix_sdk::ruma::api::client::uiaa;
    let encryption = client.encryption();
    // Servers let a first upload of cross-signing keys through without a
    // password (MSC3967); later ones ask for it.
    let Err(e) = encryption.bootstrap_cross_signing_if_needed(None).await else {
        return tracing::info!("the bot's device is cross-signed");
    };
    let Some(info) = e.as_uiaa_response() else {
        return tracing::warn!(error = %e, "cannot set up cross-signing for the bot's device");
    };
    let mut auth = uiaa::Password::new(
        uiaa::UserIdentifier::Matrix(uiaa::MatrixUserIdentifier::new(user.to_string())),
        password.to_owned(),
    );
    auth.session = info.session.clone();
    match encryption.bootstrap_cross_signing_if_needed(Some(uiaa::AuthData::Password(auth))).await {
        Ok(()) => tracing::info!("the bot's device is cross-signed"),
        Err(e) => tracing::warn!(error = %e, "cannot set up cross-signing for the bot's device"),
    }
}

/// Writes a file only the owner can read (it holds an access token),
/// through a rename so a crash never leaves half a file.
pub(super) fn save_private(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("tmp");
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

pub(super) fn save_token(path: &Path, token: &str) {
    if let Err(e) = save_private(path, token) {
        tracing::warn!(error = %format!("{e:#}"), "cannot save the Matrix sync position; a restart will catch up from further back");
    }
}
