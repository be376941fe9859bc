//! The Matrix adapter on matrix-sdk: logs in (or restores the saved
//! session), skips the backlog with a first sync before any handler exists,
//! then answers mentions, direct chats and `!` commands with `m.notice`
//! replies rendered by [`render`]. Owns the Matrix-only state: the session
//! and sync position on disk, pending "did you mean" lists, which reply
//! answers which question (for edits), which answer is which entry (for 👍/👎).
//!
//! Every event it sends carries `m.mentions: {}`, so it can ping nobody.

pub mod render;

use anyhow::{Context, Result, bail};
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::{RequestConfig, SyncSettings};
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::events::reaction::{OriginalSyncReactionEvent, ReactionEventContent};
use matrix_sdk::ruma::events::relation::Annotation;
use matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent;
use matrix_sdk::ruma::events::room::member::{MembershipState, StrippedRoomMemberEvent};
use matrix_sdk::ruma::events::room::message::{
    AddMentions, ForwardThread, MessageType, OriginalSyncRoomMessageEvent, Relation, ReplacementMetadata,
    ReplyMetadata, RoomMessageEventContent,
};
use matrix_sdk::ruma::events::room::power_levels::UserPowerLevel;
use matrix_sdk::ruma::{MilliSecondsSinceUnixEpoch, OwnedEventId, OwnedRoomId, OwnedUserId, UserId};
use matrix_sdk::{Client, Room, RoomState, SessionMeta, SessionTokens};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Backoff;
use super::Stop;
use super::cooldown::Cooldown;
use super::recent::Recent;
use crate::bot::{Bot, Sender};
use crate::config::MatrixConfig;
use crate::core::{Command, Pick};
use crate::platform::Platform;
use crate::records::Origin;
use crate::reply::Reply;
use crate::secrets::Secret;

const PLATFORM: Platform = Platform::Matrix;
/// A "did you mean" list can be answered by number for this long.
const PICK_WINDOW: Duration = Duration::from_secs(600);
const SESSION_FILE: &str = "session.json";
const SYNC_TOKEN_FILE: &str = "sync-token";

/// How the bot proves who it is.
#[derive(Clone)]
pub enum Credential {
    Password(Secret),
    AccessToken(Secret),
    /// Only the session saved by an earlier run.
    Saved,
}

/// Reads `MATRIX_PASSWORD` / `MATRIX_ACCESS_TOKEN` (or their `_FILE`s).
/// `None` when neither is set and no session was saved: Matrix stays off.
pub fn credential(cfg: &MatrixConfig, data_dir: &Path) -> Result<Option<Credential>> {
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
pub fn session_dir(cfg: &MatrixConfig, data_dir: &Path) -> PathBuf {
    cfg.data_dir.clone().unwrap_or_else(|| data_dir.join("matrix"))
}

/// Connects and serves until `stop` resolves. Never gives up on a lost
/// homeserver: sync errors are logged and retried with backoff.
pub async fn run(bot: Arc<Bot>, credential: Credential, stop: Stop) -> Result<()> {
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

/// What the bot syncs: room messages and state with members lazy-loaded
/// (a first sync of a room with thousands of members stays small; members
/// are fetched when a moderator check needs one), no presence, no typing
/// or receipts, and up to [`TIMELINE`] new events per room per sync.
fn sync_settings() -> SyncSettings {
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
const TIMELINE: u32 = 200;

/// How long one request may wait for the homeserver while connecting.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a login (with the SDK's own retries) may take.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(45);

fn request_config() -> RequestConfig {
    RequestConfig::new().retry_limit(8).timeout(Duration::from_secs(60))
}

/// For replies: a homeserver's message rate limit (Synapse's default is one
/// message per 5 s after a burst of 10; M_LIMIT_EXCEEDED with retry_after)
/// can hold a reply back for minutes when many people ask at once. The SDK
/// waits the retry_after it is given, up to its 15-minute total; a reply is
/// late rather than lost.
fn send_config() -> RequestConfig {
    RequestConfig::new().retry_limit(500).timeout(Duration::from_secs(60))
}

/// Reaches the homeserver, logs in and catches up; returns the client and
/// the sync position to go on from.
async fn connect(
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
async fn reachable(client: &Client, homeserver: &str) {
    let mut backoff = Backoff::default();
    let once = RequestConfig::new().disable_retry().timeout(CONNECT_TIMEOUT);
    loop {
        match client.fetch_server_versions(Some(once)).await {
            Ok(_) => return,
            Err(e) => {
                let wait = backoff.next();
                tracing::warn!(
                    homeserver,
                    error = %super::causes(&e),
                    retry_in_s = wait.as_secs(),
                    "cannot reach the Matrix homeserver; check [matrix] homeserver (the client-API URL) and that the server is up"
                );
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// Whether a failed request never got an answer from the server.
fn is_unreachable(e: &matrix_sdk::Error) -> bool {
    matches!(e, matrix_sdk::Error::Http(h) if matches!(**h, matrix_sdk::HttpError::Reqwest(_)))
}

fn is_unknown_token(e: &matrix_sdk::Error) -> bool {
    e.to_string().contains("M_UNKNOWN_TOKEN")
}

/// Restores the saved session when it is for this user, else logs in with
/// the credential and saves the new session (owner-only permissions).
async fn log_in(client: Client, user: &UserId, credential: Credential, dir: &Path) -> Result<Client> {
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
                    tracing::warn!(error = %super::causes(&e), retry_in_s = wait.as_secs(), "cannot reach the Matrix homeserver to check the saved session; retrying");
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
                            super::causes(&e)
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
async fn relogin(client: &Client, user: &UserId, credential: &Credential, dir: &Path) -> Result<Client> {
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
async fn fresh(client: &Client, dir: &Path) -> Result<Client> {
    retire_store(dir);
    build_client(client.homeserver().as_str(), dir).await
}

/// Where the SDK keeps room state and the device's encryption keys.
fn store_dir(dir: &Path) -> PathBuf {
    dir.join("store")
}

/// A store no device will use again is renamed, never deleted: it holds
/// the keys of messages that old device could read.
fn retire_store(dir: &Path) {
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
async fn build_client(homeserver: &str, dir: &Path) -> Result<Client> {
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
fn store_passphrase(dir: &Path) -> Result<Secret> {
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
async fn cross_sign(client: &Client, user: &UserId, password: &str) {
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
fn save_private(path: &Path, text: &str) -> Result<()> {
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

fn save_token(path: &Path, token: &str) {
    if let Err(e) = save_private(path, token) {
        tracing::warn!(error = %format!("{e:#}"), "cannot save the Matrix sync position; a restart will catch up from further back");
    }
}

/// A "did you mean" list: the entry ids offered, and the question.
type Offered = (Vec<String>, String);

/// What the handlers share.
struct State {
    bot: Arc<Bot>,
    cfg: MatrixConfig,
    me: OwnedUserId,
    started: MilliSecondsSinceUnixEpoch,
    /// (room, asker) → the entries offered and the question.
    pending: Mutex<Recent<(OwnedRoomId, OwnedUserId), Offered>>,
    /// Question event → our reply event and who asked (only they may edit
    /// the question into another one).
    replies: Mutex<Recent<OwnedEventId, (OwnedEventId, OwnedUserId)>>,
    /// Our answer event → its entry id, for 👍/👎.
    answers: Mutex<Recent<OwnedEventId, String>>,
    /// Events already handled: a sync repeated after a lost connection
    /// never gets an event answered twice.
    seen: Mutex<Recent<OwnedEventId, ()>>,
    /// Each user's pace.
    cooldown: Cooldown<OwnedUserId>,
    /// Rooms already told that a message could not be decrypted.
    told_undecryptable: Mutex<Recent<OwnedRoomId, ()>>,
    /// Where handlers leave messages for the workers that answer them.
    lanes: std::sync::OnceLock<Vec<tokio::sync::mpsc::Sender<Job>>>,
}

/// A message for a worker to handle.
enum Job {
    Message(Box<OriginalSyncRoomMessageEvent>, Room),
    Undecryptable(Box<OriginalSyncRoomEncryptedEvent>, Room),
}

/// Workers that answer, each taking the rooms that hash to it, in order.
/// matrix-sdk runs event handlers inside the sync and the end-to-end
/// requests a reply may wait for (a `/keys/query` for the room's members)
/// go out only between syncs: a reply made inside the handler waited 5 s
/// for a query its own wait held back, and a reply held by a rate limit
/// held every room. Messages of one room stay in order (a question before
/// its edit, a suggestion before the number that picks it).
const LANES: usize = 4;
/// Messages waiting per lane; past it a message is dropped with a warning
/// rather than holding up the sync.
const LANE_DEPTH: usize = 1_024;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl State {
    fn new(bot: Arc<Bot>, cfg: MatrixConfig, me: OwnedUserId) -> State {
        State {
            cooldown: Cooldown::new(cfg.cooldown_seconds, cfg.cooldown_burst, bot.metrics.clone(), PLATFORM),
            bot,
            cfg,
            me,
            started: MilliSecondsSinceUnixEpoch::now(),
            pending: Mutex::default(),
            replies: Mutex::default(),
            answers: Mutex::default(),
            seen: Mutex::default(),
            told_undecryptable: Mutex::default(),
            lanes: std::sync::OnceLock::new(),
        }
    }

    /// Starts the workers (once: a new client after a re-login reuses them).
    fn start_lanes(self: &Arc<Self>) {
        self.lanes.get_or_init(|| {
            (0..LANES)
                .map(|_| {
                    let (tx, mut rx) = tokio::sync::mpsc::channel(LANE_DEPTH);
                    let state = self.clone();
                    tokio::spawn(async move {
                        while let Some(job) = rx.recv().await {
                            let _in_flight = state.bot.begin();
                            match job {
                                Job::Message(ev, room) => {
                                    if let Err(e) = state.on_message(*ev, room).await {
                                        tracing::warn!(error = %format!("{e:#}"), "Matrix message not answered");
                                    }
                                }
                                Job::Undecryptable(ev, room) => state.on_undecryptable(*ev, room).await,
                            }
                        }
                    });
                    tx
                })
                .collect()
        });
    }

    /// Leaves `job` for the worker of its room; never waits.
    fn enqueue(&self, job: Job) {
        use std::hash::{Hash, Hasher};
        let Some(lanes) = self.lanes.get() else { return };
        let (Job::Message(_, room) | Job::Undecryptable(_, room)) = &job;
        let room = room.room_id().to_owned();
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        room.hash(&mut hasher);
        let lane = &lanes[(hasher.finish() % lanes.len() as u64) as usize];
        match lane.try_send(job) {
            Ok(()) => {}
            Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!(room = %room, "too many messages waiting to be answered; one was dropped");
            }
            Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => {
                tracing::error!(room = %room, "the worker for this room stopped; restart the bot");
            }
        }
    }

    fn install(self: Arc<Self>, client: &Client) {
        let state = self.clone();
        client.add_event_handler(move |ev: OriginalSyncRoomMessageEvent, room: Room| {
            state.enqueue(Job::Message(Box::new(ev), room));
            std::future::ready(())
        });
        let state = self.clone();
        client.add_event_handler(move |ev: OriginalSyncRoomEncryptedEvent, room: Room| {
            state.enqueue(Job::Undecryptable(Box::new(ev), room));
            std::future::ready(())
        });
        let state = self.clone();
        client.add_event_handler(move |ev: OriginalSyncReactionEvent, room: Room| {
            let state = state.clone();
            async move { state.on_reaction(ev, room) }
        });
        let state = self;
        client.add_event_handler(move |ev: StrippedRoomMemberEvent, room: Room| {
            let state = state.clone();
            async move {
                // Joining can wait for the server; the sync loop must not.
                tokio::spawn(async move { state.on_invite(ev, room).await });
            }
        });
    }

    fn first_time(&self, event: &OwnedEventId) -> bool {
        lock(&self.seen).first(event)
    }

    async fn is_moderator(&self, room: &Room, user: &UserId) -> bool {
        let listed_room = self.cfg.moderator_rooms.iter().any(|r| r == room.room_id().as_str());
        // The power level is looked up only where it can count.
        let power = if listed_room && !self.cfg.moderators.iter().any(|m| m == user.as_str()) {
            room.get_member(user).await.ok().flatten().map(|m| m.power_level())
        } else {
            None
        };
        moderates(&self.cfg, room.room_id().as_str(), user.as_str(), power)
    }

    /// The text addressed to the bot, or `None` when the message is not for it.
    async fn addressed(&self, room: &Room, ev: &OriginalSyncRoomMessageEvent, body: &str) -> Option<String> {
        let direct = || async { room.is_direct().await.unwrap_or(false) || room.joined_members_count() == 2 };
        if body.trim_start().starts_with(&self.cfg.prefix) {
            // Other bots use "!" too: a command this bot does not have is
            // answered only in a direct chat (or when the bot is named).
            let ours = Command::is_known(body, &self.cfg.prefix);
            if ours || direct().await {
                return Some(body.trim().to_owned());
            }
        }
        let localpart = self.me.localpart();
        let mentioned = ev.content.mentions.as_ref().is_some_and(|m| m.user_ids.contains(&self.me))
            || body.contains(self.me.as_str())
            || starts_with_name(body.trim_start(), localpart);
        if mentioned {
            return Some(strip_mention(body, self.me.as_str(), localpart));
        }
        direct().await.then(|| body.trim().to_owned())
    }

    async fn on_message(&self, ev: OriginalSyncRoomMessageEvent, room: Room) -> Result<()> {
        if ev.sender == self.me || room.state() != RoomState::Joined {
            return Ok(());
        }
        // Never anything from before start-up (the first sync skips the
        // backlog; this also covers events replayed after a reconnect).
        if ev.origin_server_ts < self.started || !self.first_time(&ev.event_id) {
            return Ok(());
        }
        if let Some(Relation::Replacement(replacement)) = &ev.content.relates_to {
            let MessageType::Text(text) = &replacement.new_content.msgtype else { return Ok(()) };
            return self.on_edit(&room, &ev, &replacement.event_id, &text.body).await;
        }
        // Notices are what bots send: never answer one.
        let MessageType::Text(text) = &ev.content.msgtype else { return Ok(()) };
        let origin = self.origin(&room);
        let body = text.body.trim();
        let key = (room.room_id().to_owned(), ev.sender.clone());

        // A number answers the asker's pending "did you mean".
        if let Ok(n) = body.parse::<usize>() {
            let pending = lock(&self.pending).get(&key, PICK_WINDOW);
            if let Some((ids, question)) = pending {
                let reply = match Pick::of(n, ids.len()) {
                    Pick::Entry(i) => self.bot.picked(origin, &ids[i]),
                    Pick::Decline => {
                        self.bot.declined(origin, &question);
                        Pick::declined(&self.cfg.prefix)
                    }
                    // The list stays open for a number that is on it.
                    Pick::Outside => return self.send_reply(&room, &ev, &Pick::outside(ids.len())).await,
                };
                lock(&self.pending).remove(&key);
                return self.send_reply(&room, &ev, &reply).await;
            }
        }
        let Some(text) = self.addressed(&room, &ev, body).await else { return Ok(()) };
        if let Some(wait) = self.cooldown.check(&ev.sender) {
            tracing::debug!(wait_ms = wait.as_millis() as u64, "cooldown");
            // A reaction rather than a message: a user being too quick
            // should not make the room noisier (or spend the bot's own
            // message rate).
            let hourglass = ReactionEventContent::new(Annotation::new(ev.event_id.clone(), "⏳".to_owned()));
            room.send(hourglass).await.context("cannot react")?;
            return Ok(());
        }
        let reply = self.reply_to(&room, &ev.sender, &text).await;
        self.send_reply(&room, &ev, &reply).await
    }

    /// The reply to text addressed to the bot: a command or a question. A
    /// "did you mean" is remembered so the asker can answer it by number.
    async fn reply_to(&self, room: &Room, sender: &UserId, text: &str) -> Reply {
        let reply = self.command_reply(room, sender, text).await;
        if let Reply::Suggest { suggestions, .. } = &reply {
            let offered = (suggestions.iter().map(|s| s.id.clone()).collect(), text.to_owned());
            lock(&self.pending).insert((room.room_id().to_owned(), sender.to_owned()), offered);
        }
        reply
    }

    /// Where a Matrix message came from: the room is its own community.
    fn origin(&self, room: &Room) -> Origin {
        self.bot.origin(PLATFORM, room.room_id().as_str(), room.room_id().as_str())
    }

    async fn command_reply(&self, room: &Room, sender: &UserId, text: &str) -> Reply {
        let prefix = self.cfg.prefix.as_str();
        let command = match Command::from_message(text, prefix) {
            Ok(c) => c,
            Err(message) => return Reply::error(message),
        };
        let needs_moderator = matches!(command, Command::Reload | Command::Unanswered);
        let sender = Sender {
            is_moderator: needs_moderator && self.is_moderator(room, sender).await,
            origin: self.origin(room),
        };
        // A reload reads and indexes files; the unanswered list waits on the
        // records database (seconds, while another process holds it): off
        // the async workers, so other rooms keep getting answers meanwhile.
        if needs_moderator && sender.is_moderator {
            let bot = self.bot.clone();
            let prefix = prefix.to_owned();
            return tokio::task::spawn_blocking(move || bot.handle(&command, sender, &prefix))
                .await
                .unwrap_or_else(|e| Reply::error(format!("the command crashed: {e}; the knowledge in use stays")));
        }
        self.bot.handle(&command, sender, prefix)
    }

    async fn send_reply(&self, room: &Room, ev: &OriginalSyncRoomMessageEvent, reply: &Reply) -> Result<()> {
        let notice = render::render(reply, &self.cfg.prefix);
        // A question asked in a thread is answered in that thread.
        let thread = match &ev.content.relates_to {
            Some(Relation::Thread(thread)) => Some(thread),
            _ => None,
        };
        let content = RoomMessageEventContent::notice_html(notice.body, notice.html)
            .make_reply_to(ReplyMetadata::new(&ev.event_id, &ev.sender, thread), ForwardThread::Yes, AddMentions::No)
            .add_mentions(Mentions::new());
        let sent = room.send(content).with_request_config(send_config()).await.context("cannot send the reply")?;
        let reply_id = sent.response.event_id;
        lock(&self.replies).insert(ev.event_id.clone(), (reply_id.clone(), ev.sender.clone()));
        if let Reply::Answer { entry, .. } = reply {
            lock(&self.answers).insert(reply_id, entry.id.clone());
        }
        Ok(())
    }

    /// An edited question: answered again, and our reply edited to match.
    async fn on_edit(
        &self,
        room: &Room,
        ev: &OriginalSyncRoomMessageEvent,
        original: &OwnedEventId,
        body: &str,
    ) -> Result<()> {
        let window = Duration::from_secs(self.cfg.edit_window_seconds);
        let Some((reply_id, asker)) = lock(&self.replies).get(original, window) else { return Ok(()) };
        // Only the asker's own edit counts (a server lets nobody else edit
        // an event, but a client may still send one that others ignore).
        if asker != ev.sender {
            tracing::debug!(editor = %ev.sender, "an edit by someone other than the asker; ignored");
            return Ok(());
        }
        let text = match self.addressed(room, ev, body).await {
            Some(text) => text,
            None => body.trim().to_owned(),
        };
        let reply = self.reply_to(room, &ev.sender, &text).await;
        let content = replacement(&render::render_within(&reply, &self.cfg.prefix, EDIT_BYTES), reply_id.clone());
        room.send(content).with_request_config(send_config()).await.context("cannot edit the reply")?;
        match &reply {
            Reply::Answer { entry, .. } => lock(&self.answers).insert(reply_id, entry.id.clone()),
            _ => drop(lock(&self.answers).remove(&reply_id)),
        }
        Ok(())
    }
}

/// An edit carries the text twice (the new content, and a fallback for
/// clients without edits): each half gets this much so the event stays
/// under Matrix's 65,536 bytes.
const EDIT_BYTES: usize = render::CONTENT_BYTES / 2;

/// The edit of our reply `reply_id` to say `notice`, pinging nobody.
fn replacement(notice: &render::Notice, reply_id: OwnedEventId) -> RoomMessageEventContent {
    RoomMessageEventContent::notice_html(notice.body.clone(), notice.html.clone())
        .make_replacement(ReplacementMetadata::new(reply_id, Some(Mentions::new())))
        .add_mentions(Mentions::new())
}

impl State {
    /// A message the bot cannot decrypt (no keys for it: a client that sends
    /// keys only to verified devices, or keys still on their way). Logged,
    /// and said once per room, so the asker knows to send it again.
    async fn on_undecryptable(&self, ev: OriginalSyncRoomEncryptedEvent, room: Room) {
        if ev.sender == self.me || ev.origin_server_ts < self.started || !self.first_time(&ev.event_id) {
            return;
        }
        tracing::warn!(room = %room.room_id(), event = %ev.event_id, "cannot decrypt a message (no keys for it)");
        if !lock(&self.told_undecryptable).first(&room.room_id().to_owned()) {
            return;
        }
        let notice = RoomMessageEventContent::notice_plain(
            "I could not read an encrypted message here: your client did not send me the keys for it. Please send it again; if this keeps happening, let your client send keys to unverified devices, or verify my device.",
        )
        .add_mentions(Mentions::new());
        if let Err(e) = room.send(notice).with_request_config(send_config()).await {
            tracing::warn!(error = %e, "cannot say that a message could not be decrypted");
        }
    }

    /// 👍 / 👎 on one of our answers: feedback for that entry.
    fn on_reaction(&self, ev: OriginalSyncReactionEvent, room: Room) {
        if ev.sender == self.me || ev.origin_server_ts < self.started {
            return;
        }
        let key = ev.content.relates_to.key.trim_end_matches('\u{fe0f}');
        let helpful = match key {
            "👍" => true,
            "👎" => false,
            _ => return,
        };
        let answered = lock(&self.answers).get(&ev.content.relates_to.event_id, Duration::MAX);
        let Some(entry) = answered else { return };
        let (answer, voter) = (ev.content.relates_to.event_id.as_str(), ev.sender.as_str());
        self.bot.feedback(self.origin(&room), &entry, helpful, answer, voter);
    }

    /// Joins invites from allowed rooms, servers or moderators; declines others.
    async fn on_invite(&self, ev: StrippedRoomMemberEvent, room: Room) {
        if ev.state_key != self.me || ev.content.membership != MembershipState::Invite {
            return;
        }
        self.consider_invite(room, &ev.sender).await;
    }

    /// Invites that came while the bot was away: the sync that caught up
    /// ran before any handler existed.
    async fn invites_while_away(self: Arc<Self>, client: &Client) {
        for room in client.invited_rooms() {
            match room.invite_details().await {
                Ok(invite) => {
                    let state = self.clone();
                    tokio::spawn(async move { state.consider_invite(room, &invite.inviter_id).await });
                }
                Err(e) => tracing::warn!(room = %room.room_id(), error = %e, "cannot read a pending invite"),
            }
        }
    }

    async fn consider_invite(&self, room: Room, inviter: &UserId) {
        let allowed = self.cfg.invite_rooms.iter().any(|r| r == room.room_id().as_str())
            || self.cfg.invite_servers.iter().any(|s| s == inviter.server_name().as_str())
            || self.cfg.moderators.iter().any(|m| m == inviter.as_str());
        if !allowed {
            // At warn: the operator who invited the bot from a server not on
            // the list must see why nothing happened.
            tracing::warn!(
                room = %room.room_id(),
                inviter = %inviter,
                "invite declined: not from a room, server or moderator in [matrix] invite_rooms, invite_servers or moderators"
            );
            if let Err(e) = room.leave().await {
                tracing::warn!(error = %e, "cannot decline the invite");
            }
            return;
        }
        let mut backoff = Backoff::default();
        for _ in 0..6 {
            match room.join().await {
                Ok(()) => {
                    tracing::info!(room = %room.room_id(), inviter = %inviter, "joined");
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, room = %room.room_id(), "cannot join yet; retrying");
                    backoff.wait().await;
                }
            }
        }
    }
}

/// The question without the bot's mention: "@bot:server", "bot:", "bot,".
fn strip_mention(body: &str, user_id: &str, localpart: &str) -> String {
    let text = body.replace(user_id, " ");
    let trimmed = text.trim_start();
    let rest = if starts_with_name(trimmed, localpart) { &trimmed[localpart.len()..] } else { trimmed };
    rest.trim_start_matches([':', ',', ' ']).trim().to_owned()
}

/// `text` begins with the bot's name, in any letter case.
fn starts_with_name(text: &str, name: &str) -> bool {
    text.get(..name.len()).is_some_and(|head| head.eq_ignore_ascii_case(name))
}

/// Who may use moderator commands in a room: a user the operator listed
/// in `moderators` (anywhere), or a member with enough power in a room the
/// operator listed in `moderator_rooms`. Power alone is not enough: whoever
/// creates a room or a DM with the bot holds full power in it.
fn moderates(cfg: &MatrixConfig, room: &str, user: &str, power: Option<UserPowerLevel>) -> bool {
    if cfg.moderators.iter().any(|m| m == user) {
        return true;
    }
    if !cfg.moderator_rooms.iter().any(|r| r == room) {
        return false;
    }
    match power {
        Some(UserPowerLevel::Infinite) => true,
        Some(UserPowerLevel::Int(level)) => i64::from(level) >= cfg.moderator_power_level,
        // No member, or a kind of power this version does not know.
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_of_the_longest_reply_stays_under_the_event_limit() {
        let footer = crate::reply::Footer {
            found: crate::reply::Found::Closest,
            disputed: Vec::new(),
            unverified: (0..3).map(|_| "c ".repeat(70)).collect(),
            more: 0,
            checked: Vec::new(),
            disclaimer: Some("Not legal advice.".into()),
            entry_id: "big".into(),
        };
        let reply = Reply::Answer {
            entry: crate::reply::EntryRef { id: "big".into(), topic: "t".into(), question: "q?".into() },
            answer: "Words & <more> words. ".repeat(20_000),
            confidence: 1.0,
            claims: Vec::new(),
            footer,
        };
        let id = OwnedEventId::try_from("$reply:hs").unwrap();
        let edit = replacement(&render::render_within(&reply, "!", EDIT_BYTES), id);
        let bytes = serde_json::to_vec(&edit).unwrap().len();
        // The content, plus room for the event's envelope (ids, keys, hashes).
        assert!(bytes + 2_000 < 65_536, "{bytes} bytes");
        // Sent whole, it would not have fitted.
        let whole = replacement(&render::render(&reply, "!"), OwnedEventId::try_from("$reply:hs").unwrap());
        assert!(serde_json::to_vec(&whole).unwrap().len() > 65_536);
    }

    #[test]
    fn power_makes_a_moderator_only_in_a_room_the_operator_listed() {
        let cfg = MatrixConfig {
            moderators: vec!["@op:hs".into()],
            moderator_rooms: vec!["!listed:hs".into()],
            ..MatrixConfig::default()
        };
        let full = Some(UserPowerLevel::Infinite);
        let fifty = Some(UserPowerLevel::Int(50.into()));
        let low = Some(UserPowerLevel::Int(49.into()));
        // A room someone made with the bot: its creator holds full power.
        assert!(!moderates(&cfg, "!theirs:hs", "@creator:hs", full));
        assert!(!moderates(&cfg, "!theirs:hs", "@creator:hs", Some(UserPowerLevel::Int(100.into()))));
        assert!(moderates(&cfg, "!listed:hs", "@mod:hs", fifty));
        assert!(!moderates(&cfg, "!listed:hs", "@member:hs", low));
        assert!(!moderates(&cfg, "!listed:hs", "@gone:hs", None));
        // The operator's list counts everywhere.
        assert!(moderates(&cfg, "!theirs:hs", "@op:hs", None));
    }

    #[test]
    fn mentions_are_stripped() {
        assert_eq!(
            strip_mention("policybot: do ms have sanctuary cities?", "@policybot:hs", "policybot"),
            "do ms have sanctuary cities?"
        );
        assert_eq!(strip_mention("@policybot:hs what now", "@policybot:hs", "policybot"), "what now");
        assert_eq!(strip_mention("PolicyBot, hi", "@policybot:hs", "policybot"), "hi");
        assert_eq!(strip_mention("no mention", "@policybot:hs", "policybot"), "no mention");
        assert_eq!(strip_mention("\u{212a}é policybot", "@policybot:hs", "policybot"), "\u{212a}é policybot");
    }
}
