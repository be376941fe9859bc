//! A [`Reply`] as a Discord message: an embed, buttons, and whether only the
//! asker sees it. Pure (no serenity types), so the limits are unit-tested:
//! everything here fits Discord's limits whatever the knowledge holds, and
//! text that does not fit is shortened with a note, never rejected.

use crate::reply::{Footer, Reply};

/// Discord's limits, in characters.
pub const TITLE: usize = 256;
pub const DESCRIPTION: usize = 4096;
pub const FOOTER: usize = 2048;
pub const FIELD_NAME: usize = 256;
pub const FIELD_VALUE: usize = 1024;
pub const FIELDS: usize = 25;
pub const EMBED_TOTAL: usize = 6000;
pub const CONTENT: usize = 2000;
pub const BUTTON_LABEL: usize = 80;
pub const CUSTOM_ID: usize = 100;
pub const CHOICE: usize = 100;

const BLUE: u32 = 0x3b82f6;
const AMBER: u32 = 0xf59e0b;
const GREY: u32 = 0x6b7280;
pub(super) const GREEN: u32 = 0x16a34a;

/// What to send.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Out {
    pub content: Option<String>,
    pub embed: Option<Embed>,
    pub buttons: Vec<Button>,
    /// Rows of buttons after `buttons`' row (the review queue's).
    pub rows: Vec<Vec<Button>>,
    /// Only the person who used the slash command sees it (interactions only).
    pub ephemeral: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Embed {
    pub title: Option<String>,
    pub description: String,
    pub footer: Option<String>,
    pub fields: Vec<(String, String)>,
    pub colour: u32,
}

impl Embed {
    /// Characters Discord counts towards the 6,000 total.
    pub fn total(&self) -> usize {
        let n = |s: &str| s.chars().count();
        self.title.as_deref().map_or(0, n)
            + n(&self.description)
            + self.footer.as_deref().map_or(0, n)
            + self.fields.iter().map(|(a, b)| n(a) + n(b)).sum::<usize>()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub custom_id: String,
    pub label: String,
    pub primary: bool,
}

/// What a button asks for, parsed back from its custom id. The asker's id
/// is in it, so a click by someone else answers them privately instead of
/// changing the asker's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Pick {
        asker: u64,
        entry: String,
    },
    NoneOfThese {
        asker: u64,
    },
    /// "Helpful" / "Not helpful" under an answer.
    Feedback {
        helpful: bool,
        entry: String,
    },
    /// The full claim list of an answer, with sources.
    Claims {
        entry: String,
    },
    /// On a page of the review queue: accept group N as phrasings of an
    /// entry, dismiss it, draft an entry from it, or show another page.
    Accept {
        group: usize,
        entry: String,
    },
    Dismiss {
        group: usize,
    },
    Draft {
        group: usize,
    },
    Page {
        page: usize,
    },
}

impl Action {
    pub fn custom_id(&self) -> String {
        match self {
            Action::Pick { asker, entry } => format!("pick:{asker}:{entry}"),
            Action::NoneOfThese { asker } => format!("none:{asker}"),
            Action::Feedback { helpful, entry } => format!("fb:{}:{entry}", u8::from(*helpful)),
            Action::Claims { entry } => format!("claims:{entry}"),
            Action::Accept { group, entry } => format!("rva:{group}:{entry}"),
            Action::Dismiss { group } => format!("rvd:{group}"),
            Action::Draft { group } => format!("rvn:{group}"),
            Action::Page { page } => format!("rvp:{page}"),
        }
    }

    pub fn parse(id: &str) -> Option<Action> {
        let (kind, rest) = id.split_once(':')?;
        match kind {
            "pick" => {
                let (asker, entry) = rest.split_once(':')?;
                Some(Action::Pick { asker: asker.parse().ok()?, entry: entry.to_owned() })
            }
            "none" => Some(Action::NoneOfThese { asker: rest.parse().ok()? }),
            "fb" => match rest.split_once(':')? {
                ("1", entry) => Some(Action::Feedback { helpful: true, entry: entry.to_owned() }),
                ("0", entry) => Some(Action::Feedback { helpful: false, entry: entry.to_owned() }),
                _ => None,
            },
            "claims" => Some(Action::Claims { entry: rest.to_owned() }),
            "rva" => {
                let (group, entry) = rest.split_once(':')?;
                Some(Action::Accept { group: group.parse().ok()?, entry: entry.to_owned() })
            }
            "rvd" => Some(Action::Dismiss { group: rest.parse().ok()? }),
            "rvn" => Some(Action::Draft { group: rest.parse().ok()? }),
            "rvp" => Some(Action::Page { page: rest.parse().ok()? }),
            _ => None,
        }
    }
}

/// The question a suggestion message was for: its embed's footer starts
/// with "You asked: " in one of the reply languages, and "None of these"
/// reads the question back from it, so no state is kept between the two.
pub fn asked_question(footer: &str) -> Option<&str> {
    crate::language::Lang::ALL
        .into_iter()
        .find_map(|lang| footer.strip_prefix(crate::reply::words(lang).you_asked))
        .filter(|q| !q.trim().is_empty())
}

/// `text` cut to `max` characters at a word boundary with `note` appended.
pub fn fit(text: &str, max: usize, note: &str) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let room = max.saturating_sub(note.chars().count() + 1);
    let mut cut = crate::text::shorten(text, room);
    cut.push_str(note);
    if cut.chars().count() > max {
        cut = cut.chars().take(max).collect();
    }
    cut
}

/// Lines joined with newlines, as many as fit in `max` characters, then
/// "…and N more".
pub fn fit_lines(lines: &[String], max: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for (i, line) in lines.iter().enumerate() {
        let line = fit(line, max / 2, "…");
        let sep = if i == 0 { "" } else { "\n" };
        let left_after = lines.len() - i - 1;
        // Room is kept for the count of lines left, so it always fits.
        let reserve = if left_after > 0 { format!("\n…and {left_after} more").chars().count() } else { 0 };
        let len = sep.len() + line.chars().count();
        if used + len + reserve > max {
            out.push_str(&format!("{sep}…and {} more", lines.len() - i));
            return out;
        }
        out.push_str(sep);
        out.push_str(&line);
        used += len;
    }
    out
}

/// Renders a reply for the member `asker`; `question` is what they asked
/// (shown back on suggestions).
pub fn render(reply: &Reply, asker: u64, question: &str) -> Out {
    match reply {
        Reply::Answer { entry, answer, footer, lead, .. } => {
            answer_out(&entry.id, &entry.question, &Reply::led(lead, answer), footer)
        }
        Reply::Suggest { suggestions, lang, .. } => {
            let words = crate::reply::words(*lang);
            let lines: Vec<String> =
                suggestions.iter().enumerate().map(|(i, s)| format!("**{}.** {}", i + 1, s.question)).collect();
            let mut buttons: Vec<Button> = suggestions
                .iter()
                .enumerate()
                .map(|(i, s)| Button {
                    custom_id: Action::Pick { asker, entry: s.id.clone() }.custom_id(),
                    label: fit(&format!("{}. {}", i + 1, s.question), BUTTON_LABEL, "…"),
                    primary: true,
                })
                // An id too long for Discord cannot be a button; the list
                // above still names the question.
                .filter(|b| b.custom_id.len() <= CUSTOM_ID)
                .take(3)
                .collect();
            buttons.push(Button {
                custom_id: Action::NoneOfThese { asker }.custom_id(),
                label: words.none_of_these.to_owned(),
                primary: false,
            });
            Out {
                embed: Some(Embed {
                    title: Some(words.did_you_mean.to_owned()),
                    description: fit(
                        &format!("{}\n{}", words.not_sure_pick, fit_lines(&lines, 3000)),
                        DESCRIPTION,
                        "…",
                    ),
                    footer: Some(fit(&format!("{}{}", words.you_asked, question.trim()), 300, "…")),
                    fields: Vec::new(),
                    colour: GREY,
                }),
                buttons,
                ..Out::default()
            }
        }
        Reply::NoMatch { topics, language: Some(notice), .. } => embed(
            None,
            fit(
                &format!("{} **{}**.\n{} `/topics`", notice.text, topics.join("**, **"), crate::language::IN_ENGLISH),
                DESCRIPTION,
                "…",
            ),
            GREY,
        ),
        Reply::SmallTalk { .. } => embed(None, fit(&reply.small_talk_text("/", "**", "`"), DESCRIPTION, "…"), GREY),
        Reply::NoMatch { topics, lang, .. } => {
            embed(None, fit(&Reply::no_answer_text(topics, *lang, "/", "**"), DESCRIPTION, "…"), GREY)
        }
        Reply::Topics { topics } => {
            let lines: Vec<String> = topics
                .iter()
                .map(|t| format!("**{}** — {} question{}", t.name, t.entries, crate::text::plural(t.entries)))
                .collect();
            let mut out = embed(Some("Topics"), fit_lines(&lines, DESCRIPTION), BLUE);
            if let Some(e) = &mut out.embed {
                e.footer = Some("/topic name: lists a topic's questions".to_owned());
            }
            out
        }
        Reply::Topic { name, entries } => {
            let lines: Vec<String> = entries.iter().map(|e| format!("• {}", e.question)).collect();
            embed(Some(name), fit_lines(&lines, DESCRIPTION), BLUE)
        }
        Reply::Claims { entry, claims, version } => {
            let mut lines: Vec<String> = claims
                .iter()
                .map(|c| {
                    let mut line = format!("**[{}]** {}", c.status.as_str(), c.text);
                    if let Some(s) = &c.source {
                        line.push_str(&format!(" (source: {s})"));
                    }
                    if let Some(n) = &c.note {
                        line.push_str(&format!(" (note: {n})"));
                    }
                    line
                })
                .collect();
            if lines.is_empty() {
                lines.push("(no claims recorded)".to_owned());
            }
            if let Some(version) = version {
                lines.push(format!("-# knowledge version {version}"));
            }
            embed(Some(&format!("Claims in: {}", entry.question)), fit_lines(&lines, DESCRIPTION), BLUE)
        }
        Reply::Help { commands } => {
            let lines: Vec<String> = commands
                .iter()
                .map(|(c, what)| {
                    let (name, arg) = c.split_once(' ').unwrap_or((c, ""));
                    if let Some(shape) = crate::command::spec(name).and_then(|s| s.on_discord) {
                        return format!("`/{shape}` — {what}");
                    }
                    let arg = if arg.is_empty() { String::new() } else { format!(" {}:", arg.to_lowercase()) };
                    format!("`/{name}{arg}` — {what}")
                })
                .collect();
            let text = format!(
                "Ask a question in your own words: mention me, DM me, or use `/ask`.\n{}",
                fit_lines(&lines, 3500)
            );
            Out { ephemeral: true, ..embed(Some("policybot help"), text, BLUE) }
        }
        Reply::Privacy { kept_days } => {
            let (head, points) = crate::reply::privacy(*kept_days);
            let lines: Vec<String> = points.iter().map(|p| format!("• {p}")).collect();
            let text = if lines.is_empty() { head.to_owned() } else { fit_lines(&lines, DESCRIPTION) };
            let title = if lines.is_empty() { None } else { Some(head) };
            Out { ephemeral: true, ..embed(title, text, BLUE) }
        }
        Reply::Review { groups, first, total } => super::review::page(reply, groups, *first, *total),
        Reply::Reloaded(_) | Reply::Unanswered { .. } => {
            Out { ephemeral: true, ..embed(None, fit(&reply.render_plain("/"), DESCRIPTION, "\n…"), GREEN) }
        }
        Reply::Notice { message } | Reply::Error { message } => notice(message),
    }
}

/// A short text only the asker sees (errors, refusals, cooldowns).
pub fn notice(text: &str) -> Out {
    Out { content: Some(fit(text, CONTENT, "…")), ephemeral: true, ..Out::default() }
}

pub(super) fn embed(title: Option<&str>, description: String, colour: u32) -> Out {
    Out {
        embed: Some(Embed {
            title: title.map(|t| fit(t, TITLE, "…")),
            description,
            footer: None,
            fields: Vec::new(),
            colour,
        }),
        ..Out::default()
    }
}

/// The answer embed: title = the matched question, description = the
/// answer, footer = the caveat. Claims that do not fit the footer go in
/// fields; the answer is shortened last, so the caveat always shows.
fn answer_out(id: &str, question: &str, answer: &str, footer: &Footer) -> Out {
    let title = fit(question, TITLE, "…");
    let full_footer = footer.render("/claims", "/");
    let disputed = !footer.disputed.is_empty();
    let (footer_text, fields) = if full_footer.chars().count() <= FOOTER {
        (full_footer, Vec::new())
    } else {
        // The claims move into fields (each line whole, up to 1,024
        // characters); the footer keeps how it was found, the checks and
        // the disclaimer.
        let short = Footer { disputed: Vec::new(), unverified: Vec::new(), more: 0, ..footer.clone() };
        (fit(&short.render("/claims", "/"), FOOTER, "…"), claim_fields(footer, id))
    };
    let mut embed = Embed {
        title: Some(title),
        description: String::new(),
        footer: Some(footer_text),
        fields,
        colour: if disputed { AMBER } else { BLUE },
    };
    // Fields give way before the answer does, but never below one field.
    while embed.total() + 200 > EMBED_TOTAL && embed.fields.len() > 1 {
        embed.fields.pop();
    }
    let room = EMBED_TOTAL.saturating_sub(embed.total()).min(DESCRIPTION);
    let words = crate::reply::words(footer.lang);
    let note = format!(
        "\n\n*{}*",
        crate::reply::fill(words.shortened, &[("platform", "Discord"), ("id", &format!("`{id}`")), ("prefix", "/")])
    );
    embed.description = fit(answer, room, &note);
    let buttons = [
        (Action::Feedback { helpful: true, entry: id.to_owned() }, words.helpful),
        (Action::Feedback { helpful: false, entry: id.to_owned() }, words.not_helpful),
        (Action::Claims { entry: id.to_owned() }, words.claims_and_sources),
    ]
    .into_iter()
    .map(|(action, label)| Button { custom_id: action.custom_id(), label: label.to_owned(), primary: false })
    .filter(|b| b.custom_id.len() <= CUSTOM_ID)
    .collect();
    Out { embed: Some(embed), buttons, ..Out::default() }
}

/// The unchecked claims as embed fields: one field per status, split where
/// a value would pass 1,024 characters.
fn claim_fields(footer: &Footer, id: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let disputed: Vec<String> = footer.disputed.iter().map(|d| footer.dispute_line(d, "/claims")).collect();
    let words = crate::reply::words(footer.lang);
    let headings = [words.disputed.trim_end_matches(':'), words.unverified.trim_end_matches(':')];
    for (lines, heading) in [(&disputed, headings[0]), (&footer.unverified, headings[1])] {
        let mut value = String::new();
        for text in lines {
            let line = fit(&format!("• {text}"), FIELD_VALUE, "…");
            if value.chars().count() + line.chars().count() + 1 > FIELD_VALUE {
                fields.push((heading.to_owned(), std::mem::take(&mut value)));
            }
            if !value.is_empty() {
                value.push('\n');
            }
            value.push_str(&line);
        }
        if !value.is_empty() {
            fields.push((heading.to_owned(), value));
        }
    }
    if footer.more > 0 {
        fields.push(("More".to_owned(), format!("…and {} more: `/claims entry:{id}`", footer.more)));
    }
    if fields.len() > FIELDS {
        let dropped = fields.len() - (FIELDS - 1);
        fields.truncate(FIELDS - 1);
        fields.push(("More".to_owned(), format!("…and {dropped} more groups: `/claims entry:{id}`")));
    }
    fields.into_iter().map(|(n, v)| (fit(&n, FIELD_NAME, "…"), v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::{EntryRef, Suggestion};

    fn within_limits(out: &Out) {
        if let Some(c) = &out.content {
            assert!(c.chars().count() <= CONTENT);
        }
        if let Some(e) = &out.embed {
            assert!(e.title.as_deref().is_none_or(|t| t.chars().count() <= TITLE));
            assert!(e.description.chars().count() <= DESCRIPTION);
            assert!(e.footer.as_deref().is_none_or(|f| f.chars().count() <= FOOTER));
            assert!(e.fields.len() <= FIELDS);
            for (n, v) in &e.fields {
                assert!(n.chars().count() <= FIELD_NAME && v.chars().count() <= FIELD_VALUE);
            }
            assert!(e.total() <= EMBED_TOTAL, "total {}", e.total());
        }
        assert!(out.buttons.len() <= 5);
        for b in &out.buttons {
            assert!(b.label.chars().count() <= BUTTON_LABEL && b.custom_id.len() <= CUSTOM_ID);
        }
    }

    fn answer(answer_len: usize, claims: usize, claim_len: usize) -> Reply {
        Reply::Answer {
            entry: EntryRef { id: "big".into(), topic: "t".into(), question: "q ".repeat(400) },
            answer: "word ".repeat(answer_len / 5),
            confidence: 1.0,
            claims: Vec::new(),
            footer: Footer {
                found: crate::reply::Found::Closest,
                disputed: (0..claims / 3)
                    .map(|_| crate::reply::Disputed {
                        claim: "c ".repeat(claim_len / 2),
                        subject: Some("SB 1".into()),
                        here: vec![2019],
                        elsewhere: vec![("other".into(), 2017)],
                    })
                    .collect(),
                unverified: (claims / 3..claims).map(|_| "c ".repeat(claim_len / 2)).collect(),
                more: 7,
                checked: Vec::new(),
                disclaimer: Some("Not legal advice.".into()),
                entry_id: "big".into(),
                lang: Default::default(),
                unreviewed_translation: false,
            },
            lang: Default::default(),
            lead: None,
        }
    }

    #[test]
    fn answers_of_any_size_fit_and_say_they_were_shortened() {
        for (len, claims, claim_len) in [(10, 0, 0), (5000, 3, 90), (50_000, 60, 500), (3000, 200, 1500)] {
            for lang in crate::language::Lang::ALL {
                let out = render(&answer(len, claims, claim_len).for_test_in(lang), 1, "q");
                within_limits(&out);
                let e = out.embed.unwrap();
                assert!(e.footer.unwrap().contains("/claims big"));
                if len > 4000 {
                    let shortened = crate::reply::words(lang).shortened.split(' ').next().unwrap();
                    assert!(e.description.contains(shortened), "{}", e.description.len());
                }
            }
        }
    }

    #[test]
    fn suggestions_carry_three_buttons_and_the_question() {
        let s = |i: usize| Suggestion { id: format!("e{i}"), question: "why ".repeat(50), score: 0.3 };
        let reply = Reply::Suggest { suggestions: (0..5).map(s).collect(), confidence: 0.3, lang: Default::default() };
        let out = render(&reply, 42, "what about parking?");
        within_limits(&out);
        assert_eq!(out.buttons.len(), 4);
        assert_eq!(Action::parse(&out.buttons[0].custom_id), Some(Action::Pick { asker: 42, entry: "e0".into() }));
        assert_eq!(Action::parse(&out.buttons[3].custom_id), Some(Action::NoneOfThese { asker: 42 }));
        let footer = out.embed.unwrap().footer.unwrap();
        assert_eq!(asked_question(&footer), Some("what about parking?"));
        assert_eq!(Action::parse("pick:x:e1"), None);
        assert_eq!(Action::parse("fb:1:e1"), Some(Action::Feedback { helpful: true, entry: "e1".into() }));
        assert_eq!(Action::parse("fb:0:e1"), Some(Action::Feedback { helpful: false, entry: "e1".into() }));
        assert_eq!(Action::parse("fb:2:e1"), None);
        assert_eq!(Action::parse("claims:e1"), Some(Action::Claims { entry: "e1".into() }));
        assert_eq!(Action::parse("junk"), None);
    }

    #[test]
    fn long_lists_end_with_a_count() {
        let lines: Vec<String> = (0..1000).map(|i| format!("line number {i}")).collect();
        let text = fit_lines(&lines, 200);
        assert!(text.chars().count() <= 200, "{}", text.chars().count());
        assert!(text.ends_with("more"), "{text}");
        assert_eq!(fit_lines(&lines[..2], 200), "line number 0\nline number 1");
        within_limits(&render(&Reply::error("x".repeat(5000)), 1, ""));
    }
}
