//! Slash commands on Discord: registering them (moderator ones with
//! Manage Server by default, checked again when used), answering them, and
//! autocomplete over stored questions and topics.

use super::messages::cooldown_notice;
use super::*;
use crate::command::{self, COMMANDS, Command};
use crate::reply::Reply;
use anyhow::{Context as _, Result};
use serenity::all::{
    Command as SlashCommand, CommandDataOptionValue, CommandInteraction, CommandOptionType, Context,
    CreateAutocompleteResponse, CreateCommand, CreateCommandOption, CreateInteractionResponse,
    CreateInteractionResponseMessage, GuildId, Permissions,
};

impl Handler {
    pub(super) async fn on_command(&self, ctx: &Context, cmd: &CommandInteraction) -> Result<()> {
        // Named: an undo is signed with who made it.
        let sender = self.sender_named(cmd.guild_id, cmd.channel_id, cmd.member.as_deref(), &cmd.user);
        let option = |name: &str| {
            cmd.data.options.iter().find(|o| o.name == name).and_then(|o| match &o.value {
                CommandDataOptionValue::String(s) => Some(s.as_str()),
                _ => None,
            })
        };
        let bot = &self.bot;
        if [edits::FAQ, edits::CLAIM, edits::ACCEPT].contains(&cmd.data.name.as_str()) {
            return self.on_edit_command(ctx, cmd).await;
        }
        let Some(spec) = command::spec(&cmd.data.name).filter(|s| s.slash) else {
            let unknown = Reply::error(format!(
                "I don't know /{}; my commands are listed by /help.",
                crate::text::shorten(&cmd.data.name, 32)
            ));
            return respond(ctx, cmd, &render::render(&unknown, cmd.user.id.get(), "")).await;
        };
        let arg = spec.arg.and_then(|a| option(a.name)).unwrap_or_default();
        // An entry picked from autocomplete carries its id; `ask` tells a
        // pick from a typed question by it, below.
        let plain = if spec.name == "ask" { arg } else { arg.strip_prefix(ENTRY_VALUE).unwrap_or(arg) };
        let command = match (spec.make)(plain.to_owned()) {
            Ok(command) => command,
            Err(message) => {
                return respond(ctx, cmd, &render::render(&Reply::error(message), cmd.user.id.get(), "")).await;
            }
        };
        let reply = match spec.name {
            "ask" => {
                if let Some(wait) = self.cooling_down(cmd.user.id) {
                    return respond(ctx, cmd, &cooldown_notice(wait)).await;
                }
                match arg.strip_prefix(ENTRY_VALUE) {
                    Some(id) => bot.picked(sender.origin, id, None),
                    None if arg.trim().is_empty() => Reply::error("Type a question after /ask."),
                    None => bot.handle(&Command::Ask(arg.to_owned()), &sender, "/"),
                }
            }
            // An entry picked from autocomplete carries its id.
            "claims" => {
                bot.handle(&Command::Claims(arg.strip_prefix(ENTRY_VALUE).unwrap_or(arg).to_owned()), &sender, "/")
            }
            _ if spec.moderators && sender.is_moderator => {
                // A reload of a large knowledge base, or grouping a long
                // queue, can pass Discord's 3 s deadline: acknowledge first,
                // then edit in the result.
                let defer = CreateInteractionResponseMessage::new().ephemeral(true);
                cmd.create_response(&ctx.http, CreateInteractionResponse::Defer(defer)).await?;
                let reply = crate::adapters::off_load(self.bot.clone(), command, sender, "/").await;
                let out = render::render(&reply, cmd.user.id.get(), "");
                cmd.edit_response(&ctx.http, to_edit_response(&out)).await.context("cannot send the result")?;
                return Ok(());
            }
            // Everything else, refusals of moderator commands included, is
            // the bot's to answer.
            _ => bot.handle(&command, &sender, "/"),
        };
        let question = option("question").unwrap_or_default();
        respond(ctx, cmd, &render::render(&reply, cmd.user.id.get(), question)).await?;
        // An answer to a typed question: which message it is, so a 👎 on it
        // keeps the question for the review queue (one more call, made
        // after the answer is out).
        if let Reply::Answer { .. } = reply
            && spec.name == "ask"
            && !question.starts_with(ENTRY_VALUE)
        {
            match cmd.get_response(&ctx.http).await {
                Ok(answer) => {
                    self.asked.lock().unwrap_or_else(|e| e.into_inner()).insert(answer.id, question.to_owned());
                }
                Err(e) => tracing::debug!(error = %e, "cannot read back the answer's message id"),
            }
        }
        Ok(())
    }

    pub(super) async fn on_autocomplete(&self, ctx: &Context, cmd: &CommandInteraction) -> Result<()> {
        let typed = cmd.data.autocomplete().map_or("", |o| o.value);
        let kb = self.bot.knowledge();
        let choices: Vec<(String, String)> = match cmd.data.name.as_str() {
            "ask" | "claims" => edits::entry_choices(&kb, typed),
            "history" | "undo" => {
                let sender = self.sender(cmd.guild_id, cmd.channel_id, cmd.member.as_deref());
                match (cmd.data.name.as_str(), sender.is_moderator) {
                    // Changes name phrasings people asked: moderators only.
                    (_, false) => Vec::new(),
                    ("history", true) => edits::entry_choices(&kb, typed),
                    _ => self.change_choices(typed),
                }
            }
            name @ (edits::FAQ | edits::CLAIM | edits::ACCEPT) => self.edit_choices(name, typed),
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
}

/// Where the slash commands were registered last (in the data directory).
const SCOPE_FILE: &str = "discord-commands.json";

/// A scope: a server's id, or `None` for global.
#[derive(serde::Serialize, serde::Deserialize)]
struct Scope {
    guild: Option<u64>,
}

impl Handler {
    /// The last changes for `/undo`'s autocomplete: the version as the
    /// value, when, who and what as the label.
    fn change_choices(&self, typed: &str) -> Vec<(String, String)> {
        let Some(changes) = self.bot.history().and_then(|h| h.log(None, 50).ok()) else { return Vec::new() };
        let typed = typed.trim().to_lowercase();
        changes
            .into_iter()
            .map(|c| (format!("{} · {} · {}: {}", c.version, c.when, c.who, c.what), c.version))
            .filter(|(label, _)| label.to_lowercase().contains(&typed))
            .map(|(label, version)| (render::fit(&label, render::CHOICE, "…"), version))
            .take(CHOICES)
            .collect()
    }

    pub(super) async fn register_commands(&self, ctx: &Context, guilds: &[GuildId]) -> Result<()> {
        // One slash command for each entry of the command table; moderator
        // ones hidden from members by default and checked again when used.
        let commands: Vec<CreateCommand> = COMMANDS
            .iter()
            .filter(|c| c.slash)
            .map(|c| {
                let mut command = CreateCommand::new(c.name).description(c.describe);
                if let Some(arg) = c.arg {
                    command = command.add_option(
                        CreateCommandOption::new(CommandOptionType::String, arg.name, arg.describe)
                            .required(!arg.optional)
                            .set_autocomplete(arg.autocomplete)
                            .max_length(1000),
                    );
                }
                if c.moderators {
                    command = command.default_member_permissions(Permissions::MANAGE_GUILD).dm_permission(false);
                }
                command
            })
            .chain(edits::edit_commands())
            .collect();
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
        self.forget_other_scope(ctx, guilds).await
    }

    /// Removes the commands registered before in the other scope (a server
    /// when they are global now, or global when they are in a server now),
    /// else that server shows every command twice. The scope registered is
    /// kept in the data directory; without a record (the first start, or an
    /// older version ran before), going global clears any server-scoped set
    /// in the servers the bot is in.
    async fn forget_other_scope(&self, ctx: &Context, guilds: &[GuildId]) -> Result<()> {
        let record = self.bot.config.data.dir.join(SCOPE_FILE);
        let now = self.cfg.dev_guild;
        let before: Option<Option<u64>> =
            std::fs::read_to_string(&record).ok().and_then(|t| serde_json::from_str::<Scope>(&t).ok()).map(|s| s.guild);
        let stale: Vec<Option<GuildId>> = match (before, now) {
            (Some(before), now) if before == now => Vec::new(),
            (Some(Some(guild)), _) => vec![Some(GuildId::new(guild))],
            (Some(None), Some(_)) => vec![None],
            (None, None) => guilds.iter().copied().map(Some).collect(),
            (None, Some(_)) | (Some(None), None) => Vec::new(),
        };
        for scope in stale {
            match scope {
                Some(guild) => {
                    let registered = guild.get_commands(&ctx.http).await.map(|c| c.len()).unwrap_or(0);
                    if registered > 0 {
                        guild.set_commands(&ctx.http, Vec::new()).await?;
                        tracing::info!(
                            guild = guild.get(),
                            registered,
                            "removed the slash commands registered in this server before; they are global now"
                        );
                    }
                }
                None => {
                    SlashCommand::set_global_commands(&ctx.http, Vec::new()).await?;
                    tracing::info!("removed the global slash commands registered before; they are in dev_guild now");
                }
            }
        }
        let scope = serde_json::to_string(&Scope { guild: now })?;
        if let Err(e) = std::fs::create_dir_all(&self.bot.config.data.dir).and_then(|()| std::fs::write(&record, scope))
        {
            tracing::warn!(file = %record.display(), error = %e, "cannot note where the slash commands are registered; a later move between a server and global may leave the old set");
        }
        Ok(())
    }
}
