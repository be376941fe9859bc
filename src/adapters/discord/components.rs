//! Buttons on Discord: a "did you mean" pick or "None of these", 👍 / 👎
//! feedback, the full claim list of an answer, and the review queue's
//! (handled in `edits`).

use super::*;
use crate::answer::Command;
use anyhow::Result;
use render::{Action, Out};
use serenity::all::{ComponentInteraction, Context};

impl Handler {
    pub(super) async fn on_component(&self, ctx: &Context, click: &ComponentInteraction) -> Result<()> {
        let Some(action) = Action::parse(&click.data.custom_id) else {
            let out = render::notice("That button is from an older version of me; ask again with /ask.");
            return respond_component(ctx, click, &out, false).await;
        };
        let clicker = click.user.id.get();
        let bot = &self.bot;
        match action {
            review @ (Action::Accept { .. } | Action::Dismiss { .. } | Action::Draft { .. } | Action::Page { .. }) => {
                self.on_review_click(ctx, click, review).await
            }
            Action::Pick { asker, entry } => {
                // The question is kept (for the review queue) only for the
                // asker's own pick.
                let footer = click.message.embeds.first().and_then(|e| e.footer.as_ref()).map(|f| f.text.as_str());
                let question = footer.and_then(render::asked_question).filter(|_| asker == clicker);
                let reply = bot.picked(self.origin(click.guild_id, click.channel_id), &entry, question);
                let mut out = render::render(&reply, clicker, "");
                // Someone else's suggestions: answer them privately and
                // leave the asker's message as it is.
                out.ephemeral = asker != clicker || out.ephemeral;
                respond_component(ctx, click, &out, asker == clicker).await
            }
            Action::Feedback { helpful, entry } => {
                let (answer, voter) = (click.message.id.to_string(), click.user.id.to_string());
                // What was asked, when this process sent the answer (a
                // reply to a message) within the last day.
                let asked = self.asked.lock().unwrap_or_else(|e| e.into_inner()).get(&click.message.id, ASKED_KEPT);
                let origin = self.origin(click.guild_id, click.channel_id);
                bot.feedback(origin, &entry, helpful, &answer, &voter, asked.as_deref());
                let thanks = if helpful {
                    "Thanks — glad it helped."
                } else {
                    "Thanks — noted for the moderators. `/claims` shows the sources behind an answer."
                };
                respond_component(ctx, click, &render::notice(thanks), false).await
            }
            Action::Claims { entry } => {
                let sender = self.sender(click.guild_id, click.channel_id, click.member.as_ref());
                let reply = bot.handle(&Command::Claims(entry), &sender, "/");
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
}
