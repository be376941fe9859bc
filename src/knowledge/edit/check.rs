//! What a change may say: texts that say something, fit and ping nobody;
//! a phrasing no other entry has; a findable source; a real date.

use super::*;

/// The edit with its texts trimmed and its defaults filled in, once every
/// text in it is one the bot may later show.
pub(super) fn check(dir: &Path, kb: &KnowledgeBase, edit: &Edit) -> Result<Edit, EditRefused> {
    let entry = |id: &str| kb.entry(id).ok_or_else(|| EditRefused::UnknownEntry(crate::text::shorten(id, 64)));
    Ok(match edit {
        Edit::Translated { lang, edit } => {
            let id = match edit.as_ref() {
                Edit::AddAlias { entry, .. }
                | Edit::AddAsked { entry, .. }
                | Edit::RemoveAlias { entry, .. }
                | Edit::SetAnswer { entry, .. } => entry,
                Edit::SetClaim { .. } => return Err(EditRefused::NotPerLanguage("a claim's status")),
                Edit::NewEntry { .. } => return Err(EditRefused::NotPerLanguage("a new entry")),
                Edit::Translated { .. } => return Err(EditRefused::NotPerLanguage("a translation")),
            };
            if !entry(id)?.translations.contains_key(lang) {
                return Err(EditRefused::NoTranslation { entry: id.clone(), language: lang.name(), code: lang.code() });
            }
            Edit::Translated { lang: *lang, edit: Box::new(check(dir, kb, edit)?) }
        }
        Edit::AddAlias { entry: id, text } => {
            entry(id)?;
            let text = fit("a phrasing", text, MAX_PHRASING_CHARS)?;
            not_taken(kb, &text)?;
            Edit::AddAlias { entry: id.clone(), text }
        }
        Edit::AddAsked { entry: id, text } => {
            entry(id)?;
            let text = fit("a question", text, MAX_PHRASING_CHARS)?;
            not_taken(kb, &text)?;
            Edit::AddAsked { entry: id.clone(), text }
        }
        Edit::RemoveAlias { entry: id, text } => {
            entry(id)?;
            Edit::RemoveAlias { entry: id.clone(), text: text.trim().to_owned() }
        }
        Edit::SetAnswer { entry: id, text } => {
            entry(id)?;
            Edit::SetAnswer { entry: id.clone(), text: fit("an answer", text, MAX_ANSWER_CHARS)? }
        }
        Edit::NewEntry { id, topic, question, answer } => {
            let id = id.trim().to_owned();
            if id.is_empty() || id.len() > 64 || !crate::knowledge::load::is_slug(&id) {
                return Err(EditRefused::BadId(crate::text::shorten(&id, 64)));
            }
            if kb.entry(&id).is_some() {
                return Err(EditRefused::IdTaken(id));
            }
            let question = fit("a question", question, MAX_PHRASING_CHARS)?;
            not_taken(kb, &question)?;
            Edit::NewEntry {
                id,
                topic: fit("a topic", topic, MAX_TOPIC_CHARS)?,
                question,
                answer: fit("an answer", answer, MAX_ANSWER_CHARS)?,
            }
        }
        Edit::SetClaim { claim, status, source, checked } => {
            let source = source.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(check_source).transpose()?;
            let written = find_claim(kb, claim)?;
            if written.is_none() && shared_claim_file(dir, claim.trim()).is_none() {
                return Err(EditRefused::UnknownClaim(crate::text::shorten(claim.trim(), 64)));
            }
            if *status == ClaimStatus::Verified && source.is_none() && written.is_none_or(|c| c.source.is_none()) {
                return Err(EditRefused::NeedsSource);
            }
            let checked = match checked.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(date) if is_date(date) => Some(date.to_owned()),
                Some(other) => return Err(EditRefused::BadDate(crate::text::shorten(other, 32))),
                // Checked against the source given now.
                None => source.is_some().then(today),
            };
            Edit::SetClaim { claim: claim.trim().to_owned(), status: *status, source, checked }
        }
    })
}

/// `text` trimmed, once it says something, fits in `max` characters and
/// pings nobody; `what` names it in the refusal.
pub(super) fn fit(what: &'static str, text: &str, max: usize) -> Result<String, EditRefused> {
    // One line ending throughout: a Windows paste must not put \r into a file.
    let text = text.replace("\r\n", "\n").trim().to_owned();
    if !text.chars().any(char::is_alphanumeric) {
        return Err(EditRefused::Empty(what));
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(EditRefused::TooLong { what, max, chars });
    }
    if let Some(mention) = mention(&text) {
        return Err(EditRefused::Mentions { what, mention });
    }
    Ok(text)
}

/// A phrasing no entry has yet (compared as matching compares them).
pub(super) fn not_taken(kb: &KnowledgeBase, text: &str) -> Result<(), EditRefused> {
    let wanted = crate::matcher::normalise(text);
    for e in &kb.entries {
        if e.phrasings().chain(e.asked()).any(|p| crate::matcher::normalise(p) == wanted) {
            return Err(EditRefused::Taken { text: text.to_owned(), other: e.id.clone() });
        }
    }
    Ok(())
}

/// A source is a web address or a citation someone can look up: one line,
/// and when it is not a URL, at least two words with a number in them (a
/// section, a year, a page: what makes a citation findable). Nothing that
/// pings.
pub(super) fn check_source(source: &str) -> Result<String, EditRefused> {
    let bad = || EditRefused::BadSource(crate::text::shorten(source, 64));
    let source = fit("a source", source, MAX_SOURCE_CHARS).map_err(|e| match e {
        EditRefused::Empty(_) => bad(),
        other => other,
    })?;
    if source.contains('\n') {
        return Err(bad());
    }
    let lower = source.to_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        let host = lower.split("://").nth(1).unwrap_or("").split(['/', '?', '#']).next().unwrap_or("");
        if !host.contains('.') || host.starts_with('.') || host.ends_with('.') || source.contains(char::is_whitespace) {
            return Err(bad());
        }
    } else if lower.starts_with("www.")
        || source.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count() < 2
        || !source.chars().any(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    Ok(source)
}

/// YYYY-MM-DD with a month and day that exist in some year.
pub(super) fn is_date(text: &str) -> bool {
    text.parse::<toml_edit::Datetime>().is_ok_and(|d| d.date.is_some() && d.time.is_none() && d.offset.is_none())
}

/// Today's date (UTC) as YYYY-MM-DD.
pub(super) fn today() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The calendar date of a count of days since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, proleptic Gregorian).
pub(super) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The first thing in `text` that a chat platform would turn into a ping or
/// a link to someone: Discord's `@everyone`, `@here`, `<@id>`, `<@&role>`,
/// Matrix's `@room`, user ids and pills (`@name:server`, matrix.to links).
/// Texts written from chat are shown in answers, "did you mean" lists and
/// autocomplete, so none may hold one.
pub(super) fn mention(text: &str) -> Option<String> {
    // Found in a lowercased copy and named by the marker itself: lowercasing
    // can change byte lengths, so the copy's offsets do not index `text`.
    let lower = text.to_lowercase();
    for marker in ["@everyone", "@here", "@room", "<@", "matrix.to/#/@", "matrix.to/#/!"] {
        if lower.contains(marker) {
            return Some(marker.to_owned());
        }
    }
    // A Matrix user id: @localpart:server.
    text.split_whitespace().find(|w| w.len() > 3 && w.starts_with('@') && w[1..].contains(':')).map(str::to_owned)
}
