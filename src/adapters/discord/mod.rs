//! The Discord adapter on serenity: turns messages, edits and interactions
//! (slash commands, autocomplete, buttons) into commands for the bot and
//! sends replies rendered by [`render`]. Owns the Discord-only state: the
//! per-user cooldown and which reply answers which question (for edits).
//!
//! Every message it sends or edits carries allowed_mentions that parse
//! nothing, so no answer or echoed text can ping anyone.

pub mod render;

use anyhow::{Context as _, Result};
use serenity::all::{
    ButtonStyle, ChannelId, ClientBuilder, Command as SlashCommand, CommandDataOptionValue, CommandInteraction,
    CommandOptionType, ComponentInteraction, Context, CreateActionRow, CreateAllowedMentions,
    CreateAutocompleteResponse, CreateButton, CreateCommand, CreateCommandOption, CreateEmbed, CreateEmbedFooter,
    CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage, EditInteractionResponse, EditMessage,
    EventHandler, GatewayIntents, GuildId, HttpBuilder, Interaction, Member, Message, MessageId, MessageReference,
    MessageType, MessageUpdateEvent, Permissions, Ready, UserId,
};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::Stop;
use super::cooldown::Cooldown;
use super::recent::Recent;
use crate::bot::{Bot, Sender};
use crate::config::DiscordConfig;
use crate::core::Command;
use crate::platform::Platform;
use crate::records::Origin;
use crate::reply::Reply;
use crate::secrets::Secret;
use render::{Action, Out};

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

/// Connects to Discord and serves until `stop` resolves or the gateway gives
/// up. The token is only handed to serenity, never logged. A token Discord
/// rejects ends the task with an error naming DISCORD_TOKEN; while Discord
/// cannot be reached it retries with backoff, and a stop ends it in any phase.
pub async fn run(bot: Arc<Bot>, token: Secret, stop: Stop) -> Result<()> {
    let cfg = bot.config.discord.clone();
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
    let http = http.build();
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
    /// Channel → its parent when it is a thread (for passive channels).
    parents: Mutex<Recent<ChannelId, Option<ChannelId>>>,
    /// Whether each shard this process runs is connected (for /ready).
    shards: Mutex<std::collections::BTreeMap<u32, bool>>,
    me: OnceLock<UserId>,
    registered: std::sync::atomic::AtomicBool,
}

impl Handler {
    fn new(bot: Arc<Bot>, cfg: DiscordConfig) -> Handler {
        let cooldown = Cooldown::new(cfg.cooldown_seconds, cfg.cooldown_burst, bot.metrics.clone(), PLATFORM);
        Handler {
            bot,
            cfg,
            cooldown,
            sent: Mutex::default(),
            parents: Mutex::default(),
            shards: Mutex::default(),
            me: OnceLock::new(),
            registered: Default::default(),
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

    /// Whether the bot listens in `channel` without being mentioned: a
    /// passive channel, or a thread (or forum post) under one. A thread's
    /// parent is asked of Discord once and remembered.
    async fn is_passive(&self, ctx: &Context, channel: ChannelId) -> bool {
        let passive = |c: ChannelId| self.cfg.passive_channels.contains(&c.get());
        if self.cfg.passive_channels.is_empty() {
            return false;
        }
        if passive(channel) {
            return true;
        }
        let known = self.parents.lock().unwrap_or_else(|e| e.into_inner()).get(&channel, PARENT_KEPT);
        let parent = match known {
            Some(parent) => parent,
            None => {
                let parent = match channel.to_channel(&ctx.http).await {
                    Ok(serenity::all::Channel::Guild(c)) if c.thread_metadata.is_some() => c.parent_id,
                    Ok(_) => None,
                    Err(e) => {
                        // Not remembered: asked again next time.
                        tracing::warn!(error = %e, "cannot look up a channel's parent; treating it as not passive");
                        return false;
                    }
                };
                self.parents.lock().unwrap_or_else(|e| e.into_inner()).insert(channel, parent);
                parent
            }
        };
        parent.is_some_and(passive)
    }

    fn is_moderator(&self, member: Option<&Member>) -> bool {
        member.is_some_and(|m| {
            m.permissions.is_some_and(|p| p.manage_guild() || p.administrator())
                || m.roles.iter().any(|r| self.cfg.moderator_roles.contains(&r.get()))
        })
    }

    /// Whether the bot serves this server (direct messages always).
    fn serves(&self, guild: Option<GuildId>) -> bool {
        let allowed = &self.cfg.allowed_guilds;
        guild.is_none_or(|g| allowed.is_empty() || allowed.contains(&g.get()))
    }

    fn sender(&self, guild: Option<GuildId>, channel: ChannelId, member: Option<&Member>) -> Sender {
        Sender { is_moderator: self.is_moderator(member), origin: self.origin(guild, channel) }
    }

    /// Where a Discord message came from, for the records: its server is
    /// the community whose moderators may read it; direct messages are one
    /// community that only the operator reads.
    fn origin(&self, guild: Option<GuildId>, channel: ChannelId) -> Origin {
        let community = guild.map_or_else(|| DIRECT.to_owned(), |g| g.to_string());
        self.bot.origin(PLATFORM, &community, &channel.to_string())
    }

    /// The reply to a question typed in a message; `None` when the bot should
    /// stay quiet (a passive channel and no confident answer).
    /// In a passive channel `admit` is asked only when there is an answer
    /// to send (the cooldown counts only what the bot answers).
    fn answer_text(
        &self,
        text: &str,
        asker: UserId,
        (guild, channel): (Option<GuildId>, ChannelId),
        passive: bool,
        admit: impl FnOnce() -> bool,
    ) -> Option<Out> {
        let bot = &self.bot;
        let command = Command::from_message(text, "/");
        if passive {
            // Overheard, "help" or "/topics" is not a question for the FAQ;
            // the bot answers only confident matches to real questions.
            let Ok(Command::Ask(question)) = command else { return None };
            return bot
                .ask_passive(self.origin(guild, channel), &question, admit)
                .map(|reply| render::render(&reply, asker.get(), text));
        }
        let reply = match command {
            Ok(command) => bot.handle(&command, self.sender(guild, channel, None), "/"),
            Err(message) => Reply::error(message),
        };
        Some(render::render(&reply, asker.get(), text))
    }

    async fn on_message(&self, ctx: &Context, msg: &Message) -> Result<()> {
        let Some(&me) = self.me.get() else { return Ok(()) };
        if msg.author.bot || msg.webhook_id.is_some() || msg.author.id == me {
            return Ok(());
        }
        if !matches!(msg.kind, MessageType::Regular | MessageType::InlineReply) || !self.serves(msg.guild_id) {
            return Ok(());
        }
        let addressed = msg.guild_id.is_none() || msg.mentions.iter().any(|u| u.id == me);
        let passive = !addressed && self.cfg.message_content_intent && self.is_passive(ctx, msg.channel_id).await;
        if !addressed && !passive {
            return Ok(());
        }
        if addressed && let Some(wait) = self.cooling_down(msg.author.id) {
            tracing::debug!(wait_ms = wait.as_millis() as u64, "cooldown");
            // A reaction rather than a message: a user being too quick
            // should not make the channel noisier.
            msg.react(&ctx.http, '⏳').await.context("cannot react")?;
            return Ok(());
        }
        let text = strip_mention(&msg.content, me);
        let started = Instant::now();
        // Overheard chatter the bot stays quiet on costs no cooldown; an
        // overheard question it would answer does, and is dropped quietly
        // when the asker is too quick.
        let admit = || self.cooling_down(msg.author.id).is_none();
        let Some(out) = self.answer_text(&text, msg.author.id, (msg.guild_id, msg.channel_id), passive, admit) else {
            return Ok(());
        };
        tracing::debug!(passive, micros = started.elapsed().as_micros() as u64, "message answered");
        // Noted before sending, so an edit that arrives while the reply is
        // on its way waits for it instead of being missed.
        let mut log = Sent { guild: msg.guild_id, channel: msg.channel_id, reply: None, passive };
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).insert(msg.id, log);
        // A question deleted while its answer was being made still gets the
        // answer (Discord would refuse the reply otherwise).
        let reference = MessageReference::from(msg).fail_if_not_exists(false);
        let sent = msg.channel_id.send_message(&ctx.http, to_message(&out).reference_message(reference)).await;
        let mut sent_log = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        match sent {
            Ok(sent) => {
                log.reply = Some(sent.id);
                sent_log.insert(msg.id, log);
                Ok(())
            }
            Err(e) => {
                sent_log.remove(&msg.id);
                Err(e).context("cannot send the reply")
            }
        }
    }

    /// The reply to `question`, waiting briefly when it is still being sent.
    async fn reply_of(&self, question: MessageId) -> Option<(Sent, MessageId)> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let sent = self.sent.lock().unwrap_or_else(|e| e.into_inner()).get(&question, self.edit_window())?;
            if let Some(reply) = sent.reply {
                return Some((sent, reply));
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    async fn on_edit(&self, ctx: &Context, event: &MessageUpdateEvent) -> Result<()> {
        let (Some(content), Some(&me)) = (&event.content, self.me.get()) else { return Ok(()) };
        let Some((sent, reply)) = self.reply_of(event.id).await else { return Ok(()) };
        let asker = event.author.as_ref().map_or(UserId::new(1), |u| u.id);
        if asker == me {
            return Ok(());
        }
        let text = strip_mention(content, me);
        match self.answer_text(&text, asker, (sent.guild, sent.channel), sent.passive, || true) {
            Some(out) => {
                sent.channel.edit_message(&ctx.http, reply, to_edit(&out)).await.context("cannot edit the reply")?;
            }
            // The edited message no longer reads as a stored question: a
            // passive answer to it would now be noise.
            None => sent.channel.delete_message(&ctx.http, reply).await.context("cannot delete the reply")?,
        }
        Ok(())
    }

    async fn on_command(&self, ctx: &Context, cmd: &CommandInteraction) -> Result<()> {
        let sender = self.sender(cmd.guild_id, cmd.channel_id, cmd.member.as_deref());
        let option = |name: &str| {
            cmd.data.options.iter().find(|o| o.name == name).and_then(|o| match &o.value {
                CommandDataOptionValue::String(s) => Some(s.as_str()),
                _ => None,
            })
        };
        let bot = &self.bot;
        let reply = match cmd.data.name.as_str() {
            "ask" => {
                if let Some(wait) = self.cooling_down(cmd.user.id) {
                    return respond(ctx, cmd, &cooldown_notice(wait)).await;
                }
                let question = option("question").unwrap_or_default();
                match question.strip_prefix(ENTRY_VALUE) {
                    Some(id) => bot.picked(sender.origin, id),
                    None if question.trim().is_empty() => Reply::error("Type a question after /ask."),
                    None => bot.handle(&Command::Ask(question.to_owned()), sender, "/"),
                }
            }
            "topics" => bot.handle(&Command::Topics, sender, "/"),
            "topic" => bot.handle(&Command::Topic(option("name").unwrap_or_default().to_owned()), sender, "/"),
            "claims" => {
                let id = option("entry").unwrap_or_default();
                bot.handle(&Command::Claims(id.strip_prefix(ENTRY_VALUE).unwrap_or(id).to_owned()), sender, "/")
            }
            "help" => bot.handle(&Command::Help, sender, "/"),
            "privacy" => bot.handle(&Command::Privacy, sender, "/"),
            name @ ("reload" | "unanswered") if !sender.is_moderator => {
                let command = if name == "reload" { Command::Reload } else { Command::Unanswered };
                bot.handle(&command, sender, "/")
            }
            name @ ("reload" | "unanswered") => {
                // A reload of a large knowledge base, or grouping a long
                // queue, can pass Discord's 3 s deadline: acknowledge first,
                // then edit in the result.
                let command = if name == "reload" { Command::Reload } else { Command::Unanswered };
                let defer = CreateInteractionResponseMessage::new().ephemeral(true);
                cmd.create_response(&ctx.http, CreateInteractionResponse::Defer(defer)).await?;
                let bot = self.bot.clone();
                let reply = tokio::task::spawn_blocking(move || bot.handle(&command, sender, "/")).await?;
                let out = render::render(&reply, cmd.user.id.get(), "");
                cmd.edit_response(&ctx.http, to_edit_response(&out)).await.context("cannot send the result")?;
                return Ok(());
            }
            other => Reply::error(format!(
                "I don't know /{}; my commands are listed by /help.",
                crate::text::shorten(other, 32)
            )),
        };
        let question = option("question").unwrap_or_default();
        respond(ctx, cmd, &render::render(&reply, cmd.user.id.get(), question)).await
    }

    async fn on_autocomplete(&self, ctx: &Context, cmd: &CommandInteraction) -> Result<()> {
        let typed = cmd.data.autocomplete().map_or("", |o| o.value);
        let kb = self.bot.knowledge();
        let choices: Vec<(String, String)> = match cmd.data.name.as_str() {
            "ask" | "claims" => {
                let entries: Vec<&crate::knowledge::Entry> = if typed.trim().is_empty() {
                    kb.topics().into_values().flatten().collect()
                } else {
                    kb.matcher().score(typed).0.iter().map(|s| &kb.entries[s.entry]).collect()
                };
                entries
                    .into_iter()
                    .map(|e| (render::fit(&e.question, render::CHOICE, "…"), format!("{ENTRY_VALUE}{}", e.id)))
                    .filter(|(_, value)| value.len() <= render::CHOICE)
                    .take(CHOICES)
                    .collect()
            }
            "topic" => {
                let wanted = crate::matcher::normalise(typed);
                let best = kb.find_topic(typed);
                kb.topics()
                    .into_keys()
                    .filter(|t| Some(*t) == best || crate::matcher::normalise(t).contains(&wanted))
                    .map(|t| (render::fit(t, render::CHOICE, "…"), render::fit(t, render::CHOICE, "")))
                    .take(CHOICES)
                    .collect()
            }
            _ => Vec::new(),
        };
        let mut response = CreateAutocompleteResponse::new();
        for (name, value) in choices {
            response = response.add_string_choice(name, value);
        }
        cmd.create_response(&ctx.http, CreateInteractionResponse::Autocomplete(response)).await?;
        Ok(())
    }

    async fn on_component(&self, ctx: &Context, click: &ComponentInteraction) -> Result<()> {
        let Some(action) = Action::parse(&click.data.custom_id) else {
            let out = render::notice("That button is from an older version of me; ask again with /ask.");
            return respond_component(ctx, click, &out, false).await;
        };
        let clicker = click.user.id.get();
        let bot = &self.bot;
        match action {
            Action::Pick { asker, entry } => {
                let reply = bot.picked(self.origin(click.guild_id, click.channel_id), &entry);
                let mut out = render::render(&reply, clicker, "");
                // Someone else's suggestions: answer them privately and
                // leave the asker's message as it is.
                out.ephemeral = asker != clicker || out.ephemeral;
                respond_component(ctx, click, &out, asker == clicker).await
            }
            Action::Feedback { helpful, entry } => {
                let (answer, voter) = (click.message.id.to_string(), click.user.id.to_string());
                bot.feedback(self.origin(click.guild_id, click.channel_id), &entry, helpful, &answer, &voter);
                let thanks = if helpful {
                    "Thanks — glad it helped."
                } else {
                    "Thanks — noted for the moderators. `/claims` shows the sources behind an answer."
                };
                respond_component(ctx, click, &render::notice(thanks), false).await
            }
            Action::Claims { entry } => {
                let sender = self.sender(click.guild_id, click.channel_id, click.member.as_ref());
                let reply = bot.handle(&Command::Claims(entry), sender, "/");
                let out = Out { ephemeral: true, ..render::render(&reply, clicker, "") };
                respond_component(ctx, click, &out, false).await
            }
            Action::NoneOfThese { asker } if asker != clicker => {
                let out =
                    render::notice("Only the person who asked can turn these down; ask your own question with /ask.");
                respond_component(ctx, click, &out, false).await
            }
            Action::NoneOfThese { .. } => {
                let footer = click.message.embeds.first().and_then(|e| e.footer.as_ref()).map(|f| f.text.as_str());
                if let Some(question) = footer.and_then(render::asked_question) {
                    bot.declined(self.origin(click.guild_id, click.channel_id), question);
                }
                let out = Out {
                    content: Some(
                        "Thanks — I've noted the question for the moderators. `/topics` shows what I know.".to_owned(),
                    ),
                    ..Out::default()
                };
                respond_component(ctx, click, &out, true).await
            }
        }
    }

    async fn register_commands(&self, ctx: &Context) -> Result<()> {
        let text = |name: &str, what: &str, autocomplete: bool| {
            CreateCommandOption::new(CommandOptionType::String, name, what)
                .required(true)
                .set_autocomplete(autocomplete)
                .max_length(1000)
        };
        let moderators =
            |c: CreateCommand| c.default_member_permissions(Permissions::MANAGE_GUILD).dm_permission(false);
        let commands = vec![
            CreateCommand::new("ask").description("Ask a question; I answer from the FAQ").add_option(text(
                "question",
                "Your question, in your own words",
                true,
            )),
            CreateCommand::new("topics").description("List the topics I know"),
            CreateCommand::new("topic").description("List the questions of one topic").add_option(text(
                "name",
                "The topic",
                true,
            )),
            CreateCommand::new("claims")
                .description("Every claim in an answer, with its status and source")
                .add_option(text("entry", "The answer (its id is in the answer's footer)", true)),
            CreateCommand::new("privacy").description("What I keep of what you ask, and for how long"),
            CreateCommand::new("help").description("How to ask, and what I can do"),
            moderators(CreateCommand::new("reload").description("Reload the knowledge files (moderators)")),
            moderators(CreateCommand::new("unanswered").description("Questions I could not answer (moderators)")),
        ];
        let count = commands.len();
        match self.cfg.dev_guild {
            Some(guild) => {
                GuildId::new(guild).set_commands(&ctx.http, commands).await?;
            }
            None => {
                SlashCommand::set_global_commands(&ctx.http, commands).await?;
            }
        }
        tracing::info!(count, guild = ?self.cfg.dev_guild, "slash commands registered");
        Ok(())
    }
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        let _ = self.me.set(ready.user.id);
        self.shard_connected(ready.shard.map_or(0, |s| s.id.0), true);
        tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), shard = ?ready.shard, "connected to Discord");
        let first_shard = ready.shard.is_none_or(|s| s.id.0 == 0);
        if first_shard
            && !self.registered.swap(true, std::sync::atomic::Ordering::SeqCst)
            && let Err(e) = self.register_commands(&ctx).await
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

/// The bot's own mention (`<@id>` or `<@!id>`) taken out of a message.
fn strip_mention(content: &str, me: UserId) -> String {
    content.replace(&format!("<@{me}>"), " ").replace(&format!("<@!{me}>"), " ").trim().to_owned()
}

fn cooldown_notice(wait: Duration) -> Out {
    render::notice(&format!(
        "You're asking faster than I answer here; please wait {} s and ask again.",
        wait.as_secs().max(1)
    ))
}

/// Mentions that ping nobody: no user, role or @everyone parse, and a reply
/// does not ping the person replied to.
fn no_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new().empty_users().empty_roles().everyone(false).replied_user(false)
}

fn embed(e: &render::Embed) -> CreateEmbed {
    let mut embed = CreateEmbed::new().description(&e.description).colour(e.colour);
    if let Some(title) = &e.title {
        embed = embed.title(title);
    }
    if let Some(footer) = &e.footer {
        embed = embed.footer(CreateEmbedFooter::new(footer));
    }
    embed.fields(e.fields.iter().map(|(n, v)| (n.as_str(), v.as_str(), false)))
}

fn components(out: &Out) -> Vec<CreateActionRow> {
    if out.buttons.is_empty() {
        return Vec::new();
    }
    let buttons = out
        .buttons
        .iter()
        .map(|b| {
            let style = if b.primary { ButtonStyle::Primary } else { ButtonStyle::Secondary };
            CreateButton::new(&b.custom_id).label(&b.label).style(style)
        })
        .collect();
    vec![CreateActionRow::Buttons(buttons)]
}

fn to_message(out: &Out) -> CreateMessage {
    let mut m = CreateMessage::new().allowed_mentions(no_mentions()).components(components(out));
    if let Some(c) = &out.content {
        m = m.content(c);
    }
    if let Some(e) = &out.embed {
        m = m.embed(embed(e));
    }
    m
}

/// An edit replaces everything: content, embed and buttons.
fn to_edit(out: &Out) -> EditMessage {
    EditMessage::new()
        .allowed_mentions(no_mentions())
        .content(out.content.clone().unwrap_or_default())
        .embeds(out.embed.iter().map(embed).collect())
        .components(components(out))
}

fn to_edit_response(out: &Out) -> EditInteractionResponse {
    EditInteractionResponse::new()
        .allowed_mentions(no_mentions())
        .content(out.content.clone().unwrap_or_default())
        .embeds(out.embed.iter().map(embed).collect())
        .components(components(out))
}

fn to_interaction(out: &Out) -> CreateInteractionResponseMessage {
    let mut m = CreateInteractionResponseMessage::new()
        .allowed_mentions(no_mentions())
        .ephemeral(out.ephemeral)
        .components(components(out))
        .embeds(out.embed.iter().map(embed).collect());
    m = m.content(out.content.clone().unwrap_or_default());
    m
}

async fn respond(ctx: &Context, cmd: &CommandInteraction, out: &Out) -> Result<()> {
    cmd.create_response(&ctx.http, CreateInteractionResponse::Message(to_interaction(out)))
        .await
        .context("cannot answer the command")
}

/// Answers a button click: `update` replaces the message the button is on,
/// otherwise a new message is sent (ephemeral when `out` says so).
async fn respond_component(ctx: &Context, click: &ComponentInteraction, out: &Out, update: bool) -> Result<()> {
    let message = to_interaction(out);
    let response = if update {
        CreateInteractionResponse::UpdateMessage(message)
    } else {
        CreateInteractionResponse::Message(message)
    };
    click.create_response(&ctx.http, response).await.context("cannot answer the button")
}
