//! The languages the bot replies in ([`Lang`]) and telling which one a
//! message is written in: [`reads_as`] for the languages the knowledge is
//! translated into, and [`notice`] for the others, so a question the
//! knowledge cannot answer because of its language gets a notice the asker
//! can read instead of a bare "no answer". Nothing here knows any knowledge
//! base's subject.

use std::sync::LazyLock;
use whatlang::{Detector, Lang as Whatlang};

/// A language the bot has its own words in (see [`crate::reply::words`]),
/// so the knowledge may be translated into it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Es,
}

impl Lang {
    /// Every language, English first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    /// The ISO 639-1 code, as knowledge files and commands write it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code.trim().to_ascii_lowercase())
    }

    /// Its name in English, for moderators' messages.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Spanish",
        }
    }

    /// The codes a knowledge file may translate into, for error messages.
    pub fn translatable() -> String {
        Lang::ALL[1..].iter().map(|l| l.code()).collect::<Vec<_>>().join(", ")
    }
}

/// Words that mark a language in a short chat message: function words and
/// question words, none a word the other language uses (written without
/// accents, as messages are compared after [`crate::matcher::normalise`]).
const MARKERS: &[(Lang, &[&str])] = &[
    (
        Lang::En,
        &[
            "the", "is", "are", "what", "whats", "how", "does", "do", "did", "can", "of", "to", "and", "in", "for",
            "my", "i", "you", "it", "if", "about", "will", "with", "who", "why", "when", "where", "there", "their",
            "they", "this", "that", "have", "has", "was", "be", "on", "at", "by", "an", "or", "not", "any", "should",
            "would", "could", "get", "happens", "happen", "someone", "people", "hi", "thanks",
        ],
    ),
    (
        Lang::Es,
        &[
            "que", "de", "del", "la", "las", "los", "el", "en", "es", "y", "por", "para", "con", "una", "un", "hay",
            "como", "cual", "cuales", "cuando", "donde", "quien", "quienes", "puede", "pueden", "puedo", "mi", "mis",
            "se", "si", "esta", "estan", "son", "tiene", "tienen", "sobre", "pasa", "al", "lo", "le", "les", "su",
            "sus", "este", "estos", "estas", "eso", "esto", "hace", "debe", "ser", "yo", "tengo", "soy", "hola",
            "gracias", "pero", "mas", "tambien", "porque", "ya", "sin", "nos", "alguien", "tu", "usted", "ustedes",
            "hacer", "muy", "otros", "otras", "otro", "otra", "algun", "alguna", "ahora", "estado", "estados",
            "cuanto", "cuantos",
        ],
    ),
];

/// The language among English and `translated` that `message` reads as,
/// or `None` when it does not tell (too short, or as much of one as of the
/// other): then the caller weighs other evidence, such as which language's
/// stored phrasing the message matched.
///
/// Counted on the words themselves, not whatlang's trigrams: whatlang, as
/// [`notice`] uses it, takes 10 of the 150 English dev messages for another
/// language; these markers (with the matched phrasing for the undecided)
/// read all 150 and the 1,387 CovidFAQ queries as English and all 64
/// Spanish test questions as Spanish.
pub(crate) fn reads_as(message: &str, translated: &[Lang]) -> Option<Lang> {
    if translated.is_empty() {
        return Some(Lang::En);
    }
    let normalised = crate::matcher::normalise(message);
    let mut scores = [0usize; Lang::ALL.len()];
    for word in normalised.split(' ') {
        for (lang, words) in MARKERS {
            if words.contains(&word) {
                scores[*lang as usize] += 1;
            }
        }
    }
    // Spanish punctuation and letters English does not use.
    if message.contains(['¿', '¡']) {
        scores[Lang::Es as usize] += 2;
    } else if message.chars().any(|c| "ñáéíóú".contains(c.to_lowercase().next().unwrap_or(c))) {
        scores[Lang::Es as usize] += 1;
    }
    let best = Lang::ALL
        .into_iter()
        .filter(|l| *l == Lang::En || translated.contains(l))
        .max_by_key(|l| (scores[*l as usize], std::cmp::Reverse(*l)))?;
    let ties = Lang::ALL.iter().filter(|l| scores[**l as usize] == scores[best as usize]).count();
    (scores[best as usize] > 0 && ties == 1).then_some(best)
}

/// A short notice in the asker's language: the bot answers in English, and
/// these are the topics it knows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Notice {
    /// ISO 639-1 code, e.g. "es".
    pub language: &'static str,
    /// "For now I answer only in English. Ask in English about one of these
    /// topics:", in that language.
    pub text: &'static str,
}

/// Said after the notice, for anyone the detection got wrong.
pub(crate) const IN_ENGLISH: &str = "(I answer in English for now.)";

/// The languages with a notice, and the notice.
const NOTICES: &[(Whatlang, &str, &str)] = &[
    (Whatlang::Spa, "es", "Por ahora solo respondo en inglés. Pregunta en inglés sobre uno de estos temas:"),
    (
        Whatlang::Fra,
        "fr",
        "Pour l'instant, je réponds seulement en anglais. Posez votre question en anglais sur l'un de ces sujets :",
    ),
    (Whatlang::Por, "pt", "Por enquanto, só respondo em inglês. Pergunte em inglês sobre um destes temas:"),
    (
        Whatlang::Deu,
        "de",
        "Im Moment antworte ich nur auf Englisch. Stellen Sie Ihre Frage auf Englisch zu einem dieser Themen:",
    ),
    (
        Whatlang::Ita,
        "it",
        "Per ora rispondo solo in inglese. Fai la tua domanda in inglese su uno di questi argomenti:",
    ),
];

/// Least whatlang confidence for a language other than English. Chosen on
/// labelled English chat (the project's dev set and CovidFAQ queries) and a
/// handful of Spanish questions: at 0.1, 10 of 150 and 96 of 1,387 English
/// messages are taken for another language and 9 of 12 Spanish ones are
/// caught. A notice replaces only a "no answer", and it says in English too
/// that the bot answers in English, so a wrong guess costs little.
const MIN_CONFIDENCE: f64 = 0.1;

static DETECTOR: LazyLock<Detector> = LazyLock::new(|| {
    let mut langs = vec![Whatlang::Eng];
    langs.extend(NOTICES.iter().map(|(lang, ..)| *lang));
    Detector::with_allowlist(langs)
});

/// The notice for `message` when it reads as one of the languages with a
/// notice; `None` for English and for too little text to tell.
pub(crate) fn notice(message: &str) -> Option<Notice> {
    if message.split_whitespace().count() < 2 {
        return None;
    }
    let info = DETECTOR.detect(message)?;
    if info.lang() == Whatlang::Eng || info.confidence() < MIN_CONFIDENCE {
        return None;
    }
    NOTICES.iter().find(|(lang, ..)| *lang == info.lang()).map(|(_, language, text)| Notice { language, text })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_questions_get_the_spanish_notice_and_english_ones_none() {
        for spanish in [
            "¿Qué pasa si el casero entra a mi casa?",
            "necesito un abogado porque el dueño de la casa no quiere arreglar la calefacción",
        ] {
            assert_eq!(notice(spanish).map(|n| n.language), Some("es"), "{spanish}");
        }
        for english in ["what happens if the police come to my work?", "hello", "lol", "does the city have a shelter"] {
            assert_eq!(notice(english), None, "{english}");
        }
    }
}
