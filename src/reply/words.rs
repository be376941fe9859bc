//! The bot's own words in every language it replies in: the caveat footer,
//! "did you mean", "no answer", the welcome. Renderers take them from here
//! so the plain, Discord and Matrix replies say the same thing in the
//! asker's language. `{prefix}`, `{n}`, `{topics}` and the like are filled
//! in by [`fill`]. Nothing here is about any knowledge base's subject.

use crate::language::Lang;

/// One language's words. Every field is a whole sentence or heading.
pub struct Words {
    /// Under an answer found for a message worded differently.
    pub closest: &'static str,
    pub picked: &'static str,
    pub disputed: &'static str,
    pub unverified: &'static str,
    /// `{n}` more unchecked claims not named.
    pub more_one: &'static str,
    pub more_many: &'static str,
    pub checked: &'static str,
    /// "Full claim list: {command} {id}".
    pub claim_list: &'static str,
    /// In a dispute line: the years this answer gives.
    pub this_answer_says: &'static str,
    /// Between the years of a dispute line.
    pub and: &'static str,
    /// In a dispute line: `{entry}` gives `{year}`.
    pub other_answer_says: &'static str,
    /// Before an English answer to a question in this language, when the
    /// entry has no translation into it (empty for English).
    pub untranslated: &'static str,
    /// Under an answer read from a translation nobody has reviewed.
    pub unreviewed_translation: &'static str,
    pub did_you_mean: &'static str,
    pub not_sure_pick: &'static str,
    pub not_sure_number: &'static str,
    /// Before a numbered list in plain text.
    pub not_sure_list: &'static str,
    pub none_of_these: &'static str,
    /// Before the question read back under "did you mean" (Discord reads
    /// it back from there for "none of these").
    pub you_asked: &'static str,
    pub zero_for_none: &'static str,
    pub pick_a_number: &'static str,
    /// "I don't have an answer…", with `{topics}` and `{prefix}`.
    pub no_answer: &'static str,
    pub greeting: &'static str,
    pub thanks: &'static str,
    pub about: &'static str,
    /// " (for example: "{example}")".
    pub for_example: &'static str,
    pub commands: &'static str,
    /// The buttons under an answer on Discord.
    pub helpful: &'static str,
    pub not_helpful: &'static str,
    pub claims_and_sources: &'static str,
    /// Shown after an answer cut to fit a platform's limit.
    pub shortened: &'static str,
}

const EN: Words = Words {
    closest: "Closest stored question to what you asked — not it? Ask in other words, or {prefix}topics.",
    picked: "You picked this from the suggestions.",
    disputed: "Disputed — the FAQ contradicts itself:",
    unverified: "Not verified by anyone yet:",
    more_one: "…and {n} more unchecked claim.",
    more_many: "…and {n} more unchecked claims.",
    checked: "Checked",
    claim_list: "Full claim list:",
    this_answer_says: "this answer says",
    and: " and ",
    other_answer_says: "the answer \"{entry}\" says {year}",
    untranslated: "",
    unreviewed_translation: "",
    did_you_mean: "Did you mean…",
    not_sure_pick: "I'm not sure which question you mean. Pick one:",
    not_sure_number: "I'm not sure which question you mean. Reply with its number:",
    not_sure_list: "I'm not sure which question you mean. Did you mean:",
    none_of_these: "None of these",
    you_asked: "You asked: ",
    zero_for_none: "(0 for none of these)",
    pick_a_number: "Reply with a number (0 for none of these), or ask again in other words.",
    no_answer: "I don't have an answer to that. I know about: {topics}. Try {prefix}topics, or ask in other words.",
    greeting: "Hi! I answer questions from a FAQ about: {topics}. Ask in your own words{example}; {commands}",
    thanks: "You're welcome. Ask me anything else about: {topics}.",
    about: "I answer questions from a FAQ about: {topics}, and say which of an answer's claims nobody has checked yet. Ask in your own words{example}; {commands}",
    for_example: " (for example: \"{example}\")",
    commands: "{code}{prefix}topics{code} lists the questions, {code}{prefix}help{code} the commands.",
    helpful: "👍 Helpful",
    not_helpful: "👎 Not helpful",
    claims_and_sources: "Claims and sources",
    shortened: "(Shortened to fit {platform}. The full text is entry \"{id}\" of the FAQ; {prefix}claims {id} lists its claims.)",
};

const ES: Words = Words {
    closest: "Es la pregunta guardada más parecida a lo que preguntaste. ¿No es esa? Pregunta con otras palabras, o {prefix}topics.",
    picked: "Elegiste esta de las sugerencias.",
    disputed: "En disputa — las preguntas frecuentes se contradicen:",
    unverified: "Nadie lo ha verificado todavía:",
    more_one: "…y {n} afirmación más sin verificar.",
    more_many: "…y {n} afirmaciones más sin verificar.",
    checked: "Verificado",
    claim_list: "Todas las afirmaciones (en inglés):",
    this_answer_says: "esta respuesta dice",
    and: " y ",
    other_answer_says: "la respuesta \"{entry}\" dice {year}",
    untranslated: "Esta respuesta todavía no está traducida al español; aquí está en inglés:",
    unreviewed_translation: "Traducción sin revisar de un texto sin revisar.",
    did_you_mean: "¿Quisiste decir…?",
    not_sure_pick: "No estoy seguro de qué pregunta quieres decir. Elige una:",
    not_sure_number: "No estoy seguro de qué pregunta quieres decir. Responde con su número:",
    not_sure_list: "No estoy seguro de qué pregunta quieres decir. ¿Quisiste decir…?",
    none_of_these: "Ninguna de estas",
    you_asked: "Preguntaste: ",
    zero_for_none: "(0 para ninguna de estas)",
    pick_a_number: "Responde con un número (0 para ninguna de estas), o pregunta otra vez con otras palabras.",
    no_answer: "No tengo una respuesta para eso. Sé de: {topics}. Prueba {prefix}topics, o pregunta con otras palabras.",
    greeting: "¡Hola! Respondo preguntas de unas preguntas frecuentes sobre: {topics}. Pregunta con tus propias palabras{example}; {commands}",
    thanks: "De nada. Pregúntame lo que quieras sobre: {topics}.",
    about: "Respondo preguntas de unas preguntas frecuentes sobre: {topics}, y digo qué afirmaciones de una respuesta nadie ha verificado todavía. Pregunta con tus propias palabras{example}; {commands}",
    for_example: " (por ejemplo: \"{example}\")",
    commands: "{code}{prefix}topics{code} muestra las preguntas (en inglés), {code}{prefix}help{code} los comandos.",
    helpful: "👍 Útil",
    not_helpful: "👎 No útil",
    claims_and_sources: "Afirmaciones y fuentes",
    shortened: "(Acortado para caber en {platform}. El texto completo es la entrada \"{id}\"; {prefix}claims {id} muestra sus afirmaciones.)",
};

/// The words of `lang`.
pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Es => &ES,
    }
}

/// `template` with each `{name}` replaced by its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_fills_the_same_placeholders() {
        let names = |w: &Words| {
            let all = [
                w.closest,
                w.more_one,
                w.more_many,
                w.other_answer_says,
                w.no_answer,
                w.greeting,
                w.about,
                w.for_example,
                w.commands,
                w.shortened,
            ];
            all.map(|t| {
                let mut found: Vec<&str> =
                    t.split('{').skip(1).filter_map(|p| p.split_once('}')).map(|p| p.0).collect();
                found.sort();
                found.dedup();
                found
            })
        };
        for lang in Lang::ALL {
            assert_eq!(names(words(lang)), names(words(Lang::En)), "{lang:?}");
        }
        assert!(words(Lang::Es).untranslated.contains("inglés"));
    }
}
