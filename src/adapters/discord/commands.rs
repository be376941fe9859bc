//! Slash commands on Discord: registering them (moderator ones with
//! Manage Server by default, checked again when used), answering them, and
//! autocomplete over stored questions and topics.

use super::messages::cooldown_notice;
use super::*;
use crate::answer::Command;
use crate::reply::Reply;
use anyhow::{Context as _, Result};
use serenity::all::{
    Command as SlashCommand, CommandDataOptionValue, CommandInteraction, CommandOptionType, Context,
    CreateAutocompleteResponse, CreateCommand, CreateCommandOption, CreateInteractionResponse,
    CreateInteractionResponseMessage, GuildId, Permissions,
};

impl Handler {
    pub(super) async fn on_command(&self, ctx: &Context, cmd: &CommandInteraction) -> Result<()> {
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

    pub(super) async fn on_autocomplete(&self, ctx: &Context, cmd: &CommandInteraction) -> Result<()> {
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
}

impl Handler {
    pub(super) async fn register_commands(&self, ctx: &Context) -> Result<()> {
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
