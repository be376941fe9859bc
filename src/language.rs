//! Telling when a message is not in English, so a question the knowledge
//! cannot answer because of its language gets a notice the asker can read
//! instead of a bare "no answer". Detection is whatlang's (trigram
//! statistics), limited to the languages a notice exists for, so a short
//! English message is not taken for one of the many languages whatlang
//! knows. Nothing here knows any knowledge base's subject.

use std::sync::LazyLock;
use whatlang::{Detector, Lang};

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
const NOTICES: &[(Lang, &str, &str)] = &[
    (Lang::Spa, "es", "Por ahora solo respondo en inglés. Pregunta en inglés sobre uno de estos temas:"),
    (
        Lang::Fra,
        "fr",
        "Pour l'instant, je réponds seulement en anglais. Posez votre question en anglais sur l'un de ces sujets :",
    ),
    (Lang::Por, "pt", "Por enquanto, só respondo em inglês. Pergunte em inglês sobre um destes temas:"),
    (
        Lang::Deu,
        "de",
        "Im Moment antworte ich nur auf Englisch. Stellen Sie Ihre Frage auf Englisch zu einem dieser Themen:",
    ),
    (Lang::Ita, "it", "Per ora rispondo solo in inglese. Fai la tua domanda in inglese su uno di questi argomenti:"),
];

/// Least whatlang confidence for a language other than English. Chosen on
/// labelled English chat (the project's dev set and CovidFAQ queries) and a
/// handful of Spanish questions: at 0.1, 10 of 150 and 96 of 1,387 English
/// messages are taken for another language and 9 of 12 Spanish ones are
/// caught. A notice replaces only a "no answer", and it says in English too
/// that the bot answers in English, so a wrong guess costs little.
const MIN_CONFIDENCE: f64 = 0.1;

static DETECTOR: LazyLock<Detector> = LazyLock::new(|| {
    let mut langs = vec![Lang::Eng];
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
    if info.lang() == Lang::Eng || info.confidence() < MIN_CONFIDENCE {
        return None;
    }
    NOTICES.iter().find(|(lang, ..)| *lang == info.lang()).map(|(_, language, text)| Notice { language, text })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_questions_get_the_spanish_notice_and_english_ones_none() {
        for spanish in
            ["¿Qué pasa si la policía viene a mi trabajo?", "necesito un abogado de inmigración en la ciudad"]
        {
            assert_eq!(notice(spanish).map(|n| n.language), Some("es"), "{spanish}");
        }
        for english in ["what happens if the police come to my work?", "hello", "lol", "does the city have a shelter"] {
            assert_eq!(notice(english), None, "{english}");
        }
    }
}
