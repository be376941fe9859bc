//! What the bot refuses to run with: ranges that would hurt it and keys
//! that contradict each other, each refusal located at the key it names.

use super::*;

/// A value the bot refuses to run with, and the key it is written under:
/// "[data] retention_days = 0 is outside 1..36500; …".
#[derive(Debug)]
pub(super) struct Refused {
    pub(super) section: &'static str,
    /// `None` for a rule between keys that names no one of them.
    pub(super) key: Option<&'static str>,
    pub(super) message: String,
}

impl Refused {
    pub(super) fn new(section: &'static str, key: Option<&'static str>, message: impl Into<String>) -> Refused {
        Refused { section, key, message: message.into() }
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.section, self.message)
    }
}

/// Where `key` of `[section]` is written: its own line and column, so the
/// operator goes straight to it; 1:1 when it is not written (a default, or
/// a relation between two keys where the first is absent).
pub(super) fn locate_key(text: &str, section: &str, key: Option<&str>) -> (usize, usize) {
    let Some(key) = key else { return (1, 1) };
    let mut in_section = false;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            in_section = trimmed
                .trim_end()
                .strip_prefix('[')
                .and_then(|t| t.split_once(']'))
                .is_some_and(|(name, _)| name.trim() == section);
            continue;
        }
        if in_section
            && let Some(after) = trimmed.strip_prefix(key)
            && after.trim_start().starts_with('=')
        {
            return (i + 1, line.len() - trimmed.len() + 1);
        }
    }
    (1, 1)
}

impl Config {
    /// The first value the bot refuses, with the key it is written under.
    pub(super) fn validate(&self) -> Result<(), Refused> {
        if let Some(room) = &self.moderation.log_room
            // Room version 12 ids have no ":server" part.
            && !(room.starts_with('!') && room.len() > 1 && !room.contains(char::is_whitespace))
        {
            return Err(Refused::new(
                "moderation",
                Some("log_room"),
                format!(
                    "log_room = \"{room}\" is not a room id; it starts with \"!\", e.g. \"!abc:example.org\" (Room settings → Advanced)"
                ),
            ));
        }
        match humantime::parse_duration(&self.knowledge.pull_interval) {
            Ok(every) if every >= std::time::Duration::from_secs(1) => {}
            _ => {
                return Err(Refused::new(
                    "knowledge",
                    Some("pull_interval"),
                    format!(
                        "pull_interval = \"{}\" is not a duration of at least a second, e.g. \"60s\" or \"5m\"",
                        self.knowledge.pull_interval
                    ),
                ));
            }
        }
        let m = &self.matching;
        for (name, v) in [
            ("answer", m.answer),
            ("margin", m.margin),
            ("suggest", m.suggest),
            ("semantic_slack", m.semantic_slack),
            ("agree_cosine", m.agree_cosine),
            ("answer_cosine", m.answer_cosine),
            ("cosine_margin", m.cosine_margin),
            ("answer_probability", m.answer_probability),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(Refused::new("matching", Some(name), format!("{name} = {v} is outside 0..1")));
            }
        }
        if !(-1.0..=1.0).contains(&m.sibling_margin) {
            return Err(Refused::new(
                "matching",
                Some("sibling_margin"),
                format!("sibling_margin = {} is outside -1..1", m.sibling_margin),
            ));
        }
        if m.suggest > m.answer {
            return Err(Refused::new(
                "matching",
                Some("suggest"),
                format!(
                    "suggest ({}) is above answer ({}); suggestions must need less confidence than answers",
                    m.suggest, m.answer
                ),
            ));
        }
        if m.min_evidence < 0.0 || !m.min_evidence.is_finite() {
            return Err(Refused::new("matching", Some("min_evidence"), "min_evidence must be a number of 0 or more"));
        }
        // 0 would delete every record at the next start; beyond a century
        // the conversion to a duration overflows into the same.
        if !(1..=36_500).contains(&self.data.retention_days) {
            return Err(Refused::new(
                "data",
                Some("retention_days"),
                format!(
                    "retention_days = {} is outside 1..36500; records older than this many days are deleted",
                    self.data.retention_days
                ),
            ));
        }
        let d = &self.discord;
        if d.cooldown_burst == 0 {
            return Err(Refused::new("discord", Some("cooldown_burst"), "cooldown_burst must be 1 or more"));
        }
        if self.matrix.cooldown_burst == 0 {
            return Err(Refused::new("matrix", Some("cooldown_burst"), "cooldown_burst must be 1 or more"));
        }
        if let Some(s) = &d.shards
            && !s.auto
            && (s.total == 0 || s.first > s.last || s.last >= s.total)
        {
            return Err(Refused::new(
                "discord",
                Some("shards"),
                format!(
                    "shards: first ({}) ..= last ({}) must lie within 0..total ({}), e.g. {{ total = 4, first = 0, last = 1 }}",
                    s.first, s.last, s.total
                ),
            ));
        }
        let m = &self.matrix;
        if m.prefix.trim().is_empty() || m.prefix.chars().any(char::is_whitespace) {
            return Err(Refused::new(
                "matrix",
                Some("prefix"),
                "prefix must be one or more characters without spaces, e.g. \"!\"",
            ));
        }
        if m.homeserver.is_some() != m.user_id.is_some() {
            return Err(Refused::new("matrix", None, "needs both homeserver and user_id (or neither)"));
        }
        if let Some(dev) = d.dev_guild
            && !d.allowed_guilds.is_empty()
            && !d.allowed_guilds.contains(&dev)
        {
            return Err(Refused::new(
                "discord",
                Some("dev_guild"),
                format!("dev_guild {dev} is not in allowed_guilds, so the bot would leave it; add it to the list"),
            ));
        }
        if !d.passive_channels.is_empty() && !d.message_content_intent {
            return Err(Refused::new(
                "discord",
                Some("passive_channels"),
                "passive_channels needs message_content_intent = true (and the intent switched on in the developer portal)",
            ));
        }
        Ok(())
    }
}
