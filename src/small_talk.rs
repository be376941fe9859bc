//! Messages that are not questions for the FAQ but to the bot itself: a
//! greeting ("hi", "good morning"), thanks, or a question about the bot
//! ("what can you do", "what is this bot for"). They get a short welcome
//! with the topics, never "I don't have an answer", and are not kept as
//! unanswered questions. Whole messages only: "hi, is it legal to …" is a
//! question and is matched as one.
//!
//! The words are about talking to any bot, never about what a knowledge
//! base holds.

use serde::Serialize;

/// What kind of small talk a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SmallTalk {
    Greeting,
    Thanks,
    /// What the bot is, does or knows.
    About,
}

/// Greetings, and the words that go with them ("hi there all").
const GREETING: &[&str] = &[
    "hi",
    "hii",
    "hiii",
    "hello",
    "helo",
    "hello",
    "hey",
    "heya",
    "heyy",
    "hiya",
    "howdy",
    "yo",
    "sup",
    "greetings",
    "morning",
    "afternoon",
    "evening",
    "gm",
    "hola",
    "buenas",
    "buenos",
    "saludos",
];
const WITH_GREETING: &[&str] = &[
    "good",
    "there",
    "all",
    "everyone",
    "everybody",
    "folks",
    "guys",
    "yall",
    "y'all",
    "bot",
    "friend",
    "again",
    "dias",
    "tardes",
    "noches",
    "a",
    "todos",
    "todas",
    "amigo",
    "amiga",
];
const THANKS: &[&str] =
    &["thanks", "thank", "thx", "ty", "tysm", "cheers", "appreciate", "appreciated", "tnx", "thanx", "gracias"];
const WITH_THANKS: &[&str] = &[
    "you",
    "u",
    "so",
    "much",
    "very",
    "a",
    "lot",
    "it",
    "that",
    "ok",
    "okay",
    "cool",
    "great",
    "awesome",
    "nice",
    "perfect",
    "got",
    "helpful",
    "bot",
    "for",
    "the",
    "help",
    "again",
    "all",
    "many",
    "muchas",
    "mil",
    "muchisimas",
    "por",
    "la",
    "ayuda",
    "de",
    "nuevo",
];
/// Questions about the bot, written out (chat spellings are read first).
const ABOUT: &[&str] = &[
    "what can you do",
    "what do you do",
    "what are you",
    "who are you",
    "what is this",
    "what is this bot",
    "what is this for",
    "what is this bot for",
    "what are you for",
    "what do you know",
    "what do you know about",
    "what can i ask",
    "what can i ask you",
    "what can i ask you about",
    "what should i ask",
    "how does this work",
    "how does this bot work",
    "how do you work",
    "how do i use this",
    "how do i use you",
    "are you a bot",
    "what topics do you know",
    "what do you answer",
    "what questions can you answer",
    "what can you help with",
    "what can you help me with",
    "can you help me",
    "help me",
    "que puedes hacer",
    "que haces",
    "quien eres",
    "que eres",
    "para que sirves",
    "que sabes",
    "de que sabes",
    "como funciona",
    "como funcionas",
    "que te puedo preguntar",
    "que puedo preguntar",
    "me puedes ayudar",
    "eres un bot",
];

/// Chat spellings read as words.
fn spelled(word: &str) -> &str {
    match word {
        "u" => "you",
        "r" => "are",
        "ur" => "your",
        "wat" | "wut" | "wht" => "what",
        "whats" => "what is",
        "hows" => "how does",
        "wats" => "what is",
        "ya" => "you",
        other => other,
    }
}

/// The small talk `message` is, when the whole of it is.
pub fn classify(message: &str) -> Option<SmallTalk> {
    // Accents folded as the matcher folds them ("qué" → "que").
    let lower = crate::matcher::fold_accents(&message.to_lowercase().replace(['’', '`'], "'"));
    let cleaned: String = lower.chars().map(|c| if c.is_alphanumeric() || c == '\'' { c } else { ' ' }).collect();
    let words: Vec<&str> = cleaned.split_whitespace().map(|w| w.trim_matches('\'')).filter(|w| !w.is_empty()).collect();
    if words.is_empty() || words.len() > 12 {
        return None;
    }
    let text: Vec<&str> = words.iter().flat_map(|w| spelled(w).split(' ')).map(|w| w.trim_end_matches("'s")).collect();
    let is = |set: &[&str], w: &str| set.contains(&w);
    if text.iter().all(|w| is(GREETING, w) || is(WITH_GREETING, w)) && text.iter().any(|w| is(GREETING, w)) {
        return Some(SmallTalk::Greeting);
    }
    if text.iter().all(|w| is(THANKS, w) || is(WITH_THANKS, w)) && text.iter().any(|w| is(THANKS, w)) {
        return Some(SmallTalk::Thanks);
    }
    // A greeting may open a question about the bot: "hi, what can you do?"
    let rest: Vec<&str> = text.iter().copied().skip_while(|w| is(GREETING, w) || is(WITH_GREETING, w)).collect();
    let rest = rest.join(" ");
    let rest = rest.trim_end_matches(" here").trim_end_matches(" exactly").trim_end_matches(" then");
    ABOUT.contains(&rest).then_some(SmallTalk::About)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_messages_of_small_talk_are_told_from_questions() {
        for (message, kind) in [
            ("hi", SmallTalk::Greeting),
            ("Hello there!", SmallTalk::Greeting),
            ("good morning everyone", SmallTalk::Greeting),
            ("hey bot", SmallTalk::Greeting),
            ("thanks!", SmallTalk::Thanks),
            ("thank you so much", SmallTalk::Thanks),
            ("ty", SmallTalk::Thanks),
            ("what is this bot for?", SmallTalk::About),
            ("What can you do", SmallTalk::About),
            ("hi, what can u do?", SmallTalk::About),
            ("whats this", SmallTalk::About),
            ("who r u", SmallTalk::About),
            ("¡Hola!", SmallTalk::Greeting),
            ("buenos días a todos", SmallTalk::Greeting),
            ("muchas gracias", SmallTalk::Thanks),
            ("¿Qué puedes hacer?", SmallTalk::About),
            ("how does this work", SmallTalk::About),
        ] {
            assert_eq!(classify(message), Some(kind), "{message}");
        }
        for question in [
            "hi, is it legal to park here overnight?",
            "hello how do I renew my permit",
            "what is a deadline",
            "thanks, but what about the new rule?",
            "what can police do",
            "help",
            "",
            "?",
            "what is this law",
        ] {
            assert_eq!(classify(question), None, "{question}");
        }
    }
}
