//! Sending on Discord: a rendered reply turned into serenity builders
//! (message, edit, interaction response) that parse no mentions, and sent.

use super::*;
use anyhow::{Context as _, Result};
use render::Out;
use serenity::all::{
    ButtonStyle, CommandInteraction, ComponentInteraction, Context, CreateActionRow, CreateAllowedMentions,
    CreateButton, CreateEmbed, CreateEmbedFooter, CreateInteractionResponse, CreateInteractionResponseMessage,
    CreateMessage, EditInteractionResponse, EditMessage,
};

/// Mentions that ping nobody: no user, role or @everyone parse, and a reply
/// does not ping the person replied to.
pub(super) fn no_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new().empty_users().empty_roles().everyone(false).replied_user(false)
}

pub(super) fn embed(e: &render::Embed) -> CreateEmbed {
    let mut embed = CreateEmbed::new().description(&e.description).colour(e.colour);
    if let Some(title) = &e.title {
        embed = embed.title(title);
    }
    if let Some(footer) = &e.footer {
        embed = embed.footer(CreateEmbedFooter::new(footer));
    }
    embed.fields(e.fields.iter().map(|(n, v)| (n.as_str(), v.as_str(), false)))
}

pub(super) fn components(out: &Out) -> Vec<CreateActionRow> {
    let row = |buttons: &[render::Button]| {
        let buttons = buttons
            .iter()
            .map(|b| {
                let style = if b.primary { ButtonStyle::Primary } else { ButtonStyle::Secondary };
                CreateButton::new(&b.custom_id).label(&b.label).style(style)
            })
            .collect();
        CreateActionRow::Buttons(buttons)
    };
    std::iter::once(out.buttons.as_slice())
        .chain(out.rows.iter().map(Vec::as_slice))
        .filter(|b| !b.is_empty())
        .map(row)
        .collect()
}

pub(super) fn to_message(out: &Out) -> CreateMessage {
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
pub(super) fn to_edit(out: &Out) -> EditMessage {
    EditMessage::new()
        .allowed_mentions(no_mentions())
        .content(out.content.clone().unwrap_or_default())
        .embeds(out.embed.iter().map(embed).collect())
        .components(components(out))
}

pub(super) fn to_edit_response(out: &Out) -> EditInteractionResponse {
    EditInteractionResponse::new()
        .allowed_mentions(no_mentions())
        .content(out.content.clone().unwrap_or_default())
        .embeds(out.embed.iter().map(embed).collect())
        .components(components(out))
}

pub(super) fn to_interaction(out: &Out) -> CreateInteractionResponseMessage {
    let mut m = CreateInteractionResponseMessage::new()
        .allowed_mentions(no_mentions())
        .ephemeral(out.ephemeral)
        .components(components(out))
        .embeds(out.embed.iter().map(embed).collect());
    m = m.content(out.content.clone().unwrap_or_default());
    m
}

pub(super) async fn respond(ctx: &Context, cmd: &CommandInteraction, out: &Out) -> Result<()> {
    cmd.create_response(&ctx.http, CreateInteractionResponse::Message(to_interaction(out)))
        .await
        .context("cannot answer the command")
}

/// Answers a button click: `update` replaces the message the button is on,
/// otherwise a new message is sent (ephemeral when `out` says so).
pub(super) async fn respond_component(
    ctx: &Context,
    click: &ComponentInteraction,
    out: &Out,
    update: bool,
) -> Result<()> {
    let message = to_interaction(out);
    let response = if update {
        CreateInteractionResponse::UpdateMessage(message)
    } else {
        CreateInteractionResponse::Message(message)
    };
    click.create_response(&ctx.http, response).await.context("cannot answer the button")
}
