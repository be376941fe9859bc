//! Changing the knowledge from Discord: `/faq alias add|remove`, `/faq
//! answer` and `/faq new` (forms, so long texts keep their lines), `/claim
//! set`, with autocomplete for entries and claims; and the moderation log
//! channel. Every change goes to the bot's one write path; moderators are
//! checked here on every use, whatever Discord's command permissions say.

use super::*;
use crate::answer::Command;
use crate::knowledge::edit::{Edit, MAX_ANSWER_CHARS, MAX_PHRASING_CHARS, MAX_SOURCE_CHARS, MAX_TOPIC_CHARS};
use crate::knowledge::{ClaimStatus, KnowledgeBase};
use anyhow::{Context as _, Result};
use render::Out;
use serenity::all::{
    ActionRowComponent, CommandDataOption, CommandDataOptionValue, CommandInteraction, CommandOptionType,
    ComponentInteraction, CreateActionRow, CreateCommand, CreateCommandOption, CreateInputText,
    CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage, CreateModal, InputTextStyle,
    ModalInteraction, Permissions,
};

/// The slash commands registered for changes.
pub(super) const FAQ: &str = "faq";
pub(super) const CLAIM: &str = "claim";
/// Accepting a review group as phrasings of any entry (autocompleted).
pub(super) const ACCEPT: &str = "accept";
/// Autocomplete values that name a claim rather than typed text.
const CLAIM_VALUE: &str = "claim:";
/// Form ids: the answer form carries the entry it edits.
const ANSWER_FORM: &str = "edit-answer:";
const NEW_FORM: &str = "edit-new";

/// `/faq …` and `/claim set`, for moderators (Manage Server by default;
/// checked again when used).
pub(super) fn edit_commands() -> Vec<CreateCommand> {
    use CommandOptionType::{String as Text, SubCommand, SubCommandGroup};
    let entry = || {
        CreateCommandOption::new(Text, "entry", "The answer (its id is in the answer's footer)")
            .required(true)
            .set_autocomplete(true)
            .max_length(100)
    };
    let phrasing = |describe: &str| {
        CreateCommandOption::new(Text, "phrasing", describe).required(true).max_length(MAX_PHRASING_CHARS as u16)
    };
    // Optional: the phrasing belongs to the entry's translation.
    let language = || {
        let option =
            CreateCommandOption::new(Text, "language", "The translation it is a phrasing of (default English)");
        crate::language::Lang::ALL.into_iter().fold(option, |o, l| o.add_string_choice(l.name(), l.code()))
    };
    let faq = CreateCommand::new(FAQ)
        .description("Change the FAQ (moderators)")
        .add_option(
            CreateCommandOption::new(SubCommandGroup, "alias", "Phrasings people use for an answer")
                .add_sub_option(
                    CreateCommandOption::new(SubCommand, "add", "Teach an answer another way people ask for it")
                        .add_sub_option(entry())
                        .add_sub_option(phrasing("How people ask for it"))
                        .add_sub_option(language()),
                )
                .add_sub_option(
                    CreateCommandOption::new(SubCommand, "remove", "Take a phrasing back from an answer")
                        .add_sub_option(entry())
                        .add_sub_option(phrasing("The phrasing, exactly as stored"))
                        .add_sub_option(language()),
                ),
        )
        .add_option(
            CreateCommandOption::new(SubCommand, "answer", "Replace an answer (opens a form with the current text)")
                .add_sub_option(entry()),
        )
        .add_option(CreateCommandOption::new(SubCommand, "new", "Add a new question and answer (opens a form)"));
    let claim = CreateCommand::new(CLAIM).description("Set a claim's status and source (moderators)").add_option(
        CreateCommandOption::new(SubCommand, "set", "Mark a claim verified against a source, or disputed")
            .add_sub_option(
                CreateCommandOption::new(Text, "claim", "The claim (type words from it)")
                    .required(true)
                    .set_autocomplete(true)
                    .max_length(100),
            )
            .add_sub_option(
                CreateCommandOption::new(Text, "status", "Its status")
                    .required(true)
                    .add_string_choice("verified", "verified")
                    .add_string_choice("disputed", "disputed")
                    .add_string_choice("unverified", "unverified"),
            )
            .add_sub_option(
                CreateCommandOption::new(Text, "source", "A URL or a citation with its section, year or page")
                    .max_length(MAX_SOURCE_CHARS as u16),
            )
            .add_sub_option(
                CreateCommandOption::new(Text, "checked", "When it was checked, e.g. 2026-11-30 (default today)")
                    .max_length(10),
            ),
    );
    let accept = CreateCommand::new(ACCEPT)
        .description("Accept a review group's questions as phrasings of an entry (moderators)")
        .add_option(
            CreateCommandOption::new(CommandOptionType::Integer, "group", "The group's number in /review")
                .required(true)
                .min_int_value(1),
        )
        .add_option(
            CreateCommandOption::new(Text, "entry", "The entry (default: the one askers picked most)")
                .set_autocomplete(true)
                .max_length(100),
        );
    [faq, claim, accept]
        .into_iter()
        .map(|c| c.default_member_permissions(Permissions::MANAGE_GUILD).dm_permission(false))
        .collect()
}

/// The subcommand path ("alias add") and the string and number options
/// under it.
fn flatten(options: &[CommandDataOption]) -> (Vec<&str>, Vec<(&str, String)>) {
    let (mut path, mut values) = (Vec::new(), Vec::new());
    let mut level = options;
    loop {
        let mut deeper = None;
        for o in level {
            match &o.value {
                CommandDataOptionValue::SubCommand(inner) | CommandDataOptionValue::SubCommandGroup(inner) => {
                    path.push(o.name.as_str());
                    deeper = Some(inner.as_slice());
                }
                CommandDataOptionValue::String(s) => values.push((o.name.as_str(), s.clone())),
                CommandDataOptionValue::Integer(n) => values.push((o.name.as_str(), n.to_string())),
                _ => {}
            }
        }
        match deeper {
            Some(inner) => level = inner,
            None => return (path, values),
        }
    }
}

/// Where the result of a change is said: the slash command, the form or
/// the button.
#[derive(Clone, Copy)]
enum Asked<'a> {
    Command(&'a CommandInteraction),
    Form(&'a ModalInteraction),
    Button(&'a ComponentInteraction),
}

impl Asked<'_> {
    async fn create(&self, ctx: &Context, response: CreateInteractionResponse) -> serenity::Result<()> {
        match self {
            Asked::Command(c) => c.create_response(&ctx.http, response).await,
            Asked::Form(m) => m.create_response(&ctx.http, response).await,
            Asked::Button(b) => b.create_response(&ctx.http, response).await,
        }
    }

    async fn edit(&self, ctx: &Context, out: &Out) -> serenity::Result<serenity::all::Message> {
        match self {
            Asked::Command(c) => c.edit_response(&ctx.http, to_edit_response(out)).await,
            Asked::Form(m) => m.edit_response(&ctx.http, to_edit_response(out)).await,
            Asked::Button(b) => b.edit_response(&ctx.http, to_edit_response(out)).await,
        }
    }
}

impl Handler {
    pub(super) async fn on_edit_command(&self, ctx: &Context, cmd: &CommandInteraction) -> Result<()> {
        let sender = self.sender_named(cmd.guild_id, cmd.channel_id, cmd.member.as_deref(), &cmd.user);
        let (path, values) = flatten(&cmd.data.options);
        let get = |name: &str| values.iter().find(|(n, _)| *n == name).map_or("", |(_, v)| v.as_str()).trim();
        let entry = || get("entry").strip_prefix(ENTRY_VALUE).unwrap_or(get("entry")).to_owned();
        let lang = || crate::language::Lang::from_code(get("language")).unwrap_or_default();
        let edit = match (cmd.data.name.as_str(), path.as_slice()) {
            (FAQ, ["alias", "add"]) => {
                Edit::in_lang(lang(), Edit::AddAlias { entry: entry(), text: get("phrasing").to_owned() })
            }
            (FAQ, ["alias", "remove"]) => {
                Edit::in_lang(lang(), Edit::RemoveAlias { entry: entry(), text: get("phrasing").to_owned() })
            }
            (FAQ, ["answer"]) if sender.is_moderator => return self.answer_form(ctx, cmd, &entry()).await,
            (FAQ, ["answer"]) => Edit::SetAnswer { entry: entry(), text: String::new() },
            (FAQ, ["new"]) if sender.is_moderator => return new_form(ctx, Asked::Command(cmd), "", "").await,
            (FAQ, ["new"]) => Edit::NewEntry {
                id: String::new(),
                topic: String::new(),
                question: String::new(),
                answer: String::new(),
            },
            (CLAIM, ["set"]) => {
                let status = match ClaimStatus::parse(get("status")) {
                    Ok(status) => status,
                    Err(e) => return respond(ctx, cmd, &private(&crate::reply::Reply::error(e))).await,
                };
                let optional = |name: &str| Some(get(name).to_owned()).filter(|v| !v.is_empty());
                Edit::SetClaim {
                    claim: get("claim").strip_prefix(CLAIM_VALUE).unwrap_or(get("claim")).to_owned(),
                    status,
                    source: optional("source"),
                    checked: optional("checked"),
                }
            }
            (ACCEPT, []) => {
                let group = get("group").parse().unwrap_or(0);
                let entry = Some(entry()).filter(|e| !e.is_empty());
                return self.run(ctx, Asked::Command(cmd), Command::Accept(group.max(1), entry), sender).await;
            }
            _ => {
                let unknown = crate::reply::Reply::error("I don't know that command; /help lists mine.");
                return respond(ctx, cmd, &private(&unknown)).await;
            }
        };
        self.run_edit(ctx, Asked::Command(cmd), edit, sender).await
    }

    /// A form holding the entry's answer as it is now.
    async fn answer_form(&self, ctx: &Context, cmd: &CommandInteraction, entry: &str) -> Result<()> {
        let kb = self.bot.knowledge();
        let refuse = |message: String| private(&crate::reply::Reply::error(message));
        let Some(found) = kb.entry(entry) else {
            let message = format!(
                "there is no entry \"{}\"; pick one from the list as you type",
                crate::text::shorten(entry, 64)
            );
            return respond(ctx, cmd, &refuse(message)).await;
        };
        // A form cannot hold it, and saving a cut copy would lose the rest.
        if found.answer.chars().count() > MAX_ANSWER_CHARS {
            let message = format!(
                "the answer of \"{entry}\" is longer than a Discord form holds ({MAX_ANSWER_CHARS} characters); change it in its file ({})",
                found.location
            );
            return respond(ctx, cmd, &refuse(message)).await;
        }
        let input = CreateInputText::new(InputTextStyle::Paragraph, "Answer", "answer")
            .value(&found.answer)
            .max_length(MAX_ANSWER_CHARS as u16)
            .required(true);
        let title = render::fit(&format!("Answer: {}", found.id), 45, "…");
        let form = CreateModal::new(format!("{ANSWER_FORM}{}", found.id), title)
            .components(vec![CreateActionRow::InputText(input)]);
        cmd.create_response(&ctx.http, CreateInteractionResponse::Modal(form)).await.context("cannot open the form")
    }

    pub(super) async fn on_form(&self, ctx: &Context, form: &ModalInteraction) -> Result<()> {
        let sender = self.sender_named(form.guild_id, form.channel_id, form.member.as_ref(), &form.user);
        let value = |id: &str| {
            form.data
                .components
                .iter()
                .flat_map(|row| &row.components)
                .find_map(|c| match c {
                    ActionRowComponent::InputText(t) if t.custom_id == id => t.value.clone(),
                    _ => None,
                })
                .unwrap_or_default()
        };
        let edit = if let Some(entry) = form.data.custom_id.strip_prefix(ANSWER_FORM) {
            Edit::SetAnswer { entry: entry.to_owned(), text: value("answer") }
        } else if form.data.custom_id == NEW_FORM {
            Edit::NewEntry {
                id: value("id"),
                topic: value("topic"),
                question: value("question"),
                answer: value("answer"),
            }
        } else {
            let old = render::notice("That form is from an older version of me; start again with /faq.");
            let response =
                CreateInteractionResponseMessage::new().ephemeral(true).content(old.content.unwrap_or_default());
            return form
                .create_response(
                    &ctx.http,
                    CreateInteractionResponse::Message(response.allowed_mentions(no_mentions())),
                )
                .await
                .context("cannot answer the form");
        };
        self.run_edit(ctx, Asked::Form(form), edit, sender).await
    }

    /// A button on a page of the review queue: accept, dismiss, draft an
    /// entry (a form with the group's question), or another page.
    pub(super) async fn on_review_click(
        &self,
        ctx: &Context,
        click: &ComponentInteraction,
        action: render::Action,
    ) -> Result<()> {
        use render::Action;
        let sender = self.sender_named(click.guild_id, click.channel_id, click.member.as_ref(), &click.user);
        let command = match action {
            Action::Accept { group, entry } => Command::Accept(group, Some(entry)),
            Action::Dismiss { group } => Command::Dismiss(group),
            Action::Page { page } => Command::Review(page),
            Action::Draft { group } if sender.is_moderator => {
                return match self.bot.review_group(sender.origin, group) {
                    Ok(g) => {
                        let question = g.texts.first().map_or("", String::as_str);
                        let topic = g.nearest.first().map_or("", |n| n.entry.topic.as_str());
                        new_form(ctx, Asked::Button(click), question, topic).await
                    }
                    Err(why) => respond_component(ctx, click, &private(&crate::reply::Reply::error(why)), false).await,
                };
            }
            // Refused below, as any moderator command is.
            Action::Draft { .. } => Command::Review(1),
            _ => return Ok(()),
        };
        if !sender.is_moderator {
            let reply = self.bot.handle(&command, &sender, "/");
            return respond_component(ctx, click, &private(&reply), false).await;
        }
        if let Command::Review(_) = command {
            // Another page replaces the one clicked.
            let reply = crate::adapters::off_load(self.bot.clone(), command, sender, "/").await;
            return respond_component(ctx, click, &private(&reply), true).await;
        }
        self.run(ctx, Asked::Button(click), command, sender).await
    }

    /// Makes the change (or refuses it) and tells the moderator privately.
    async fn run_edit(&self, ctx: &Context, asked: Asked<'_>, edit: Edit, sender: crate::bot::Sender) -> Result<()> {
        self.run(ctx, asked, Command::Edit(edit), sender).await
    }

    /// Runs a moderator command (a change, accept, dismiss) or refuses it.
    /// A change loads the knowledge and may pass Discord's 3 s deadline, so
    /// the interaction is acknowledged first and the result edited in.
    async fn run(&self, ctx: &Context, asked: Asked<'_>, command: Command, sender: crate::bot::Sender) -> Result<()> {
        if !sender.is_moderator {
            let reply = self.bot.handle(&command, &sender, "/");
            let message = to_interaction(&private(&reply));
            return asked.create(ctx, CreateInteractionResponse::Message(message)).await.context("cannot refuse");
        }
        let defer = CreateInteractionResponseMessage::new().ephemeral(true);
        asked.create(ctx, CreateInteractionResponse::Defer(defer)).await.context("cannot acknowledge the change")?;
        let reply = crate::adapters::off_load(self.bot.clone(), command, sender, "/").await;
        asked.edit(ctx, &private(&reply)).await.context("cannot say what changed")?;
        Ok(())
    }

    /// Choices for `/faq`'s entry option and `/claim set`'s claim option.
    pub(super) fn edit_choices(&self, command: &str, typed: &str) -> Vec<(String, String)> {
        let kb = self.bot.knowledge();
        match command {
            FAQ | ACCEPT => entry_choices(&kb, typed),
            CLAIM => claim_choices(&kb, typed),
            _ => Vec::new(),
        }
    }

    /// Posts every moderation log line to `[moderation] log_channel`, with
    /// no mentions parsed. Started once per process.
    pub(super) fn start_moderation_log(&self, ctx: &Context) {
        let Some(channel) = self.bot.config.moderation.log_channel else { return };
        if self.logging.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let mut lines = self.bot.moderation_log().lines();
        let http = ctx.http.clone();
        tokio::spawn(async move {
            while let Some(line) = lines.next().await {
                let message =
                    CreateMessage::new().content(render::fit(&line, 2000, "…")).allowed_mentions(no_mentions());
                if let Err(e) = ChannelId::new(channel).send_message(&http, message).await {
                    tracing::warn!(channel, error = %e, "cannot post to the moderation log channel; check [moderation] log_channel and the bot's Send Messages permission there");
                }
            }
        });
    }
}

/// Entries for an autocomplete: the nearest to what is typed, else all.
pub(super) fn entry_choices(kb: &KnowledgeBase, typed: &str) -> Vec<(String, String)> {
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

/// Claims whose text (or entry id) holds every word typed, each once:
/// "ENTRY#N" for a claim of its own entry, the shared id for a shared one.
fn claim_choices(kb: &KnowledgeBase, typed: &str) -> Vec<(String, String)> {
    let words: Vec<String> = crate::matcher::normalise(typed).split_whitespace().map(str::to_owned).collect();
    let mut seen = std::collections::HashSet::new();
    let mut choices = Vec::new();
    for entry in &kb.entries {
        for (i, (status, claim)) in kb.claims(entry).enumerate() {
            let name = claim.id.clone().unwrap_or_else(|| format!("{}#{}", entry.id, i + 1));
            let haystack = format!("{} {}", crate::matcher::normalise(&claim.text), name);
            if !words.iter().all(|w| haystack.contains(w.as_str())) || !seen.insert(name.clone()) {
                continue;
            }
            let label = format!("[{}] {} ({name})", status.as_str(), claim.text);
            let value = format!("{CLAIM_VALUE}{name}");
            if value.len() <= render::CHOICE {
                choices.push((render::fit(&label, render::CHOICE, "…"), value));
            }
            if choices.len() == CHOICES {
                return choices;
            }
        }
    }
    choices
}

/// The form for a new entry: its id, topic, question and answer, with a
/// question and topic filled in when drafted from a review group.
async fn new_form(ctx: &Context, asked: Asked<'_>, question: &str, topic: &str) -> Result<()> {
    let short = |id: &str, label: &str, max: usize, hint: &str| {
        let mut input = CreateInputText::new(InputTextStyle::Short, label, id)
            .max_length(max as u16)
            .placeholder(hint)
            .required(true);
        let given = match id {
            "question" => question,
            "topic" => topic,
            _ => "",
        };
        if !given.is_empty() {
            input = input.value(render::fit(given, max, ""));
        }
        CreateActionRow::InputText(input)
    };
    let answer = CreateInputText::new(InputTextStyle::Paragraph, "Answer", "answer")
        .max_length(MAX_ANSWER_CHARS as u16)
        .required(true);
    let form = CreateModal::new(NEW_FORM, "New question and answer").components(vec![
        short("id", "Id (lowercase letters, digits, hyphens)", 64, "permit-renewal"),
        short("topic", "Topic", MAX_TOPIC_CHARS, "An existing topic keeps it with its kind"),
        short("question", "Question", MAX_PHRASING_CHARS, "How do I renew my permit?"),
        CreateActionRow::InputText(answer),
    ]);
    asked.create(ctx, CreateInteractionResponse::Modal(form)).await.context("cannot open the form")
}

/// A reply only the moderator sees.
fn private(reply: &crate::reply::Reply) -> Out {
    Out { ephemeral: true, ..render::render(reply, 0, "") }
}
