//! What a user can ask for: the one table of commands that parsing, the
//! help text and Discord's slash-command registration all read, and the
//! parsing of a chat message into a [`Command`]. The table itself is in
//! `table`; the arguments of the commands that change the knowledge are
//! parsed in `changes`.

mod changes;
mod table;
use changes::*;
pub(crate) use table::COMMANDS;

/// What a user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Ask(String),
    Topics,
    Topic(String),
    Claims(String),
    Help,
    /// What the bot keeps of what people ask, and for how long.
    Privacy,
    Reload,
    Unanswered,
    /// A change to the knowledge (moderators only).
    Edit(crate::knowledge::edit::Edit),
    /// A page of the review queue (moderators only).
    Review(usize),
    /// Accept review group N's questions as phrasings of an entry (the
    /// one askers picked most when `None`).
    Accept(usize, Option<String>),
    /// Hide review group N until more people ask it.
    Dismiss(usize),
    /// The last changes to the knowledge (to one entry's answer).
    History(Option<String>),
    /// Undo one change, by its version.
    Undo(String),
}

/// The one argument a command takes. Some fields are read only by
/// Discord's registration (a build without Discord leaves them unread).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arg {
    /// Its name as a Discord option.
    #[cfg_attr(not(feature = "discord"), allow(dead_code))]
    pub name: &'static str,
    /// How help shows it ("QUESTION").
    pub usage: &'static str,
    /// What is missing when it is left out ("a question").
    pub needs: &'static str,
    /// An example for the error that says it is missing.
    pub example: &'static str,
    /// Its description as a Discord option.
    #[cfg_attr(not(feature = "discord"), allow(dead_code))]
    pub describe: &'static str,
    /// Whether Discord offers choices as it is typed.
    #[cfg_attr(not(feature = "discord"), allow(dead_code))]
    pub autocomplete: bool,
    /// Whether the command works without it.
    pub optional: bool,
}

/// One command as every platform offers it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    pub name: &'static str,
    pub arg: Option<Arg>,
    /// Its line in the help text.
    pub help: &'static str,
    /// Its description as a Discord slash command.
    #[cfg_attr(not(feature = "discord"), allow(dead_code))]
    pub describe: &'static str,
    /// Moderators only (checked by the bot on every platform).
    #[cfg_attr(not(feature = "discord"), allow(dead_code))]
    pub moderators: bool,
    /// The bare word, typed alone, means the command ("topics", "help"):
    /// a person means it so, and it would otherwise match some FAQ entry.
    pub bare: bool,
    /// Registered on Discord as a slash command with one text option;
    /// the knowledge-editing commands are registered there in their own
    /// shape (`/faq …`, `/claim set`, with modals for long texts).
    #[cfg_attr(not(feature = "discord"), allow(dead_code))]
    pub slash: bool,
    /// How Discord's help shows a command registered in its own shape.
    #[cfg_attr(not(feature = "discord"), allow(dead_code))]
    pub on_discord: Option<&'static str>,
    /// The command, given its argument ("" for one that takes none), or
    /// what is wrong with the argument.
    pub make: fn(String) -> Result<Command, String>,
}

impl Command {
    /// Whether only moderators may use it (the bot checks on every
    /// platform; the table says so for Discord's registration).
    pub fn for_moderators(&self) -> bool {
        matches!(
            self,
            Command::Reload
                | Command::Unanswered
                | Command::Edit(_)
                | Command::Review(_)
                | Command::Accept(..)
                | Command::Dismiss(_)
                | Command::History(_)
                | Command::Undo(_)
        )
    }
}

/// The command named `name` (any letter case).
pub(crate) fn spec(name: &str) -> Option<&'static Spec> {
    COMMANDS.iter().find(|c| c.name.eq_ignore_ascii_case(name))
}

/// The help text's lines: usage and what it does.
pub(crate) fn help() -> Vec<(String, String)> {
    COMMANDS
        .iter()
        .map(|c| {
            let usage = match c.arg {
                Some(arg) => format!("{} {}", c.name, arg.usage),
                None => c.name.to_owned(),
            };
            (usage, c.help.to_owned())
        })
        .collect()
}

impl Command {
    /// Whether `text` names one of this bot's commands with `prefix`
    /// (rightly used or not): "!topic" is ours, "!roll" another bot's.
    pub fn is_known(text: &str, prefix: &str) -> bool {
        let Some(rest) = text.trim().strip_prefix(prefix) else { return false };
        spec(rest.split_whitespace().next().unwrap_or("")).is_some()
    }

    /// Parses text that starts with the command prefix (e.g. "/topics").
    /// Returns `None` when the text is not a command at all (a question),
    /// and an error message for an unknown command or a missing argument.
    pub fn parse(text: &str, prefix: &str) -> Option<Result<Command, String>> {
        let rest = text.trim().strip_prefix(prefix)?;
        let (name, arg) = match rest.split_once(char::is_whitespace) {
            Some((n, a)) => (n, a.trim()),
            None => (rest, ""),
        };
        if name.is_empty() {
            return None;
        }
        let Some(spec) = spec(name) else {
            return Some(Err(format!(
                "unknown command {prefix}{}; type {prefix}help for the list",
                crate::text::shorten(&name.to_lowercase(), 32)
            )));
        };
        Some(match spec.arg {
            Some(needed) if arg.is_empty() && !needed.optional => {
                Err(format!("{prefix}{name} needs {}, e.g. {prefix}{name} {}", needed.needs, needed.example))
            }
            // A command without a required argument may still take one
            // ("review 2"); the others ignore it.
            _ => (spec.make)(arg.to_owned()),
        })
    }
}

/// Prefixes people type for commands on one platform or another. A command
/// written with another platform's prefix ("/help" on Matrix, "!topics" to
/// the Discord bot) is still that command, never a question.
const COMMAND_PREFIXES: &[&str] = &["/", "!"];

impl Command {
    /// What a message addressed to the bot asks for: a command with this
    /// platform's `prefix`; a known command with another common prefix; a
    /// bare command word ("help", "topics", "?"), which a person means as
    /// the command and which would otherwise match some FAQ entry; an empty
    /// message is help; anything else is a question. An unknown command or a
    /// missing argument with this platform's prefix is the error message.
    pub fn from_message(text: &str, prefix: &str) -> Result<Command, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Command::Help);
        }
        if let Some(parsed) = Command::parse(text, prefix) {
            return parsed;
        }
        // With a foreign prefix only a whole, valid command counts: "/shrug"
        // or "!!!" on a platform whose prefix is "!" stays a message.
        if let Some(command) =
            COMMAND_PREFIXES.iter().filter(|p| **p != prefix).find_map(|p| Command::parse(text, p)?.ok())
        {
            return Ok(command);
        }
        let word = text.trim_end_matches(['?', '!', '.']).trim().to_lowercase();
        if word.is_empty() || word == "commands" {
            return Ok(Command::Help);
        }
        Ok(match spec(&word) {
            Some(spec) if spec.bare => return (spec.make)(String::new()),
            _ => Command::Ask(text.to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::edit::Edit;

    #[test]
    fn parses_commands_and_rejects_unknown_ones() {
        assert_eq!(Command::parse("hello", "/"), None);
        assert_eq!(Command::parse("/topics", "/"), Some(Ok(Command::Topics)));
        assert_eq!(Command::parse(" /TOPIC  state law ", "/"), Some(Ok(Command::Topic("state law".into()))));
        assert!(Command::parse("/topic", "/").unwrap().unwrap_err().contains("needs a topic name"));
        assert!(Command::parse("/frobnicate x", "/").unwrap().unwrap_err().contains("unknown command /frobnicate"));
        assert_eq!(Command::parse("!ask why?", "!"), Some(Ok(Command::Ask("why?".into()))));
    }

    #[test]
    fn only_this_bots_command_names_are_known() {
        assert!(
            Command::is_known("!topics", "!") && Command::is_known("!TOPIC x", "!") && !Command::is_known("!frob", "/")
        );
        assert!(!Command::is_known("!roll d20", "!") && !Command::is_known("topics", "!"));
    }

    #[test]
    fn bare_command_words_and_foreign_prefixes_are_commands_not_questions() {
        for (text, prefix) in [("help", "!"), ("Help?", "/"), ("/help", "!"), ("!help", "/"), ("  ", "!"), ("?", "/")] {
            assert_eq!(Command::from_message(text, prefix), Ok(Command::Help), "{text:?} with {prefix}");
        }
        assert_eq!(Command::from_message("topics", "!"), Ok(Command::Topics));
        assert_eq!(Command::from_message("/topic state law", "!"), Ok(Command::Topic("state law".into())));
        // Questions stay questions, including ones that start with a command word.
        for text in ["help with my permit renewal", "/shrug", "what topics do you know"] {
            assert_eq!(Command::from_message(text, "!"), Ok(Command::Ask(text.into())), "{text:?}");
        }
        // This platform's prefix with a wrong name is an error that says so.
        assert!(Command::from_message("!frob", "!").unwrap_err().contains("unknown command !frob"));
    }

    #[test]
    fn changes_and_review_commands_parse_their_parts_and_refuse_bad_ones() {
        use crate::knowledge::ClaimStatus;
        let parse = |t: &str| Command::from_message(t, "!");
        assert_eq!(
            parse("!claim set a#2 verified HB 12 (2019), section 3 2026-11-30"),
            Ok(Command::Edit(Edit::SetClaim {
                claim: "a#2".into(),
                status: ClaimStatus::Verified,
                source: Some("HB 12 (2019), section 3".into()),
                checked: Some("2026-11-30".into()),
            }))
        );
        assert_eq!(
            parse("!claim set shared disputed"),
            Ok(Command::Edit(Edit::SetClaim {
                claim: "shared".into(),
                status: ClaimStatus::Disputed,
                source: None,
                checked: None
            }))
        );
        assert_eq!(
            parse("!answer a\nLine one.\nLine two."),
            Ok(Command::Edit(Edit::SetAnswer { entry: "a".into(), text: "Line one.\nLine two.".into() }))
        );
        assert_eq!(
            parse("!new b | Law | Who signed it? | The governor."),
            Ok(Command::Edit(Edit::NewEntry {
                id: "b".into(),
                topic: "Law".into(),
                question: "Who signed it?".into(),
                answer: "The governor.".into()
            }))
        );
        assert_eq!(parse("!review"), Ok(Command::Review(1)));
        assert_eq!(parse("!review 3"), Ok(Command::Review(3)));
        assert_eq!(parse("!accept 2"), Ok(Command::Accept(2, None)));
        assert_eq!(parse("!accept 2 some-entry"), Ok(Command::Accept(2, Some("some-entry".into()))));
        assert_eq!(parse("!dismiss 1"), Ok(Command::Dismiss(1)));
        for (bad, says) in [
            ("!claim set a#1 maybe", "a status is unverified, disputed or verified"),
            ("!claim frob a#1 verified", "claim does set"),
            ("!claim set a#1", "needs a claim and a status"),
            ("!alias change a x", "alias does add or remove"),
            ("!alias add a", "needs an entry id and a phrasing"),
            ("!answer a", "needs an entry id and then the new answer"),
            ("!new a\nLaw\nWho?", "new needs four parts"),
            ("!review 0", "review takes a page number"),
            ("!review x", "review takes a page number"),
            ("!accept 0", "accept takes a group number"),
            ("!accept 99999999999999999999999", "accept takes a group number"),
            ("!dismiss none", "dismiss takes a group number"),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains(says), "{bad:?}: {err}");
        }
        for edit in
            ["alias add a x", "claim set a#1 verified", "answer a x", "new a|b|c|d", "review", "accept 1", "dismiss 1"]
        {
            assert!(parse(&format!("!{edit}")).unwrap().for_moderators(), "{edit}");
        }
    }

    #[test]
    fn every_command_in_the_table_parses_to_itself_and_is_in_the_help() {
        let help = help();
        for c in COMMANDS {
            let text = match c.arg {
                Some(arg) => format!("/{} {}", c.name, arg.example),
                None => format!("/{}", c.name),
            };
            let parsed = Command::parse(&text, "/").unwrap().unwrap();
            assert_eq!(parsed, (c.make)(c.arg.map_or(String::new(), |a| a.example.to_owned())).unwrap(), "{text}");
            assert!(help.iter().any(|(usage, _)| usage.split_whitespace().next() == Some(c.name)), "{}", c.name);
            assert_eq!(parsed.for_moderators(), c.moderators, "{}", c.name);
        }
        assert_eq!(help.len(), COMMANDS.len());
    }
}
