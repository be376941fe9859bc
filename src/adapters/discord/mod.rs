//! The Discord adapter on serenity: turns messages, edits and interactions
//! (slash commands, autocomplete, buttons) into commands for the bot and
//! sends replies rendered by [`render`]. Owns the Discord-only state: the
//! per-user cooldown and which reply answers which question (for edits).
//!
//! Every message it sends or edits carries allowed_mentions that parse
//! nothing, so no answer or echoed text can ping anyone.
//!
//! This file holds the connection (token checks, the client, shards) and
//! the event handler; the rest, one job a file: `messages` (mentions, DMs,
//! passive channels, edits), `commands` (slash commands and autocomplete),
//! `edits` (changing the knowledge: `/faq`, `/claim set`, forms, the
//! moderation log channel), `components` (buttons), `send` (serenity
//! builders), [`render`], `review` (a page of the review queue).

mod commands;
mod components;
mod doctor;
mod edits;
mod messages;
pub mod render;
mod review;
mod send;

use anyhow::{Context as _, Result};
use serenity::all::{
    ChannelId, ClientBuilder, Context, EventHandler, GatewayIntents, GuildId, HttpBuilder, Interaction, Member,
    Message, MessageId, MessageUpdateEvent, Ready, UserId,
};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::Stop;
use super::cooldown::Cooldown;
use super::recent::Recent;
use crate::bot::{Bot, Sender};
use crate::config::DiscordConfig;
use crate::platform::Platform;
use crate::records::Origin;
use crate::secrets::Secret;
pub(crate) use doctor::doctor;
use send::*;

const PLATFORM: Platform = Platform::Discord;
/// The community of direct messages (they have no server).
const DIRECT: &str = "direct";
/// Autocomplete values that name a stored entry rather than typed text.
const ENTRY_VALUE: &str = "entry:";
/// Discord's limit on autocomplete choices.
const CHOICES: usize = 25;

/// A token is sent as an HTTP header: one with spaces, quotes, line breaks
/// or non-ASCII (a bad copy) cannot be, and would otherwise fail deep in the
/// HTTP client on every retry. Found here it is one clear line at start.
pub(crate) fn check_token_format(token: &Secret) -> Result<()> {
    let bare = token.expose().strip_prefix("Bot ").unwrap_or(token.expose());
    if bare.is_empty() || !bare.bytes().all(|b| b.is_ascii_graphic()) || bare.contains(['"', '\'']) {
        anyhow::bail!(
            "DISCORD_TOKEN has characters a Discord token never has (spaces, quotes, line breaks or non-ASCII); copy it again from the developer portal (your application → Bot → Reset Token)"
        );
    }
    Ok(())
}
/// How long a thread's parent is remembered (a thread never moves).
const PARENT_KEPT: Duration = Duration::from_secs(24 * 3600);
/// How long the question behind an answer is remembered for a 👎 on it.
const ASKED_KEPT: Duration = Duration::from_secs(24 * 3600);

/// Connects to Discord and serves until `stop` resolves or the gateway gives
/// up. The token is only handed to serenity, never logged. A token Discord
/// rejects ends the task with an error naming DISCORD_TOKEN; while Discord
/// cannot be reached it retries with backoff, and a stop ends it in any phase.
pub(crate) async fn run(bot: Arc<Bot>, token: Secret, stop: Stop) -> Result<()> {
    let cfg = bot.config.discord.clone();
    let http = http_for(&cfg, &token)?;
    tokio::select! {
        checked = check_token(&http) => checked?,
        () = stop.wait() => {
            tracing::info!("stopped while connecting to Discord");
            return Ok(());
        }
    }
    let mut intents = GatewayIntents::GUILD_MESSAGES | GatewayIntents::DIRECT_MESSAGES;
    if cfg.message_content_intent {
        intents |= GatewayIntents::MESSAGE_CONTENT;
    }
    // GUILD_CREATE (each server at start, and one joined later) comes only
    // with GUILDS, which is not privileged.
    if !cfg.allowed_guilds.is_empty() {
        intents |= GatewayIntents::GUILDS;
    }
    let handler = Handler::new(bot, cfg.clone());
    let mut client = ClientBuilder::new_with_http(http, intents)
        .event_handler(handler)
        .await
        .context("cannot set up the Discord client")?;
    let shards = client.shard_manager.clone();
    let started = async {
        match &cfg.shards {
            None => client.start().await,
            Some(s) if s.auto => client.start_autosharded().await,
            // serenity's range end is inclusive ("up to and including").
            Some(s) => client.start_shard_range(s.first..s.last, s.total).await,
        }
    };
    tokio::select! {
        started = started => started.map_err(gateway_failed),
        () = stop.wait() => {
            tracing::info!("stopping Discord shards");
            // Shards that are connected close cleanly; one still retrying a
            // connection is dropped with this task.
            shards.shutdown_all().await;
            Ok(())
        }
    }
}

/// The REST client for `token`, as configured (a proxy and CA for tests).
fn http_for(cfg: &DiscordConfig, token: &Secret) -> Result<serenity::http::Http> {
    let mut http = HttpBuilder::new(token.expose());
    if let Some(base) = &cfg.api_base {
        // serenity's rate limiter sends to discord.com whatever the proxy
        // says, so a proxy only works with it off (tests, debugging).
        tracing::warn!(api_base = %base, "sending Discord REST calls to a proxy, with the rate limiter off");
        http = http.proxy(base.trim_end_matches('/')).ratelimiter_disabled(true);
    }
    if let Some(file) = &cfg.ca_file {
        http = http.client(client_trusting(file)?);
    }
    Ok(http.build())
}

/// What to do about a token Discord rejects, at the REST check or the gateway.
const COPY_TOKEN_AGAIN: &str =
    "copy the bot token again from the developer portal (your application → Bot → Reset Token)";

/// Why the gateway ended for good, in words that say what to change: the
/// close codes serenity gives up on are an operator's to fix.
fn gateway_failed(e: serenity::Error) -> anyhow::Error {
    use serenity::gateway::GatewayError;
    match e {
        serenity::Error::Gateway(GatewayError::DisallowedGatewayIntents) => anyhow::anyhow!(
            "Discord refused the Message Content intent (gateway close 4014): switch on \"Message Content Intent\" on your application's Bot page in the developer portal, or set [discord] message_content_intent = false and remove passive_channels"
        ),
        serenity::Error::Gateway(GatewayError::InvalidAuthentication) => {
            anyhow::anyhow!("Discord rejected DISCORD_TOKEN on the gateway (close 4004); {COPY_TOKEN_AGAIN}")
        }
        other => anyhow::Error::new(other).context("the Discord connection failed"),
    }
}

/// An HTTP client like serenity's own (rustls, the usual roots, proxies from
/// the environment) that also trusts the certificates in `file`.
fn client_trusting(file: &std::path::Path) -> Result<reqwest::Client> {
    let pem = std::fs::read(file).with_context(|| format!("cannot read [discord] ca_file {}", file.display()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .with_context(|| format!("[discord] ca_file {} holds no PEM certificate", file.display()))?;
    let mut builder = reqwest::Client::builder().use_rustls_tls();
    for cert in certs {
        builder = builder.add_root_certificate(cert);
    }
    builder.build().context("cannot build the HTTP client for Discord")
}

/// Asks Discord who the token belongs to before connecting: a rejected
/// token is an error at once (serenity would retry it forever), and an
/// unreachable Discord is said plainly and retried.
async fn check_token(http: &serenity::http::Http) -> Result<()> {
    let mut backoff = super::Backoff::default();
    loop {
        match http.get_current_user().await {
            Ok(me) => {
                tracing::info!(bot = %me.name, "DISCORD_TOKEN accepted");
                return Ok(());
            }
            Err(serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(e)))
                if e.status_code.as_u16() == 401 || e.status_code.as_u16() == 403 =>
            {
                anyhow::bail!("Discord rejected DISCORD_TOKEN ({}); {COPY_TOKEN_AGAIN}", e.status_code);
            }
            Err(e) => {
                let wait = backoff.next();
                tracing::warn!(error = %super::causes(&e), retry_in_s = wait.as_secs(), "cannot reach Discord; retrying");
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// The reply sent for a question, so an edit of the question edits it.
#[derive(Debug, Clone, Copy)]
struct Sent {
    guild: Option<GuildId>,
    channel: ChannelId,
    /// `None` while Discord has not yet answered the POST of the reply.
    reply: Option<MessageId>,
    passive: bool,
}

struct Handler {
    bot: Arc<Bot>,
    cfg: DiscordConfig,
    cooldown: Cooldown<u64>,
    /// Question message id → the reply to it.
    sent: Mutex<Recent<MessageId, Sent>>,
    /// Reply message id → the question it answered, so a 👎 on it keeps
    /// the question for the review queue.
    asked: Mutex<Recent<MessageId, String>>,
    /// Channel → its parent when it is a thread (for passive channels).
    parents: Mutex<Recent<ChannelId, Option<ChannelId>>>,
    /// Whether each shard this process runs is connected (for /ready).
    shards: Mutex<std::collections::BTreeMap<u32, bool>>,
    me: OnceLock<UserId>,
    registered: std::sync::atomic::AtomicBool,
    /// Whether the moderation log is being posted (started once).
    logging: std::sync::atomic::AtomicBool,
}

impl Handler {
    fn new(bot: Arc<Bot>, cfg: DiscordConfig) -> Handler {
        let cooldown = Cooldown::new(cfg.cooldown_seconds, cfg.cooldown_burst, bot.metrics.clone(), PLATFORM);
        Handler {
            bot,
            cfg,
            cooldown,
            sent: Mutex::default(),
            asked: Mutex::default(),
            parents: Mutex::default(),
            shards: Mutex::default(),
            me: OnceLock::new(),
            registered: Default::default(),
            logging: Default::default(),
        }
    }

    /// Discord is connected when every shard seen is.
    fn shard_connected(&self, shard: u32, connected: bool) {
        let mut shards = self.shards.lock().unwrap_or_else(|e| e.into_inner());
        shards.insert(shard, connected);
        self.bot.metrics.set_connected(PLATFORM, shards.values().all(|c| *c));
    }

    fn edit_window(&self) -> Duration {
        Duration::from_secs(self.cfg.edit_window_seconds)
    }

    /// `None` when the user may ask now; otherwise how long to wait.
    fn cooling_down(&self, user: UserId) -> Option<Duration> {
        self.cooldown.check(&user.get())
    }

    fn is_moderator(&self, member: Option<&Member>) -> bool {
        member.is_some_and(|m| {
            m.permissions.is_some_and(|p| p.manage_guild() || p.administrator())
                || m.roles.iter().any(|r| self.bot.moderators().discord_roles.contains(&r.get()))
        })
    }

    /// Whether the bot serves this server (direct messages always).
    fn serves(&self, guild: Option<GuildId>) -> bool {
        let allowed = &self.cfg.allowed_guilds;
        guild.is_none_or(|g| allowed.is_empty() || allowed.contains(&g.get()))
    }

    fn sender(&self, guild: Option<GuildId>, channel: ChannelId, member: Option<&Member>) -> Sender {
        Sender {
            is_moderator: self.is_moderator(member),
            origin: self.origin(guild, channel),
            name: member.map(|m| m.display_name().into()),
        }
    }

    /// [`Handler::sender`] named even without a member (a direct message):
    /// the server nickname, else the user's display name.
    fn sender_named(
        &self,
        guild: Option<GuildId>,
        channel: ChannelId,
        member: Option<&Member>,
        user: &serenity::all::User,
    ) -> Sender {
        let sender = self.sender(guild, channel, member);
        Sender { name: sender.name.clone().or_else(|| Some(user.display_name().into())), ..sender }
    }

    /// Where a Discord message came from, for the records: its server is
    /// the community whose moderators may read it; direct messages are one
    /// community that only the operator reads.
    fn origin(&self, guild: Option<GuildId>, channel: ChannelId) -> Origin {
        let community = guild.map_or_else(|| DIRECT.to_owned(), |g| g.to_string());
        self.bot.origin(PLATFORM, &community, &channel.to_string())
    }
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        let _ = self.me.set(ready.user.id);
        self.shard_connected(ready.shard.map_or(0, |s| s.id.0), true);
        tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), shard = ?ready.shard, "connected to Discord");
        self.start_moderation_log(&ctx);
        let first_shard = ready.shard.is_none_or(|s| s.id.0 == 0);
        if first_shard
            && !self.registered.swap(true, std::sync::atomic::Ordering::SeqCst)
            && let Err(e) = self.register_commands(&ctx, &ready.guilds.iter().map(|g| g.id).collect::<Vec<_>>()).await
        {
            self.registered.store(false, std::sync::atomic::Ordering::SeqCst);
            tracing::error!(error = %format!("{e:#}"), "cannot register slash commands; they will be retried on the next connection");
        }
    }

    async fn shard_stage_update(&self, _ctx: Context, event: serenity::all::ShardStageUpdateEvent) {
        self.shard_connected(event.shard_id.0, event.new == serenity::all::ConnectionStage::Connected);
    }

    async fn message(&self, ctx: Context, msg: Message) {
        let _in_flight = self.bot.begin();
        if let Err(e) = self.on_message(&ctx, &msg).await {
            tracing::warn!(error = %format!("{e:#}"), channel = %msg.channel_id, "message not answered");
        }
    }

    async fn message_update(
        &self,
        ctx: Context,
        _old: Option<Message>,
        _new: Option<Message>,
        event: MessageUpdateEvent,
    ) {
        if let Err(e) = self.on_edit(&ctx, &event).await {
            tracing::warn!(error = %format!("{e:#}"), channel = %event.channel_id, "edited question not answered again");
        }
    }

    async fn guild_create(&self, ctx: Context, guild: serenity::all::Guild, _is_new: Option<bool>) {
        if self.serves(Some(guild.id)) {
            return;
        }
        // Debug formatting: a server's name is anyone's text, kept on one line.
        tracing::warn!(guild = %guild.id, name = ?guild.name, "leaving a server that is not in [discord] allowed_guilds");
        if let Err(e) = guild.id.leave(&ctx.http).await {
            tracing::warn!(guild = %guild.id, error = %e, "cannot leave the server; it is ignored meanwhile");
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let _in_flight = self.bot.begin();
        let elsewhere = || render::notice("I'm not set up for this server, so I'm leaving it.");
        let result = match &interaction {
            Interaction::Command(cmd) if !self.serves(cmd.guild_id) => respond(&ctx, cmd, &elsewhere()).await,
            Interaction::Component(click) if !self.serves(click.guild_id) => {
                respond_component(&ctx, click, &elsewhere(), false).await
            }
            // No choices to offer there; Discord shows none.
            Interaction::Autocomplete(cmd) if !self.serves(cmd.guild_id) => Ok(()),
            // A form can only come from a command used in a served place.
            Interaction::Modal(form) if !self.serves(form.guild_id) => Ok(()),
            Interaction::Modal(form) => self.on_form(&ctx, form).await,
            Interaction::Command(cmd) => self.on_command(&ctx, cmd).await,
            Interaction::Autocomplete(cmd) => self.on_autocomplete(&ctx, cmd).await,
            Interaction::Component(click) => self.on_component(&ctx, click).await,
            _ => Ok(()),
        };
        if let Err(e) = result {
            tracing::warn!(error = %format!("{e:#}"), id = %interaction.id(), "interaction not answered");
        }
    }
}
