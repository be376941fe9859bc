//! One knowledge file: its schema (what a file may say, unknown keys
//! refused) and everything checked within it, with `file:line:column` for
//! every problem.

use super::translations::{languages, translation_errors};
use super::*;
use crate::knowledge::{Claim, ClaimStatus, Entry, Lang, Location, Source, SourceTranslation, Translation};
use crate::matcher::Vocabulary;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    pub(super) title: Spanned<String>,
    #[serde(default)]
    pub(super) source: Option<Spanned<String>>,
    /// Said under this file's answers while not every claim is verified
    /// (default: the config's `[reply] disclaimer`).
    #[serde(default)]
    pub(super) disclaimer: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) synonyms: Vec<Spanned<Vec<String>>>,
    /// Short forms of this knowledge's subject, e.g. { nyc = "new york city" }.
    #[serde(default)]
    pub(super) abbreviations: Option<Spanned<BTreeMap<String, String>>>,
    /// Words that mark a question as about something this knowledge does
    /// not cover (other places, other programmes).
    #[serde(default)]
    pub(super) out_of_scope: Option<Spanned<Vec<String>>>,
    /// Words that carry no meaning in this knowledge.
    #[serde(default)]
    pub(super) stop_words: Option<Spanned<Vec<String>>>,
    #[serde(default, rename = "entry")]
    pub(super) entries: Vec<Spanned<RawEntry>>,
    /// Shared claim records, referenced from entries by id.
    #[serde(default, rename = "claim")]
    pub(super) claims: Vec<Spanned<RawSharedClaim>>,
    /// The title and disclaimer in other languages, by language code.
    #[serde(default)]
    pub(super) translations: BTreeMap<String, Spanned<RawFileTranslation>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFileTranslation {
    #[serde(default)]
    pub(super) title: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) disclaimer: Option<Spanned<String>>,
}

/// `[entry.translations.es]`: the entry in another language.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTranslation {
    pub(super) question: Spanned<String>,
    #[serde(default)]
    pub(super) aliases: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) asked: Vec<Spanned<String>>,
    pub(super) answer: Spanned<String>,
    #[serde(default)]
    pub(super) topic: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) reviewed: Option<Spanned<toml::value::Datetime>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSharedClaim {
    pub(super) id: Spanned<String>,
    pub(super) text: String,
    pub(super) status: ClaimStatus,
    #[serde(default)]
    pub(super) source: Option<String>,
    #[serde(default)]
    pub(super) note: Option<String>,
    #[serde(default)]
    pub(super) checked: Option<Spanned<toml::value::Datetime>>,
    /// The claim in other languages, by language code.
    #[serde(default)]
    pub(super) translations: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEntry {
    pub(super) id: Spanned<String>,
    pub(super) topic: Spanned<String>,
    pub(super) question: Spanned<String>,
    #[serde(default)]
    pub(super) aliases: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) asked: Vec<Spanned<String>>,
    pub(super) answer: Spanned<String>,
    #[serde(default)]
    pub(super) claims: Vec<Spanned<RawClaim>>,
    #[serde(default)]
    pub(super) reviewed: Option<Spanned<toml::value::Datetime>>,
    #[serde(default)]
    pub(super) translations: BTreeMap<String, Spanned<RawTranslation>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClaim {
    /// The id of a shared `[[claim]]` record; then nothing else is written.
    #[serde(default, rename = "ref")]
    pub(super) reference: Option<String>,
    /// Not spanned: a file may hold hundreds of thousands of claims, and
    /// the claim's own table locates an empty text well enough.
    #[serde(default)]
    pub(super) text: Option<String>,
    #[serde(default)]
    pub(super) status: Option<ClaimStatus>,
    #[serde(default)]
    pub(super) source: Option<String>,
    #[serde(default)]
    pub(super) note: Option<String>,
    #[serde(default)]
    pub(super) checked: Option<Spanned<toml::value::Datetime>>,
    /// The claim in other languages, by language code (a claim with `ref`
    /// takes them from its shared record).
    #[serde(default)]
    pub(super) translations: BTreeMap<String, String>,
}

/// What one file contributes, before cross-file checks.
pub(super) struct Parsed {
    pub(super) source: Source,
    /// Each entry with the line and column where it starts.
    pub(super) entries: Vec<(Entry, usize, usize)>,
}

/// Parses and validates one file; returns all its problems or its content.
pub(super) fn parse_file(path: &Path, text: String, fingerprint: u64) -> Result<Parsed, Vec<LoadError>> {
    let lines = Lines::new(&text);
    let at = |span: Range<usize>, message: String| {
        let (line, column) = lines.locate(span.start);
        LoadError { path: path.to_path_buf(), line, column, message }
    };
    let raw: RawFile = match toml::from_str(&text) {
        Ok(raw) => raw,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            return Err(vec![at(span, plain_toml_message(e.message()))]);
        }
    };

    let mut errors = Vec::new();
    let mut require = |field: &Spanned<String>, what: &str| {
        if field.get_ref().trim().is_empty() {
            errors.push(at(field.span(), format!("{what} is empty; write some text or remove the entry")));
        } else if crate::matcher::normalise(field.get_ref()).is_empty() {
            // Only zero-width characters or punctuation: it looks filled in,
            // but a phrasing like that can never match and a title shows blank.
            errors.push(at(
                field.span(),
                format!("{what} has no visible words (only invisible characters or punctuation); write the words"),
            ));
        }
    };
    require(&raw.title, "the file's title");
    if let Some(source) = &raw.source {
        require(source, "the file's source description");
    }
    if let Some(disclaimer) = &raw.disclaimer {
        require(disclaimer, "the file's disclaimer");
    }
    for entry in &raw.entries {
        let e = entry.get_ref();
        require(&e.id, "id");
        require(&e.topic, "topic");
        require(&e.question, "question");
        require(&e.answer, "answer");
        for alias in &e.aliases {
            require(alias, "an alias");
        }
        for asked in &e.asked {
            require(asked, "an asked question");
        }
    }
    let translated = translation_errors(&raw, &mut require);
    errors.extend(translated.into_iter().map(|(span, m)| at(span, m)));
    for claim in raw.entries.iter().flat_map(|e| &e.get_ref().claims) {
        let c = claim.get_ref();
        let message = match (&c.reference, &c.text, c.status) {
            (Some(r), None, None)
                if c.source.is_none() && c.note.is_none() && c.checked.is_none() && c.translations.is_empty() =>
            {
                (!is_slug(r)).then(|| format!("ref \"{r}\" is not a claim id (lowercase letters, digits, hyphens)"))
            }
            (Some(_), ..) => Some(
                "a claim with ref takes its text, status, source and translations from the shared [[claim]]; remove the other keys here"
                    .to_owned(),
            ),
            (None, Some(text), Some(_)) if text.trim().is_empty() => {
                Some("a claim's text is empty; write the claim or remove it".to_owned())
            }
            (None, Some(_), Some(_)) => None,
            (None, ..) => Some(
                "a claim needs text and status (unverified, verified or disputed), or ref = \"shared-claim-id\""
                    .to_owned(),
            ),
        };
        errors.extend(message.map(|m| at(claim.span(), m)));
    }
    for claim in &raw.claims {
        let c = claim.get_ref();
        if !is_slug(c.id.get_ref()) {
            errors.push(at(
                c.id.span(),
                format!("claim id \"{}\" is not a slug: use lowercase letters, digits and hyphens", c.id.get_ref()),
            ));
        }
        if c.text.trim().is_empty() {
            errors.push(at(claim.span(), "a claim's text is empty; write the claim or remove it".to_owned()));
        }
    }
    let dates = raw
        .entries
        .iter()
        .flat_map(|e| e.get_ref().claims.iter().filter_map(|c| c.get_ref().checked.as_ref()))
        .chain(raw.claims.iter().filter_map(|c| c.get_ref().checked.as_ref()));
    for checked in dates {
        if !is_date(checked.get_ref()) {
            errors.push(at(checked.span(), "checked must be a date such as 2026-11-30, without a time".to_owned()));
        }
    }
    for entry in &raw.entries {
        let answer = &entry.get_ref().answer;
        let chars = answer.get_ref().chars().count();
        if chars > MAX_ANSWER_CHARS {
            errors.push(at(
                answer.span(),
                format!(
                    "this answer is {chars} characters; answers may be at most {MAX_ANSWER_CHARS} (a chat reply is read on a phone): shorten it or split it into entries"
                ),
            ));
        }
        let id = &entry.get_ref().id;
        if !id.get_ref().is_empty() && !is_slug(id.get_ref()) {
            errors.push(at(
                id.span(),
                format!(
                    "id \"{}\" is not a slug: use lowercase letters, digits and hyphens, e.g. \"state-law-overview\"",
                    id.get_ref()
                ),
            ));
        }
        if let Some(reviewed) = &entry.get_ref().reviewed
            && !is_date(reviewed.get_ref())
        {
            errors.push(at(reviewed.span(), "reviewed must be a date such as 2026-11-30, without a time".to_owned()));
        }
    }
    for group in &raw.synonyms {
        let terms = group.get_ref();
        if terms.len() < 2 || terms.iter().any(|t| crate::matcher::normalise(t).is_empty()) {
            errors.push(at(
                group.span(),
                "a synonym group needs at least two non-empty words or phrases, e.g. [\"car\", \"automobile\", \"motor vehicle\"]".to_owned(),
            ));
        }
    }
    if let Some(abbreviations) = &raw.abbreviations {
        for (short, long) in abbreviations.get_ref() {
            let (s, l) = (crate::matcher::normalise(short), crate::matcher::normalise(long));
            if s.is_empty() || s.contains(' ') || l.is_empty() {
                errors.push(at(
                    abbreviations.span(),
                    format!(
                        "abbreviation {short:?} = {long:?}: the short form must be one word and the long form not empty, e.g. {{ nyc = \"new york city\" }}"
                    ),
                ));
            }
        }
    }
    for (key, list) in [("out_of_scope", &raw.out_of_scope), ("stop_words", &raw.stop_words)] {
        if let Some(list) = list
            && let Some(bad) = list.get_ref().iter().find(|w| {
                let n = crate::matcher::normalise(w);
                n.is_empty() || n.contains(' ')
            })
        {
            errors.push(at(list.span(), format!("{key}: {bad:?} is not one word; list single words")));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut entries = Vec::new();
    for entry in raw.entries {
        let (line, column) = lines.locate(entry.span().start);
        let e = entry.into_inner();
        entries.push((
            Entry {
                id: e.id.into_inner(),
                topic: trimmed(e.topic.into_inner()),
                question: trimmed(e.question.into_inner()),
                aliases: e.aliases.into_iter().map(|a| trimmed(a.into_inner())).collect(),
                asked: e.asked.into_iter().map(|a| trimmed(a.into_inner())).collect(),
                answer: trimmed(e.answer.into_inner()),
                claims: e
                    .claims
                    .into_iter()
                    .map(|c| {
                        let c = c.into_inner();
                        Claim {
                            // A reference is filled in from its shared
                            // record once every file is read.
                            id: c.reference,
                            text: c.text.map(trimmed).unwrap_or_default(),
                            status: c.status.unwrap_or_default(),
                            source: c.source,
                            note: c.note,
                            checked: c.checked.map(|d| d.into_inner().to_string()),
                            translations: languages(c.translations),
                        }
                    })
                    .collect(),
                reviewed: e.reviewed.map(|d| d.into_inner().to_string()),
                disclaimer: raw.disclaimer.as_ref().map(|d| trimmed(d.get_ref().clone())),
                translations: e
                    .translations
                    .into_iter()
                    .filter_map(|(code, t)| {
                        let t = t.into_inner();
                        Some((
                            Lang::from_code(&code)?,
                            Translation {
                                question: trimmed(t.question.into_inner()),
                                aliases: t.aliases.into_iter().map(|a| trimmed(a.into_inner())).collect(),
                                asked: t.asked.into_iter().map(|a| trimmed(a.into_inner())).collect(),
                                answer: trimmed(t.answer.into_inner()),
                                topic: t.topic.map(|t| trimmed(t.into_inner())),
                                reviewed: t.reviewed.map(|d| d.into_inner().to_string()),
                            },
                        ))
                    })
                    .collect(),
                location: Location { file: path.to_path_buf(), line },
            },
            line,
            column,
        ));
    }
    Ok(Parsed {
        source: Source {
            path: path.to_path_buf(),
            title: raw.title.into_inner(),
            description: raw.source.map(Spanned::into_inner).unwrap_or_default(),
            vocabulary: Vocabulary {
                synonyms: raw.synonyms.into_iter().map(Spanned::into_inner).collect(),
                abbreviations: raw.abbreviations.map(|a| a.into_inner().into_iter().collect()).unwrap_or_default(),
                out_of_scope: raw.out_of_scope.map(Spanned::into_inner).unwrap_or_default(),
                stop_words: raw.stop_words.map(Spanned::into_inner).unwrap_or_default(),
                languages: Vec::new(),
            },
            translations: raw
                .translations
                .into_iter()
                .filter_map(|(code, t)| {
                    let t = t.into_inner();
                    let text = |s: Option<Spanned<String>>| s.map(|s| trimmed(s.into_inner()));
                    Some((
                        Lang::from_code(&code)?,
                        SourceTranslation { title: text(t.title), disclaimer: text(t.disclaimer) },
                    ))
                })
                .collect(),
            claims: raw
                .claims
                .into_iter()
                .map(|c| {
                    let line = lines.locate(c.span().start).0;
                    let c = c.into_inner();
                    let claim = Claim {
                        id: Some(c.id.into_inner()),
                        text: trimmed(c.text),
                        status: c.status,
                        source: c.source,
                        note: c.note,
                        checked: c.checked.map(|d| d.into_inner().to_string()),
                        translations: languages(c.translations),
                    };
                    (claim, line)
                })
                .collect(),
            fingerprint,
        },
        entries,
    })
}

/// The text without surrounding whitespace, copied only when there is some.
pub(super) fn trimmed(text: String) -> String {
    if text.trim().len() == text.len() { text } else { text.trim().to_owned() }
}

pub(super) fn is_date(d: &toml::value::Datetime) -> bool {
    d.date.is_some() && d.time.is_none()
}

pub(crate) fn is_slug(id: &str) -> bool {
    !id.starts_with('-')
        && !id.ends_with('-')
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// toml's messages are precise but terse; the common ones get a hint on what
/// to do.
pub(super) fn plain_toml_message(message: &str) -> String {
    let message = message.trim();
    if message.starts_with("unknown field") {
        format!("{message}; check the spelling against the knowledge format in docs/GUIDE.md")
    } else if message.starts_with("missing field `status`") || message.starts_with("missing field `text`") {
        format!("{message}; every claim needs text and status (unverified, verified or disputed)")
    } else if message.starts_with("missing field") {
        format!("{message}; every entry needs id, topic, question and answer")
    } else if message.starts_with("unknown variant") {
        format!("{message}; a claim's status is unverified, verified or disputed")
    } else {
        message.to_owned()
    }
}
