//! A knowledge file's translations (`[translations.es]`,
//! `[entry.translations.es]`, a claim's `translations`): what they may say,
//! checked with the rest of the file, and their texts keyed by language.

use super::MAX_ANSWER_CHARS;
use super::parse::{RawFile, is_date, trimmed};
use crate::knowledge::Lang;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

/// Claim translations keyed by language (codes were checked before).
pub(super) fn languages(texts: BTreeMap<String, String>) -> BTreeMap<Lang, String> {
    texts.into_iter().filter_map(|(code, text)| Some((Lang::from_code(&code)?, trimmed(text)))).collect()
}

/// Everything wrong with a file's translations: unknown language codes,
/// empty texts, bad dates, answers too long. Whether every claim of a
/// translated entry has its translation is a warning ([`crate::knowledge::lint`]),
/// as a half-translated entry still answers.
pub(super) fn translation_errors(
    raw: &RawFile,
    require: &mut impl FnMut(&Spanned<String>, &str),
) -> Vec<(Range<usize>, String)> {
    let mut errors = Vec::new();
    let unknown = |code: &str| {
        format!(
            "\"{code}\" is not a language I reply in; translations may be in: {} (ISO 639-1 codes)",
            Lang::translatable()
        )
    };
    let known = |code: &str| Lang::from_code(code).filter(|l| *l != Lang::En).is_some();
    for (code, t) in &raw.translations {
        if !known(code) {
            errors.push((t.span(), unknown(code)));
        }
        let t = t.get_ref();
        for (text, what) in [(&t.title, "a translated title"), (&t.disclaimer, "a translated disclaimer")] {
            if let Some(text) = text {
                require(text, what);
            }
        }
    }
    for entry in &raw.entries {
        for (code, t) in &entry.get_ref().translations {
            if !known(code) {
                errors.push((t.span(), unknown(code)));
            }
            let t = t.get_ref();
            require(&t.question, "a translated question");
            require(&t.answer, "a translated answer");
            for alias in &t.aliases {
                require(alias, "a translated alias");
            }
            for asked in &t.asked {
                require(asked, "a translated asked question");
            }
            if let Some(topic) = &t.topic {
                require(topic, "a translated topic");
            }
            if let Some(reviewed) = &t.reviewed
                && !is_date(reviewed.get_ref())
            {
                errors.push((reviewed.span(), "reviewed must be a date such as 2026-11-30, without a time".to_owned()));
            }
            let chars = t.answer.get_ref().chars().count();
            if chars > MAX_ANSWER_CHARS {
                errors.push((
                    t.answer.span(),
                    format!("this translated answer is {chars} characters; answers may be at most {MAX_ANSWER_CHARS}"),
                ));
            }
        }
    }
    // Claims written in entries and shared ones alike.
    let entry_claims =
        raw.entries.iter().flat_map(|e| &e.get_ref().claims).map(|c| (c.span(), &c.get_ref().translations));
    let shared_claims = raw.claims.iter().map(|c| (c.span(), &c.get_ref().translations));
    for (span, translations) in entry_claims.chain(shared_claims) {
        for (code, text) in translations {
            if !known(code) {
                errors.push((span.clone(), unknown(code)));
            } else if text.trim().is_empty() {
                errors.push((span.clone(), format!("the claim's {code} text is empty; write it or remove it")));
            }
        }
    }
    errors
}
