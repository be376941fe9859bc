//! `policybot ask` and `policybot topics`: one question (or one a line,
//! as JSON) and the topic list.

use super::*;
use crate::answer;
use crate::bot::Bot;
use crate::knowledge::Lang;
use crate::reply::{EntryRef, Reply, ShownClaim, Suggestion};
use anyhow::{Context, Result};
use serde::Serialize;
use std::io::{BufRead, Write};

/// What `ask --json` says the reply was: the matcher's three outcomes, or
/// the welcome a greeting or a question about the bot gets, which is not
/// a failed match and should not read as one.
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(super) enum AskOutcome {
    Answer,
    Suggest,
    None,
    SmallTalk,
}

/// The JSON line `ask --json` writes for each question.
#[derive(Serialize)]
pub(super) struct AskLine<'a> {
    pub(super) input: &'a str,
    pub(super) outcome: AskOutcome,
    pub(super) entry: Option<EntryRef>,
    pub(super) score: f64,
    pub(super) suggestions: Vec<Suggestion>,
    pub(super) claims: Vec<ClaimLine>,
    pub(super) text: String,
    /// The knowledge version the answer came from.
    pub(super) version: Option<String>,
    /// The language the reply is in.
    pub(super) lang: Lang,
}

#[derive(Serialize)]
pub(super) struct ClaimLine {
    pub(super) text: String,
    pub(super) status: &'static str,
}

pub(super) fn ask_line<'a>(bot: &Bot, input: &'a str) -> AskLine<'a> {
    let kb = bot.knowledge();
    let reply = answer::ask(&kb, input, &bot.config.matching, &bot.config.reply);
    let text = reply.render_plain("/");
    let (outcome, entry, score, suggestions, claims, lang) = match reply {
        Reply::Answer { entry, confidence, claims, lang, .. } => {
            (AskOutcome::Answer, Some(entry), confidence, Vec::new(), claims, lang)
        }
        Reply::Suggest { suggestions, confidence, lang } => {
            (AskOutcome::Suggest, None, confidence, suggestions, Vec::new(), lang)
        }
        Reply::NoMatch { confidence, lang, .. } => (AskOutcome::None, None, confidence, Vec::new(), Vec::new(), lang),
        Reply::SmallTalk { lang, .. } => (AskOutcome::SmallTalk, None, 0.0, Vec::new(), Vec::new(), lang),
        _ => (AskOutcome::None, None, 0.0, Vec::new(), Vec::new(), Lang::En),
    };
    let claims =
        claims.into_iter().map(|c: ShownClaim| ClaimLine { text: c.text, status: c.status.as_str() }).collect();
    AskLine { input, outcome, entry, score, suggestions, claims, text, version: kb.version.clone(), lang }
}

pub(super) fn ask(bot: &Bot, json: bool, question: &[String]) -> Result<()> {
    let mut out = output();
    let emit = |input: &str, out: &mut dyn Write| -> Result<()> {
        if json {
            writeln!(out, "{}", serde_json::to_string(&ask_line(bot, input))?)?;
        } else {
            writeln!(
                out,
                "{}",
                answer::ask(&bot.knowledge(), input, &bot.config.matching, &bot.config.reply).render_plain("/")
            )?;
        }
        Ok(())
    };
    if question.len() == 1 && question[0] == "-" {
        let mut stdin = std::io::stdin().lock();
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if stdin.read_until(b'\n', &mut buf).context("cannot read questions from stdin")? == 0 {
                break;
            }
            let line = String::from_utf8_lossy(&buf);
            let line = line.strip_suffix('\n').unwrap_or(&line);
            let line = line.strip_suffix('\r').unwrap_or(line);
            emit(line, &mut out)?;
        }
    } else {
        emit(&question.join(" "), &mut out)?;
    }
    out.flush()?;
    Ok(())
}

pub(super) fn topics(bot: &Bot, json: bool) -> Result<()> {
    let kb = bot.knowledge();
    if json {
        #[derive(Serialize)]
        struct Topic<'a> {
            name: &'a str,
            entries: Vec<Listed<'a>>,
        }
        /// An entry, with its question in each language it is translated into.
        #[derive(Serialize)]
        struct Listed<'a> {
            #[serde(flatten)]
            entry: EntryRef,
            #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
            translations: std::collections::BTreeMap<Lang, &'a str>,
        }
        fn listed(e: &crate::knowledge::Entry) -> Listed<'_> {
            Listed {
                entry: EntryRef::from(e),
                translations: e.translations.iter().map(|(l, t)| (*l, t.question.as_str())).collect(),
            }
        }
        let topics: Vec<Topic> = kb
            .topics()
            .into_iter()
            .map(|(name, entries)| Topic { name, entries: entries.into_iter().map(listed).collect() })
            .collect();
        say!("{}", serde_json::to_string_pretty(&topics)?);
    } else {
        for (name, entries) in kb.topics() {
            say!("{name}");
            for e in entries {
                say!("  {:<28} {}", e.id, e.question);
                for (lang, t) in &e.translations {
                    say!("  {:<28} {}: {}", "", lang.code(), t.question);
                }
            }
        }
    }
    Ok(())
}
