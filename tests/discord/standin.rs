//! A stand-in for Discord on 127.0.0.1: the gateway (a websocket speaking
//! Discord's opcodes: HELLO, IDENTIFY, READY, heartbeats, dispatches) and the
//! REST API (a hand-written HTTP/1.1 responder). Every REST call the bot
//! makes is recorded, so tests assert on exactly what Discord would receive.
//!
//! Payload shapes follow Discord's API v10 as serenity 0.12.5 reads them.
//! The rules the tests rely on are enforced as Discord does, so a request
//! that breaks one fails where the bot would fail in production:
//! - embeds and components within Discord's limits (else 400, code 50035);
//! - slash commands registered within Discord's rules for names,
//!   descriptions, options and subcommands (else 400, code 50035);
//! - forms (modals) within Discord's limits for titles, ids and text inputs;
//! - one acknowledgement per interaction (else 400, code 40060);
//! - a reply to a deleted message only with `fail_if_not_exists: false`
//!   (else 400, code 50035);
//! - `GET /channels/{id}` knows the threads a test registers;
//! - a message POST can be rate limited once (429 with `retry-after`);
//! - an IDENTIFY asking for a privileged intent the application has not
//!   switched on in the developer portal is closed with 4014 (Message
//!   Content is off until a test switches it on, as for a new application).
//!
//! It also stands in for discord.com itself: an HTTPS proxy (CONNECT) that
//! answers TLS for discord.com with a certificate from a CA it makes, so
//! the bot can run with serenity's rate limiter on (which always sends to
//! https://discord.com) when given that CA and the proxy.

#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

pub const BOT_ID: u64 = 900_000_000_000_000_001;
pub const APP_ID: u64 = 900_000_000_000_000_002;
pub const GUILD_ID: u64 = 900_000_000_000_000_003;
pub const CHANNEL_ID: u64 = 900_000_000_000_000_004;
pub const DM_CHANNEL_ID: u64 = 900_000_000_000_000_005;
pub const MOD_ROLE: u64 = 900_000_000_000_000_006;
/// A role that grants Manage Server, and one that grants nothing special.
pub const ADMIN_ROLE: u64 = 900_000_000_000_000_007;
pub const HELPER_ROLE: u64 = 900_000_000_000_000_008;
/// The server's owner (nobody in the tests).
const OWNER_ID: u64 = 900_000_000_000_000_009;

/// Discord's permission bits used here.
pub const MANAGE_GUILD: u64 = 1 << 5;
/// VIEW_CHANNEL | SEND_MESSAGES | USE_APPLICATION_COMMANDS: an ordinary member.
pub const MEMBER_PERMS: u64 = (1 << 10) | (1 << 11) | (1 << 31);

/// Gateway intents Discord calls privileged: GUILD_MEMBERS, GUILD_PRESENCES,
/// MESSAGE_CONTENT (https://discord.com/developers/docs/events/gateway#privileged-intents).
pub const PRIVILEGED_INTENTS: u64 = (1 << 1) | (1 << 8) | (1 << 15);
pub const MESSAGE_CONTENT: u64 = 1 << 15;

/// One REST call as the bot made it.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub body: Value,
    /// What the stand-in answered.
    pub status: u16,
    /// The body it answered with (a sent message, with its id).
    pub reply: Value,
}

#[derive(Default)]
struct Shared {
    calls: Mutex<Vec<Call>>,
    changed: Notify,
    gateway: Mutex<Option<mpsc::UnboundedSender<String>>>,
    identify: Mutex<Option<Value>>,
    /// How long to hold every message POST before answering it (a slow Discord).
    post_delay: Mutex<Duration>,
    /// Rules and state that outlive one request.
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Messages deleted (by their author) before the bot replied.
    deleted: std::collections::HashSet<String>,
    /// Interactions already acknowledged.
    acknowledged: std::collections::HashSet<String>,
    /// Thread id → (parent channel, guild).
    threads: std::collections::HashMap<String, (u64, u64)>,
    /// Message POSTs still to answer with a 429.
    rate_limited: usize,
    /// Privileged intents switched on in the developer portal.
    portal_intents: u64,
    /// Interaction token → the id of the message its response made.
    originals: std::collections::HashMap<String, u64>,
    /// Slash commands registered, by scope ("global" or a server's id).
    commands: std::collections::HashMap<String, Value>,
}

pub struct StandIn {
    pub api_url: String,
    /// `http://127.0.0.1:P`: an HTTPS proxy that is discord.com.
    pub proxy_url: String,
    /// PEM of the CA behind the proxy's certificate for discord.com.
    pub ca_pem: String,
    shared: Arc<Shared>,
    seq: AtomicU64,
    ids: AtomicU64,
}

impl StandIn {
    pub async fn start() -> StandIn {
        let api = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
        let (ca_pem, tls) = discord_com_tls();
        let ws = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api_url = format!("http://{}", api.local_addr().unwrap());
        let ws_url = format!("ws://{}", ws.local_addr().unwrap());
        let shared = Arc::new(Shared::default());
        let ids = Arc::new(AtomicU64::new(1_000_000_000_000_000_000));
        {
            let shared = shared.clone();
            let ws_url = ws_url.clone();
            let ids = ids.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = api.accept().await {
                    tokio::spawn(serve_http(stream, shared.clone(), ws_url.clone(), ids.clone()));
                }
            });
        }
        {
            let (shared, ws_url, ids) = (shared.clone(), ws_url.clone(), ids.clone());
            tokio::spawn(async move {
                while let Ok((stream, _)) = proxy.accept().await {
                    let (shared, ws_url, ids, tls) = (shared.clone(), ws_url.clone(), ids.clone(), tls.clone());
                    tokio::spawn(async move {
                        if let Some(stream) = tunnel(stream, tls).await {
                            serve_http(stream, shared, ws_url, ids).await;
                        }
                    });
                }
            });
        }
        {
            let shared = shared.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = ws.accept().await {
                    tokio::spawn(serve_gateway(stream, shared.clone(), ws_url.clone()));
                }
            });
        }
        StandIn {
            api_url,
            proxy_url,
            ca_pem,
            shared,
            seq: AtomicU64::new(2),
            ids: AtomicU64::new(2_000_000_000_000_000_000),
        }
    }

    /// A fresh snowflake for messages and interactions the test sends.
    pub fn id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::SeqCst)
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls.lock().unwrap().clone()
    }

    /// Holds every message POST this long before answering it.
    pub fn set_post_delay(&self, delay: Duration) {
        *self.shared.post_delay.lock().unwrap() = delay;
    }

    /// Marks a message as deleted: a reply that insists on it now fails.
    pub fn delete_message(&self, id: u64) {
        self.shared.state.lock().unwrap().deleted.insert(id.to_string());
    }

    /// Answers the next message POST with a 429 (retry after 0.3 s).
    pub fn rate_limit_next_post(&self) {
        self.shared.state.lock().unwrap().rate_limited += 1;
    }

    /// Makes `thread` a public thread under `parent`.
    /// Switches privileged intents on, as an operator does in the portal.
    pub fn portal_allows(&self, intents: u64) {
        self.shared.state.lock().unwrap().portal_intents |= intents;
    }

    pub fn add_thread(&self, thread: u64, parent: u64) {
        self.shared.state.lock().unwrap().threads.insert(thread.to_string(), (parent, GUILD_ID));
    }

    /// Answers one request as Discord would, without a bot: for unit tests
    /// of the stand-in's own rules.
    pub fn answer(&self, method: &str, path: &str, body: &Value) -> (u16, Option<Value>) {
        route(method, path, body, "ws://unused", &AtomicU64::new(1), &self.shared)
    }

    pub fn identify(&self) -> Option<Value> {
        self.shared.identify.lock().unwrap().clone()
    }

    /// Waits until a recorded call satisfies `pred`; panics after `timeout`.
    pub async fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&Call) -> bool) -> Call {
        let deadline = Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            if let Some(call) = self.calls().into_iter().find(|c| pred(c)) {
                return call;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, notified).await.is_err() {
                panic!("timed out waiting for {what}; calls so far:\n{:#?}", self.calls());
            }
        }
    }

    /// The bot is connected and has registered its commands (READY handled).
    pub async fn wait_ready(&self) -> Call {
        self.wait_for("command registration", Duration::from_secs(60), |c| {
            c.method == "PUT" && c.path.ends_with("/commands")
        })
        .await
    }

    /// Sends a gateway dispatch (op 0) to the connected bot.
    pub fn dispatch(&self, event: &str, data: Value) {
        let s = self.seq.fetch_add(1, Ordering::SeqCst);
        let payload = json!({"op": 0, "t": event, "s": s, "d": data}).to_string();
        let gateway = self.shared.gateway.lock().unwrap();
        gateway.as_ref().expect("the bot is not connected to the gateway").send(payload).expect("gateway closed");
    }

    /// A message in the guild channel (or a DM when `guild` is false).
    /// The slash commands registered in `scope` ("global" or a server id).
    pub fn commands_in(&self, scope: &str) -> Vec<String> {
        let state = self.shared.state.lock().unwrap();
        let names = state.commands.get(scope).and_then(Value::as_array).cloned().unwrap_or_default();
        names.iter().filter_map(|c| c["name"].as_str().map(str::to_owned)).collect()
    }

    /// A message in the server mentioning the bot, from a member with
    /// `roles` (a message carries its author's roles, not permissions).
    pub fn message_with_roles(&self, author: &Value, content: &str, roles: &[u64]) -> (u64, Value) {
        let (id, mut m) = self.message(author, content, true, true);
        m["member"]["roles"] = roles.iter().map(|r| json!(r.to_string())).collect();
        (id, m)
    }

    pub fn message(&self, author: &Value, content: &str, mention_bot: bool, guild: bool) -> (u64, Value) {
        let id = self.id();
        let mut m = message_json(id, if guild { CHANNEL_ID } else { DM_CHANNEL_ID }, author, content);
        if mention_bot {
            m["mentions"] = json!([user(BOT_ID, "policybot", true)]);
        }
        if guild {
            m["guild_id"] = json!(GUILD_ID.to_string());
            m["member"] = json!({"roles": [], "joined_at": "2024-01-01T00:00:00.000000+00:00", "deaf": false, "mute": false, "flags": 0});
        }
        (id, m)
    }

    /// A slash command (type 2), autocomplete (type 4) or button (type 3)
    /// interaction from a guild member.
    pub fn interaction(&self, kind: u8, data: Value, member: Value, message: Option<Value>) -> (u64, String, Value) {
        let id = self.id();
        let token = format!("token-{id}");
        let mut i = json!({
            "id": id.to_string(), "application_id": APP_ID.to_string(), "type": kind, "data": data,
            "guild_id": GUILD_ID.to_string(), "channel_id": CHANNEL_ID.to_string(), "member": member,
            "token": token, "version": 1, "app_permissions": "0", "locale": "en-US", "guild_locale": "en-US",
            "entitlements": [], "authorizing_integration_owners": {}, "context": 0, "attachment_size_limit": 8388608,
        });
        if let Some(m) = message {
            i["message"] = m;
        }
        (id, token, i)
    }
}

/// A GUILD_CREATE payload with the fields serenity 0.12 requires.
pub fn guild_json(id: u64, name: &str) -> Value {
    json!({
        "id": id.to_string(), "name": name, "owner_id": "100", "verification_level": 0,
        "default_message_notifications": 0, "explicit_content_filter": 0, "roles": [], "emojis": [],
        "features": [], "mfa_level": 0, "system_channel_flags": 0, "premium_tier": 0, "preferred_locale": "en-US",
        "nsfw_level": 0, "stickers": [], "premium_progress_bar_enabled": false,
        "joined_at": "2024-01-01T00:00:00.000000+00:00", "large": false, "member_count": 2, "voice_states": [],
        "members": [], "channels": [], "threads": [], "presences": [], "stage_instances": [],
        "guild_scheduled_events": [],
    })
}

pub fn user(id: u64, name: &str, bot: bool) -> Value {
    json!({"id": id.to_string(), "username": name, "discriminator": "0", "global_name": null, "avatar": null, "bot": bot})
}

pub fn member(user: Value, permissions: u64, roles: &[u64]) -> Value {
    json!({
        "user": user, "roles": roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        "joined_at": "2024-01-01T00:00:00.000000+00:00", "deaf": false, "mute": false, "flags": 0,
        "pending": false, "permissions": permissions.to_string(), "nick": null, "avatar": null,
    })
}

pub fn message_json(id: u64, channel: u64, author: &Value, content: &str) -> Value {
    json!({
        "id": id.to_string(), "channel_id": channel.to_string(), "type": 0, "content": content, "author": author,
        "timestamp": "2026-11-30T00:00:00.000000+00:00", "edited_timestamp": null, "tts": false,
        "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
        "pinned": false, "components": [],
    })
}

async fn serve_gateway(stream: TcpStream, shared: Arc<Shared>, ws_url: String) {
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else { return };
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 41250}}).to_string();
    if sink.send(Ws::Text(hello)).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            frame = source.next() => {
                let Some(Ok(frame)) = frame else { return };
                let Ok(text) = frame.into_text() else { continue };
                let Ok(payload) = serde_json::from_str::<Value>(&text) else { continue };
                match payload["op"].as_u64() {
                    Some(1) => { let _ = sink.send(Ws::Text(json!({"op": 11}).to_string())).await; }
                    Some(2) => {
                        *shared.identify.lock().unwrap() = Some(payload["d"].clone());
                        let asked = payload["d"]["intents"].as_u64().unwrap_or(0);
                        let allowed = shared.state.lock().unwrap().portal_intents;
                        if asked & PRIVILEGED_INTENTS & !allowed != 0 {
                            let close = CloseFrame { code: CloseCode::from(4014), reason: "Disallowed intent(s).".into() };
                            let _ = sink.send(Ws::Close(Some(close))).await;
                            return;
                        }
                        let ready = json!({"op": 0, "t": "READY", "s": 1, "d": {
                            "v": 10, "user": user(BOT_ID, "policybot", true), "guilds": [],
                            "session_id": "standin-session", "resume_gateway_url": ws_url,
                            "application": {"id": APP_ID.to_string(), "flags": 0},
                            "shard": payload["d"]["shard"].clone(),
                        }});
                        *shared.gateway.lock().unwrap() = Some(tx.clone());
                        let _ = sink.send(Ws::Text(ready.to_string())).await;
                    }
                    _ => {}
                }
            }
            Some(out) = rx.recv() => {
                if sink.send(Ws::Text(out)).await.is_err() { return; }
            }
        }
    }
}

/// The retry-after a 429 carries, in seconds.
pub const RETRY_AFTER: f64 = 0.3;

/// A CA and, signed by it, a certificate for discord.com, as a TLS acceptor;
/// the CA's PEM is what the bot is told to trust.
fn discord_com_tls() -> (String, tokio_rustls::TlsAcceptor) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["discord.com".to_owned()]).unwrap().signed_by(&key, &ca, &ca_key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
        )
        .unwrap();
    (ca.pem(), tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Takes a CONNECT to discord.com:443 and answers the TLS inside it.
async fn tunnel(
    stream: TcpStream,
    tls: tokio_rustls::TlsAcceptor,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).await.ok()?;
    if !line.starts_with("CONNECT discord.com:443 ") {
        return None;
    }
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).await.ok()? == 0 {
            return None;
        }
        if header.trim().is_empty() {
            break;
        }
    }
    let mut stream = reader.into_inner();
    stream.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").await.ok()?;
    tls.accept(stream).await.ok()
}

async fn serve_http<S>(stream: S, shared: Arc<Shared>, ws_url: String, ids: Arc<AtomicU64>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).await.unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let delay = *shared.post_delay.lock().unwrap();
        if method == "POST" && path.ends_with("/messages") && !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let (status, reply) = route(&method, &path, &body, &ws_url, &ids, &shared);
        let answered = reply.clone().unwrap_or(Value::Null);
        shared.calls.lock().unwrap().push(Call { method, path, body, status, reply: answered });
        shared.changed.notify_waiters();
        let text = reply.map(|r| r.to_string()).unwrap_or_default();
        let reason = match status {
            200 => "OK",
            204 => "No Content",
            400 => "Bad Request",
            429 => "Too Many Requests",
            _ => "Not Found",
        };
        // What serenity's rate limiter reads off a 429.
        let limited = if status == 429 {
            format!("retry-after: {RETRY_AFTER}\r\nx-ratelimit-scope: user\r\n")
        } else {
            String::new()
        };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{limited}\r\n",
            text.len()
        );
        let stream = reader.get_mut();
        if stream.write_all(head.as_bytes()).await.is_err() || stream.write_all(text.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// Discord's answer to each call the bot makes; unknown calls get a 404.
fn route(
    method: &str,
    path: &str,
    body: &Value,
    ws_url: &str,
    ids: &AtomicU64,
    shared: &Shared,
) -> (u16, Option<Value>) {
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.trim_start_matches("/api/v10/").split('/').collect();
    let bot_message = |channel: &str, id: u64| {
        let mut m = message_json(id, channel.parse().unwrap_or(0), &user(BOT_ID, "policybot", true), "");
        for key in ["content", "embeds"] {
            if let Some(v) = body.get(key) {
                m[key] = v.clone();
            }
        }
        m
    };
    let mut state = shared.state.lock().unwrap();
    match (method, segments.as_slice()) {
        // The bot checks its token before connecting.
        ("GET", ["users", "@me"]) => (200, Some(user(BOT_ID, "policybot", true))),
        ("GET", ["gateway"]) => (200, Some(json!({"url": ws_url}))),
        ("GET", ["gateway", "bot"]) => (
            200,
            Some(json!({"url": ws_url, "shards": 1, "session_start_limit":
                {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}})),
        ),
        ("GET", ["channels", id]) => match state.threads.get(*id) {
            Some((parent, guild)) => (200, Some(thread_json(id, *parent, *guild))),
            None => (404, Some(json!({"message": "Unknown Channel", "code": 10003}))),
        },
        ("PUT", [.., "commands"]) => match invalid_commands(body) {
            Some(problem) => invalid(&problem),
            None => {
                state.commands.insert(scope_of(&segments), body.clone());
                (200, Some(json!([])))
            }
        },
        // Only as much of a command as a listing needs: its name.
        ("GET", [.., "commands"]) => {
            let names = state.commands.get(&scope_of(&segments)).and_then(Value::as_array).cloned().unwrap_or_default();
            let listed: Vec<Value> = names
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    json!({"id": (i + 1).to_string(), "application_id": APP_ID.to_string(), "version": "1",
                           "type": 1, "name": c["name"], "description": c["description"],
                           "default_member_permissions": c["default_member_permissions"], "dm_permission": true,
                           "nsfw": false, "options": []})
                })
                .collect();
            (200, Some(json!(listed)))
        }
        // The server, with its roles (https://discord.com/developers/docs/resources/guild#get-guild).
        ("GET", ["guilds", id]) if *id == GUILD_ID.to_string() => (200, Some(server_json())),
        ("POST", ["channels", channel, "messages"]) => {
            if state.rate_limited > 0 {
                state.rate_limited -= 1;
                return (
                    429,
                    Some(
                        json!({"message": "You are being rate limited.", "retry_after": RETRY_AFTER, "global": false}),
                    ),
                );
            }
            if let Some(problem) = invalid_message(body) {
                return invalid(&problem);
            }
            let reference = &body["message_reference"];
            if let Some(id) = reference["message_id"].as_str()
                && state.deleted.contains(id)
                && reference["fail_if_not_exists"] != json!(false)
            {
                return invalid("message_reference: Unknown message (REPLIES_UNKNOWN_MESSAGE)");
            }
            (200, Some(bot_message(channel, ids.fetch_add(1, Ordering::SeqCst))))
        }
        ("PATCH", ["channels", channel, "messages", id]) => match invalid_message(body) {
            Some(problem) => invalid(&problem),
            None => (200, Some(bot_message(channel, id.parse().unwrap_or(0)))),
        },
        ("DELETE", ["channels", _, "messages", _]) => (204, None),
        // Leave a server (https://discord.com/developers/docs/resources/user#leave-guild).
        ("DELETE", ["users", "@me", "guilds", _]) => (204, None),
        ("PUT", ["channels", _, "messages", _, "reactions", ..]) => (204, None),
        ("POST", ["interactions", id, token, "callback"]) => {
            if !state.acknowledged.insert((*id).to_owned()) {
                return (400, Some(json!({"message": "Interaction has already been acknowledged.", "code": 40060})));
            }
            // Type 9 opens a form; everything else carries a message.
            let problem =
                if body["type"] == json!(9) { invalid_form(&body["data"]) } else { invalid_message(&body["data"]) };
            match problem {
                Some(problem) => invalid(&problem),
                None => {
                    // A message response is a message with an id of its own.
                    if body["type"] == json!(4) {
                        state.originals.insert((*token).to_owned(), ids.fetch_add(1, Ordering::SeqCst));
                    }
                    (204, None)
                }
            }
        }
        // The message an interaction's response made
        // (https://discord.com/developers/docs/interactions/receiving-and-responding#get-original-interaction-response).
        ("GET", ["webhooks", _, token, "messages", "@original"]) => match state.originals.get(*token) {
            Some(id) => (200, Some(bot_message(&CHANNEL_ID.to_string(), *id))),
            None => (404, Some(json!({"message": "Unknown Webhook", "code": 10015}))),
        },
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) => match invalid_message(body) {
            Some(problem) => invalid(&problem),
            None => (200, Some(bot_message(&CHANNEL_ID.to_string(), ids.fetch_add(1, Ordering::SeqCst)))),
        },
        _ => (404, Some(json!({"message": "Unknown", "code": 0}))),
    }
}

fn invalid(problem: &str) -> (u16, Option<Value>) {
    (400, Some(json!({"message": "Invalid Form Body", "code": 50035, "errors": problem})))
}

/// What in a message body breaks Discord's limits, if anything
/// (https://discord.com/developers/docs/resources/message#create-message,
/// .../resources/message#embed-object-embed-limits, .../interactions/message-components).
fn invalid_message(body: &Value) -> Option<String> {
    let chars = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    if chars(&body["content"]) > 2000 {
        return Some("content: longer than 2000".into());
    }
    let embeds = body["embeds"].as_array().map(Vec::as_slice).unwrap_or_default();
    if embeds.len() > 10 {
        return Some("embeds: more than 10".into());
    }
    let mut total = 0;
    for (i, e) in embeds.iter().enumerate() {
        let fields = e["fields"].as_array().map(Vec::as_slice).unwrap_or_default();
        let checks = [
            ("title", chars(&e["title"]), 256),
            ("description", chars(&e["description"]), 4096),
            ("footer.text", chars(&e["footer"]["text"]), 2048),
            ("author.name", chars(&e["author"]["name"]), 256),
            ("fields", fields.len(), 25),
        ];
        for (what, n, most) in checks {
            if n > most {
                return Some(format!("embeds.{i}.{what}: {n} > {most}"));
            }
        }
        total +=
            chars(&e["title"]) + chars(&e["description"]) + chars(&e["footer"]["text"]) + chars(&e["author"]["name"]);
        for (j, f) in fields.iter().enumerate() {
            if chars(&f["name"]) > 256 || chars(&f["value"]) > 1024 || chars(&f["name"]) == 0 || chars(&f["value"]) == 0
            {
                return Some(format!("embeds.{i}.fields.{j}: name 1-256, value 1-1024"));
            }
            total += chars(&f["name"]) + chars(&f["value"]);
        }
    }
    if total > 6000 {
        return Some(format!("embeds: {total} characters in all > 6000"));
    }
    let rows = body["components"].as_array().map(Vec::as_slice).unwrap_or_default();
    if rows.len() > 5 {
        return Some("components: more than 5 rows".into());
    }
    for (i, row) in rows.iter().enumerate() {
        let items = row["components"].as_array().map(Vec::as_slice).unwrap_or_default();
        if items.is_empty() || items.len() > 5 {
            return Some(format!("components.{i}: 1-5 buttons"));
        }
        for (j, b) in items.iter().enumerate() {
            if chars(&b["label"]) > 80 || chars(&b["custom_id"]) > 100 {
                return Some(format!("components.{i}.components.{j}: label <= 80, custom_id <= 100"));
            }
        }
    }
    None
}

/// What in a bulk command registration breaks Discord's rules, if anything
/// (https://discord.com/developers/docs/interactions/application-commands:
/// names 1-32 lowercase letters, digits, - or _; descriptions 1-100; at most
/// 25 options and 25 choices; a group holds only subcommands, a subcommand
/// no subcommands; required options before optional ones; autocomplete and
/// choices not together; string max_length 1-6000).
/// "global" for `/applications/APP/commands`, else the server's id.
fn scope_of(segments: &[&str]) -> String {
    match segments {
        ["applications", _, "guilds", guild, "commands"] => (*guild).to_owned(),
        _ => "global".to_owned(),
    }
}

/// The server as GET /guilds/{id} returns it: @everyone an ordinary member,
/// MOD_ROLE and HELPER_ROLE no more, ADMIN_ROLE with Manage Server.
fn server_json() -> Value {
    let role = |id: u64, name: &str, permissions: u64, position: u64| {
        json!({"id": id.to_string(), "name": name, "color": 0, "hoist": false, "icon": null, "unicode_emoji": null,
               "position": position, "permissions": permissions.to_string(), "managed": false,
               "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
               "mentionable": false, "flags": 0})
    };
    json!({
        "id": GUILD_ID.to_string(), "name": "Stand-in server", "icon": null, "icon_hash": null, "splash": null,
        "discovery_splash": null, "owner_id": OWNER_ID.to_string(), "afk_channel_id": null, "afk_timeout": 300,
        "widget_enabled": false, "widget_channel_id": null, "verification_level": 0,
        "default_message_notifications": 0, "explicit_content_filter": 0,
        "roles": [
            role(GUILD_ID, "@everyone", MEMBER_PERMS, 0),
            role(MOD_ROLE, "moderators", MEMBER_PERMS, 1),
            role(HELPER_ROLE, "helpers", MEMBER_PERMS, 2),
            role(ADMIN_ROLE, "admins", MEMBER_PERMS | MANAGE_GUILD, 3),
        ],
        "emojis": [], "features": [], "mfa_level": 0, "application_id": null, "system_channel_id": null,
        "system_channel_flags": 0, "rules_channel_id": null, "max_presences": null, "max_members": 500000,
        "vanity_url_code": null, "description": null, "banner": null, "premium_tier": 0,
        "premium_subscription_count": 0, "preferred_locale": "en-US", "public_updates_channel_id": null,
        "max_video_channel_users": 25, "max_stage_video_channel_users": 50, "nsfw_level": 0, "stickers": [],
        "premium_progress_bar_enabled": false, "safety_alerts_channel_id": null,
    })
}

fn invalid_commands(body: &Value) -> Option<String> {
    let chars = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    let name_ok = |v: &Value| {
        v.as_str().is_some_and(|n| {
            (1..=32).contains(&n.chars().count())
                && n.chars().all(|c| c == '-' || c == '_' || c.is_lowercase() || c.is_numeric())
        })
    };
    fn options_ok(
        options: &[Value],
        depth: u8,
        chars: &dyn Fn(&Value) -> usize,
        name_ok: &dyn Fn(&Value) -> bool,
    ) -> Option<String> {
        if options.len() > 25 {
            return Some("options: more than 25".into());
        }
        let mut optional_seen = false;
        for o in options {
            let kind = o["type"].as_u64().unwrap_or(0);
            if !name_ok(&o["name"]) || !(1..=100).contains(&chars(&o["description"])) {
                return Some(format!("option {}: name or description", o["name"]));
            }
            let inner = o["options"].as_array().map(Vec::as_slice).unwrap_or_default();
            match kind {
                // A subcommand (1) holds values only; a group (2) only subcommands.
                1 if depth < 2 => {
                    if inner.iter().any(|i| matches!(i["type"].as_u64(), Some(1 | 2))) {
                        return Some(format!("option {}: a subcommand in a subcommand", o["name"]));
                    }
                    options_ok(inner, 2, chars, name_ok)?;
                }
                2 if depth == 0 => {
                    if inner.is_empty() || inner.iter().any(|i| i["type"] != json!(1)) {
                        return Some(format!("option {}: a group holds only subcommands", o["name"]));
                    }
                    options_ok(inner, 1, chars, name_ok)?;
                }
                1 | 2 => return Some(format!("option {}: nested too deep", o["name"])),
                _ => {
                    let required = o["required"] == json!(true);
                    if required && optional_seen {
                        return Some(format!("option {}: required after optional", o["name"]));
                    }
                    optional_seen |= !required;
                    let choices = o["choices"].as_array().map_or(0, Vec::len);
                    if choices > 25 || (choices > 0 && o["autocomplete"] == json!(true)) {
                        return Some(format!("option {}: choices", o["name"]));
                    }
                    if let Some(max) = o["max_length"].as_u64()
                        && !(1..=6000).contains(&max)
                    {
                        return Some(format!("option {}: max_length", o["name"]));
                    }
                }
            }
        }
        None
    }
    let commands = body.as_array()?;
    if commands.len() > 100 {
        return Some("more than 100 commands".into());
    }
    for c in commands {
        if !name_ok(&c["name"]) || !(1..=100).contains(&chars(&c["description"])) {
            return Some(format!("command {}: name or description", c["name"]));
        }
        let options = c["options"].as_array().map(Vec::as_slice).unwrap_or_default();
        if let Some(problem) = options_ok(options, 0, &chars, &name_ok) {
            return Some(format!("command {}: {problem}", c["name"]));
        }
    }
    None
}

/// What in a form (modal) breaks Discord's limits, if anything
/// (https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-modal,
/// .../interactions/message-components#text-inputs): custom_id 1-100, title
/// 1-45, 1-5 rows of one text input each: custom_id 1-100, label 1-45,
/// style 1 or 2, value and max_length at most 4000, placeholder at most 100.
fn invalid_form(data: &Value) -> Option<String> {
    let chars = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    if !(1..=100).contains(&chars(&data["custom_id"])) || !(1..=45).contains(&chars(&data["title"])) {
        return Some("modal: custom_id 1-100, title 1-45".into());
    }
    let rows = data["components"].as_array().map(Vec::as_slice).unwrap_or_default();
    if rows.is_empty() || rows.len() > 5 {
        return Some("modal: 1-5 rows".into());
    }
    for (i, row) in rows.iter().enumerate() {
        let inputs = row["components"].as_array().map(Vec::as_slice).unwrap_or_default();
        let [input] = inputs else { return Some(format!("modal row {i}: exactly one text input")) };
        let ok = input["type"] == json!(4)
            && (1..=100).contains(&chars(&input["custom_id"]))
            && (1..=45).contains(&chars(&input["label"]))
            && matches!(input["style"].as_u64(), Some(1 | 2))
            && chars(&input["value"]) <= 4000
            && input["max_length"].as_u64().is_none_or(|m| (1..=4000).contains(&m))
            && chars(&input["placeholder"]) <= 100;
        if !ok {
            return Some(format!("modal row {i}: text input limits"));
        }
    }
    None
}

/// A public thread (type 11) under `parent`.
fn thread_json(id: &str, parent: u64, guild: u64) -> Value {
    json!({
        "id": id, "type": 11, "guild_id": guild.to_string(), "parent_id": parent.to_string(),
        "name": "a thread", "owner_id": "1", "message_count": 1, "member_count": 1,
        "rate_limit_per_user": 0, "flags": 0, "permission_overwrites": [], "position": 0, "nsfw": false,
        "thread_metadata": {"archived": false, "auto_archive_duration": 1440,
            "archive_timestamp": "2026-11-30T00:00:00.000000+00:00", "locked": false},
    })
}
