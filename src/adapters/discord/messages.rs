//! Messages on Discord: which ones are for the bot (a mention, a DM, a
//! passive channel), the answer to one, and an edited question answered
//! again with the reply edited to match.

use super::*;
use crate::answer::Command;
use crate::reply::Reply;
use anyhow::{Context as _, Result};
use render::Out;
use serenity::all::{
    ChannelId, Context, Message, MessageId, MessageReference, MessageType, MessageUpdateEvent, UserId,
};
use std::time::{Duration, Instant};

impl Handler {
    /// Whether the bot listens in `channel` without being mentioned: a
    /// passive channel, or a thread (or forum post) under one. A thread's
    /// parent is asked of Discord once and remembered.
    pub(super) async fn is_passive(&self, ctx: &Context, channel: ChannelId) -> bool {
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
}

impl Handler {
    /// The reply to a question typed in a message; `None` when the bot should
    /// stay quiet (a passive channel and no confident answer).
    /// In a passive channel `admit` is asked only when there is an answer
    /// to send (the cooldown counts only what the bot answers).
    pub(super) fn answer_text(
        &self,
        text: &str,
        asker: UserId,
        sender: &Sender,
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
                .ask_passive(sender.origin, &question, admit)
                .map(|reply| render::render(&reply, asker.get(), text));
        }
        let reply = match command {
            Ok(command) => bot.handle(&command, sender, "/"),
            Err(message) => Reply::error(message),
        };
        Some(render::render(&reply, asker.get(), text))
    }

    pub(super) async fn on_message(&self, ctx: &Context, msg: &Message) -> Result<()> {
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
        // Who asks, as a slash command would carry it: a moderator's
        // "@bot reload" is theirs to make.
        let moderator = match Command::from_message(&text, "/") {
            Ok(command) if command.for_moderators() && !passive => self.message_moderator(ctx, msg).await,
            _ => false,
        };
        let name =
            msg.member.as_ref().and_then(|m| m.nick.clone()).unwrap_or_else(|| msg.author.display_name().to_owned());
        let sender = Sender {
            is_moderator: moderator,
            origin: self.origin(msg.guild_id, msg.channel_id),
            name: Some(name.into()),
        };
        let Some(out) = self.answer_text(&text, msg.author.id, &sender, passive, admit) else {
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
                self.asked.lock().unwrap_or_else(|e| e.into_inner()).insert(sent.id, text.clone());
                Ok(())
            }
            Err(e) => {
                sent_log.remove(&msg.id);
                Err(e).context("cannot send the reply")
            }
        }
    }

    /// The reply to `question`, waiting briefly when it is still being sent.
    pub(super) async fn reply_of(&self, question: MessageId) -> Option<(Sent, MessageId)> {
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

    /// Whether a message's author moderates the server: a moderator role,
    /// else Manage Server or Administrator from the server's roles (asked
    /// of Discord, since a message carries its author's roles but not
    /// their permissions). Direct messages have no moderators.
    async fn message_moderator(&self, ctx: &Context, msg: &Message) -> bool {
        let (Some(guild), Some(member)) = (msg.guild_id, msg.member.as_deref()) else { return false };
        if member.roles.iter().any(|r| self.bot.moderators().discord_roles.contains(&r.get())) {
            return true;
        }
        match guild.to_partial_guild(&ctx.http).await {
            Ok(server) => {
                let permissions = server.partial_member_permissions(msg.author.id, member);
                permissions.manage_guild() || permissions.administrator()
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the server's roles to check a moderator; refused");
                false
            }
        }
    }

    pub(super) async fn on_edit(&self, ctx: &Context, event: &MessageUpdateEvent) -> Result<()> {
        let (Some(content), Some(&me)) = (&event.content, self.me.get()) else { return Ok(()) };
        let Some((sent, reply)) = self.reply_of(event.id).await else { return Ok(()) };
        let asker = event.author.as_ref().map_or(UserId::new(1), |u| u.id);
        if asker == me {
            return Ok(());
        }
        let text = strip_mention(content, me);
        // An edit is answered as a question; a moderator command typed by
        // editing a message is refused (ask again in a new message).
        let sender = self.sender(sent.guild, sent.channel, None);
        match self.answer_text(&text, asker, &sender, sent.passive, || true) {
            Some(out) => {
                sent.channel.edit_message(&ctx.http, reply, to_edit(&out)).await.context("cannot edit the reply")?;
            }
            // The edited message no longer reads as a stored question: a
            // passive answer to it would now be noise.
            None => sent.channel.delete_message(&ctx.http, reply).await.context("cannot delete the reply")?,
        }
        Ok(())
    }
}

/// The bot's own mention (`<@id>` or `<@!id>`) taken out of a message.
pub(super) fn strip_mention(content: &str, me: UserId) -> String {
    content.replace(&format!("<@{me}>"), " ").replace(&format!("<@!{me}>"), " ").trim().to_owned()
}

pub(super) fn cooldown_notice(wait: Duration) -> Out {
    render::notice(&format!(
        "You're asking faster than I answer here; please wait {} s and ask again.",
        wait.as_secs().max(1)
    ))
}
