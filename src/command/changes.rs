//! The arguments of the commands that change the knowledge ("alias add
//! ID PHRASING", "claim set CLAIM STATUS [SOURCE] [DATE]", "answer ID …",
//! "new ID …") and of the review queue's, parsed into a [`Command`].

use super::Command;
use crate::knowledge::Lang;
use crate::knowledge::edit::Edit;

/// The first word of `text` and the rest, trimmed.
pub(super) fn word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.split_once(char::is_whitespace) {
        Some((w, rest)) => (w, rest.trim()),
        None => (text, ""),
    }
}

/// "add [LANG] ID PHRASING" / "remove [LANG] ID PHRASING".
pub(super) fn parse_alias(arg: String) -> Result<Command, String> {
    let usage = format!(
        "write alias add ENTRY-ID PHRASING or alias remove ENTRY-ID PHRASING (a phrasing of a translation: alias add {} ENTRY-ID PHRASING)",
        Lang::translatable()
    );
    let (action, rest) = word(&arg);
    let (lang, rest) = language(rest);
    let (entry, text) = word(rest);
    if entry.is_empty() || text.is_empty() {
        return Err(format!("alias needs an entry id and a phrasing: {usage}"));
    }
    let (entry, text) = (entry.to_owned(), text.to_owned());
    let edit = match action.to_lowercase().as_str() {
        "add" => Edit::AddAlias { entry, text },
        "remove" | "rm" | "delete" => Edit::RemoveAlias { entry, text },
        _ => return Err(format!("alias does add or remove: {usage}")),
    };
    Ok(Command::Edit(Edit::in_lang(lang, edit)))
}

/// A leading language code ("es ENTRY …") naming the translation a change
/// is made to; English (the entry itself) when there is none. A code is
/// only read as one when an entry id and more follow it.
fn language(rest: &str) -> (Lang, &str) {
    let (code, after) = word(rest);
    match Lang::from_code(code) {
        Some(lang) if lang != Lang::En && !word(after).1.is_empty() => (lang, after),
        _ => (Lang::En, rest),
    }
}

/// "set CLAIM STATUS [SOURCE] [DATE]": a last word that is a date is the
/// day the claim was checked.
pub(super) fn parse_claim(arg: String) -> Result<Command, String> {
    let usage =
        "write claim set ENTRY-ID#N verified https://source.example/page (ENTRY#N as claims ENTRY-ID numbers them)";
    let (action, rest) = word(&arg);
    if !action.eq_ignore_ascii_case("set") {
        return Err(format!("claim does set: {usage}"));
    }
    let (claim, rest) = word(rest);
    let (status, rest) = word(rest);
    if claim.is_empty() || status.is_empty() {
        return Err(format!("claim set needs a claim and a status: {usage}"));
    }
    let status = crate::knowledge::ClaimStatus::parse(&status.to_lowercase())?;
    let mut source = rest.to_owned();
    let mut checked = None;
    if let Some((before, last)) = rest.rsplit_once(char::is_whitespace).or(Some(("", rest)))
        && last.len() == 10
        && last.chars().filter(|c| *c == '-').count() == 2
        && last.chars().all(|c| c.is_ascii_digit() || c == '-')
    {
        checked = Some(last.to_owned());
        source = before.trim().to_owned();
    }
    Ok(Command::Edit(Edit::SetClaim {
        claim: claim.to_owned(),
        status,
        source: (!source.is_empty()).then_some(source),
        checked,
    }))
}

/// "ID", then the answer (on the same line or the lines after it).
pub(super) fn parse_answer(arg: String) -> Result<Command, String> {
    let (lang, rest) = language(&arg);
    let (entry, text) = word(rest);
    if text.is_empty() {
        return Err(format!(
            "answer needs an entry id and then the new answer, e.g. answer ENTRY-ID followed by the text on the next lines (a translation's answer: answer {} ENTRY-ID …)",
            Lang::translatable()
        ));
    }
    Ok(Command::Edit(Edit::in_lang(lang, Edit::SetAnswer { entry: entry.to_owned(), text: text.to_owned() })))
}

/// "ID", then topic, question and answer, each on its own line (the answer
/// may run over several); typed on one line (a terminal), " | " parts.
pub(super) fn parse_new(arg: String) -> Result<Command, String> {
    let separator = if arg.trim().contains('\n') { '\n' } else { '|' };
    let mut lines = arg.trim().splitn(4, separator).map(str::trim);
    match (lines.next(), lines.next(), lines.next(), lines.next()) {
        (Some(id), Some(topic), Some(question), Some(answer))
            if !id.is_empty() && !topic.is_empty() && !question.is_empty() && !answer.is_empty() =>
        {
            Ok(Command::Edit(Edit::NewEntry {
                id: id.to_owned(),
                topic: topic.to_owned(),
                question: question.to_owned(),
                answer: answer.to_owned(),
            }))
        }
        _ => Err("new needs four parts, each starting on its own line (or split by |): the id, the topic, the question, then the answer".to_owned()),
    }
}
