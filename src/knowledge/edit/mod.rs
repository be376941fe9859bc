//! Changing knowledge files in place: the write path every edit takes,
//! from the CLI and from chat. A change is made to the file's own syntax
//! tree (`toml_edit`), so comments, key order, quoting, blank lines and
//! every other entry stay byte for byte; it is validated exactly as a reload
//! would be (by the caller's `validate`, over a copy of the directory with
//! the change in it) before anything on disk changes; and it is written
//! aside, synced and renamed over the file. A file saved by someone else
//! while the change was being made is read again and the change made to the
//! new text, so nobody's save is lost. A refused change writes nothing.
//! Processes editing the same directory take turns ([`DirLock`]).

//!
//! One job a file: `check` (what a change may say: lengths, mentions,
//! sources, dates), `toml` (the change made to a file's syntax tree),
//! `disk` (the copy that is checked, the swap, the directory lock); this
//! file holds the change, its refusals, where it goes and the road.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item};

use super::{ClaimStatus, KnowledgeBase, Lang, LoadErrors};

mod check;
mod disk;
mod toml;
use check::*;
pub use disk::DirLock;
use disk::*;
use toml::*;

/// The longest phrasing (or question) a moderator may write, in characters.
pub const MAX_PHRASING_CHARS: usize = 300;
/// The longest answer written from chat, in characters: Discord's modal
/// holds 4,000, and an answer longer than that is no chat answer.
pub const MAX_ANSWER_CHARS: usize = 4_000;
/// The longest topic name, in characters.
pub const MAX_TOPIC_CHARS: usize = 80;
/// The longest source (a URL or a citation), in characters.
pub const MAX_SOURCE_CHARS: usize = 500;

/// A change to the knowledge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Add `text` as a phrasing (alias) of entry `entry`.
    AddAlias { entry: String, text: String },
    /// Add `text`, a question people asked, to entry `entry`'s accepted
    /// asked questions (`asked = [...]`): what accepting from the review
    /// queue does.
    AddAsked { entry: String, text: String },
    /// Remove the phrasing `text` from entry `entry`.
    RemoveAlias { entry: String, text: String },
    /// Set a claim's status. `claim` is `ENTRY#N` (the N-th claim of an
    /// entry, as `claims` numbers them) or a shared claim's id; a claim an
    /// entry takes from a shared record changes that record, so every
    /// entry making it. `checked` defaults to today when a source is given.
    SetClaim { claim: String, status: ClaimStatus, source: Option<String>, checked: Option<String> },
    /// Replace entry `entry`'s answer.
    SetAnswer { entry: String, text: String },
    /// A new entry, written after the last one in the file of its topic.
    NewEntry { id: String, topic: String, question: String, answer: String },
    /// `edit` (adding or removing a phrasing, or replacing the answer) made
    /// to the entry's translation into `lang` (`[entry.translations.es]`).
    Translated { lang: Lang, edit: Box<Edit> },
}

impl Edit {
    /// `edit` made to the entry's translation into `lang`; English is the
    /// entry itself.
    pub fn in_lang(lang: Lang, edit: Edit) -> Edit {
        if lang == Lang::En { edit } else { Edit::Translated { lang, edit: Box::new(edit) } }
    }
}

/// Why a change was not made. Nothing on disk changed.
#[derive(Debug, thiserror::Error)]
pub enum EditRefused {
    #[error("there is no entry \"{0}\"; the id is the last word of an answer's footer")]
    UnknownEntry(String),
    #[error(
        "there is no claim \"{0}\"; a claim is ENTRY#N (numbered as `claims ENTRY` lists them) or a shared claim's id"
    )]
    UnknownClaim(String),
    #[error("there is already an entry \"{0}\"; pick another id")]
    IdTaken(String),
    #[error("\"{0}\" is not an entry id: use lowercase letters, digits and hyphens, e.g. \"permit-renewal\"")]
    BadId(String),
    #[error("{0} needs some words")]
    Empty(&'static str),
    #[error("{what} is at most {max} characters; this one has {chars}")]
    TooLong { what: &'static str, max: usize, chars: usize },
    #[error("{what} may not mention anyone ({mention}): the bot would show it to people later")]
    Mentions { what: &'static str, mention: String },
    #[error("\"{text}\" is already a phrasing of entry \"{other}\"")]
    Taken { text: String, other: String },
    #[error("entry \"{entry}\" has no phrasing \"{text}\" (its question is not removable)")]
    NotThere { entry: String, text: String },
    #[error(
        "a claim marked verified needs a source: a URL (https://…) or a citation such as \"Miss. Code Ann. § 43-1-5\""
    )]
    NeedsSource,
    #[error(
        "\"{0}\" is not a source: give a URL (https://…) or a citation with its section, year or page, such as \"HB 12 (2019), section 3\""
    )]
    BadSource(String),
    #[error("\"{0}\" is not a date: write it as 2026-11-30")]
    BadDate(String),
    #[error("{file}: {why}")]
    Unwritable { file: PathBuf, why: String },
    #[error("the change would break the knowledge, so it was not made:\n{0}")]
    Invalid(LoadErrors),
    /// The history cannot give the change asked for (an unknown version,
    /// an undo that clashes with a later change).
    #[error("{0}")]
    History(String),
    #[error("{0} kept changing while the edit was made; try again")]
    Busy(PathBuf),
    #[error(
        "entry \"{entry}\" has no {language} translation yet; write [entry.translations.{code}] (question and answer) in its file first"
    )]
    NoTranslation { entry: String, language: &'static str, code: &'static str },
    #[error("only phrasings and answers are changed per language; {0} is changed on the entry itself")]
    NotPerLanguage(&'static str),
}

/// A change made: the file it is in, what it was in words, the entries
/// whose answers it changes, and what the file held before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub file: PathBuf,
    pub summary: String,
    pub entries: Vec<String>,
    pub written: Vec<Written>,
}

/// One file as a change left it: its text before and after (`None`: no
/// such file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub file: PathBuf,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// How one file changes: its new text made from what it holds now (`None`
/// in: there is no such file; `None` out: remove it). Called again when the
/// file was saved meanwhile, so it must not assume the text it saw last.
pub type Make<'a> = &'a dyn Fn(Option<&str>) -> Result<Option<String>, EditRefused>;

/// How often a change is made again to a file that was saved meanwhile.
const ATTEMPTS: usize = 3;

/// Makes `edit` to the knowledge in `dir`. `kb` is the knowledge as loaded
/// (to find the entry and check the change against the others);
/// `validate` loads a directory the way a reload does and says whether it
/// would be taken.
pub fn apply(
    dir: &Path,
    kb: &KnowledgeBase,
    edit: &Edit,
    validate: impl Fn(&Path) -> Result<(), LoadErrors>,
) -> Result<Applied, EditRefused> {
    let edit = check(dir, kb, edit)?;
    let target = target(dir, kb, &edit)?;
    let make = |before: Option<&str>| match before {
        Some(before) => change(before, &target, &edit).map(Some),
        None => Err(EditRefused::Unwritable { file: target.file.clone(), why: "it is gone".to_owned() }),
    };
    let written = write(dir, &[(target.file.clone(), &make)], validate)?;
    Ok(Applied { file: target.file, summary: target.summary, entries: target.entries, written })
}

/// The road every change to the files takes: under the directory lock,
/// each file's new text is made from what it holds, the directory with the
/// new texts is validated in a copy, and only then are the files swapped
/// in. A file saved by someone else meanwhile has the change made again to
/// what they saved. A refusal writes nothing.
pub fn write(
    dir: &Path,
    changes: &[(PathBuf, Make<'_>)],
    validate: impl Fn(&Path) -> Result<(), LoadErrors>,
) -> Result<Vec<Written>, EditRefused> {
    let first = changes.first().map(|(f, _)| f.clone()).unwrap_or_else(|| dir.to_path_buf());
    let unwritable = |file: &Path, why: String| EditRefused::Unwritable { file: file.to_path_buf(), why };
    let _turn = DirLock::take(dir).map_err(|e| unwritable(dir, format!("cannot lock the knowledge directory: {e}")))?;
    // Set for a file a save landed on in the instant of the swap: the text
    // to make the change to (theirs), and what the file holds meanwhile.
    let mut known: std::collections::HashMap<PathBuf, (Option<String>, Option<String>)> = Default::default();
    'attempt: for _ in 0..ATTEMPTS {
        // (the file, the text the change is made to, what is on disk, the new text)
        let mut plan = Vec::with_capacity(changes.len());
        for (file, make) in changes {
            let (before, on_disk) = match known.remove(file) {
                Some(known) => known,
                None => {
                    let text = read(file).map_err(|e| unwritable(file, format!("cannot read it: {e}")))?;
                    (text.clone(), text)
                }
            };
            let after = make(before.as_deref())?;
            plan.push((file.clone(), before, on_disk, after));
        }
        known.clear();
        let scratch = tempfile::tempdir_in(std::env::temp_dir()).map_err(|e| unwritable(dir, format!("{e}")))?;
        let texts: Vec<(PathBuf, Option<String>)> = plan.iter().map(|(f, _, _, a)| (f.clone(), a.clone())).collect();
        copy_knowledge(dir, scratch.path(), &texts).map_err(|e| unwritable(dir, format!("{e}")))?;
        validate(scratch.path()).map_err(|mut errors| {
            // Said of the real files, not of the copy.
            for e in &mut errors.0 {
                if let Ok(rest) = e.path.strip_prefix(scratch.path()) {
                    e.path = dir.join(rest);
                }
            }
            EditRefused::Invalid(errors)
        })?;
        // Saved by someone else since it was read: make the change again
        // to what they saved.
        if plan.iter().any(|(file, _, on_disk, _)| read(file).ok().as_ref() != Some(on_disk)) {
            continue;
        }
        let mut clashed = false;
        for (file, _, on_disk, after) in &plan {
            let put = put(file, after.as_deref(), on_disk.as_deref())
                .map_err(|e| unwritable(file, format!("cannot write it: {e}")))?;
            if let Some(theirs) = put {
                known.insert(file.clone(), (Some(theirs), after.clone()));
                clashed = true;
            }
        }
        if clashed {
            continue 'attempt;
        }
        return Ok(plan.into_iter().map(|(file, before, _, after)| Written { file, before, after }).collect());
    }
    Err(EditRefused::Busy(first))
}

/// A claim as loaded, by `ENTRY#N` or a shared claim's id; `None` for a
/// shared claim no entry makes (it may still be defined in a file).
pub(super) fn find_claim<'a>(kb: &'a KnowledgeBase, name: &str) -> Result<Option<&'a super::Claim>, EditRefused> {
    let name = name.trim();
    let unknown = || EditRefused::UnknownClaim(crate::text::shorten(name, 64));
    match name.split_once('#') {
        Some((entry, n)) => {
            let entry = kb.entry(entry.trim()).ok_or_else(unknown)?;
            let n: usize = n.trim().parse().map_err(|_| unknown())?;
            n.checked_sub(1).and_then(|i| entry.claims.get(i)).map(Some).ok_or_else(unknown)
        }
        None => Ok(kb.entries.iter().flat_map(|e| &e.claims).find(|c| c.id.as_deref() == Some(name))),
    }
}

/// Where a checked edit goes: the file, the table in it, what it is in
/// words and the entries whose answers it touches.
pub(super) struct Target {
    file: PathBuf,
    pub(super) place: Place,
    summary: String,
    entries: Vec<String>,
}

pub(super) enum Place {
    /// The `[[entry]]` with this id.
    Entry(String),
    /// The `index`-th `[[entry.claims]]` of the entry with this id.
    EntryClaim(String, usize),
    /// The shared `[[claim]]` with this id.
    Shared(String),
    /// After the file's last line.
    End,
    /// The `[entry.translations.LANG]` table of the entry with this id.
    Translation(String, Lang),
}

fn target(dir: &Path, kb: &KnowledgeBase, edit: &Edit) -> Result<Target, EditRefused> {
    let file_of = |id: &str| {
        kb.entry(id).map(|e| e.location.file.clone()).ok_or_else(|| EditRefused::UnknownEntry(id.to_owned()))
    };
    let on_entry = |entry: &String, summary: String| -> Result<Target, EditRefused> {
        Ok(Target { file: file_of(entry)?, place: Place::Entry(entry.clone()), summary, entries: vec![entry.clone()] })
    };
    match edit {
        Edit::Translated { lang, edit } => {
            let mut target = target(dir, kb, edit)?;
            if let Place::Entry(id) = target.place {
                target.place = Place::Translation(id, *lang);
            }
            target.summary = format!("{} (in {})", target.summary, lang.name());
            Ok(target)
        }
        Edit::AddAlias { entry, text } => {
            on_entry(entry, format!("added the phrasing \"{text}\" to entry \"{entry}\""))
        }
        Edit::AddAsked { entry, text } => {
            on_entry(entry, format!("added the asked question \"{text}\" to entry \"{entry}\""))
        }
        Edit::RemoveAlias { entry, text } => {
            on_entry(entry, format!("removed the phrasing \"{text}\" from entry \"{entry}\""))
        }
        Edit::SetAnswer { entry, text } => {
            let before = kb.entry(entry).map_or(0, |e| e.answer.chars().count());
            let summary = format!(
                "replaced the answer of entry \"{entry}\" ({before} → {} characters): \"{}\"",
                text.chars().count(),
                crate::text::shorten(&text.split_whitespace().collect::<Vec<_>>().join(" "), 80)
            );
            on_entry(entry, summary)
        }
        Edit::NewEntry { id, topic, question, .. } => {
            // After the entries of its topic's file, else the last entry's.
            let wanted = topic.to_lowercase();
            let file = kb
                .entries
                .iter()
                .rfind(|e| e.topic.to_lowercase() == wanted)
                .or(kb.entries.last())
                .map(|e| e.location.file.clone())
                .ok_or_else(|| EditRefused::Unwritable {
                    file: dir.to_path_buf(),
                    why: "holds no entry to write a new one beside".to_owned(),
                })?;
            Ok(Target {
                file,
                place: Place::End,
                summary: format!("created entry \"{id}\" in topic \"{topic}\": \"{question}\""),
                entries: vec![id.clone()],
            })
        }
        Edit::SetClaim { claim, status, source, checked } => {
            let written = find_claim(kb, claim)?;
            let shared = written.and_then(|c| c.id.clone()).or_else(|| (!claim.contains('#')).then(|| claim.clone()));
            let (file, place, named, entries) = match (shared, claim.split_once('#')) {
                (Some(id), _) => {
                    let file = shared_claim_file(dir, &id).ok_or_else(|| EditRefused::UnknownClaim(id.clone()))?;
                    let entries = kb
                        .entries
                        .iter()
                        .filter(|e| e.claims.iter().any(|c| c.id.as_deref() == Some(&id)))
                        .map(|e| e.id.clone())
                        .collect();
                    (file, Place::Shared(id.clone()), format!("shared claim \"{id}\""), entries)
                }
                (None, Some((entry, n))) => {
                    let (entry, index) = (entry.trim().to_owned(), n.trim().parse::<usize>().unwrap_or(1) - 1);
                    (file_of(&entry)?, Place::EntryClaim(entry.clone(), index), format!("claim {claim}"), vec![entry])
                }
                (None, None) => return Err(EditRefused::UnknownClaim(claim.clone())),
            };
            let text =
                written.map(|c| format!(" (\"{}\")", crate::text::shorten_claim(&c.text, 80))).unwrap_or_default();
            let mut summary = format!("set {named}{text} to {}", status.as_str());
            if let Some(source) = source {
                summary.push_str(&format!(", source: {source}"));
            }
            if let Some(checked) = checked {
                summary.push_str(&format!(", checked {checked}"));
            }
            Ok(Target { file, place, summary, entries })
        }
    }
}

/// The knowledge file that defines shared claim `id`.
pub(super) fn shared_claim_file(dir: &Path, id: &str) -> Option<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).ok()?.filter_map(|e| Some(e.ok()?.path())).collect();
    files.sort();
    files.into_iter().filter(|p| p.extension().is_some_and(|e| e == "toml")).find(|p| {
        let Ok(text) = std::fs::read_to_string(p) else { return false };
        let Ok(doc) = text.parse::<DocumentMut>() else { return false };
        doc.get("claim")
            .and_then(Item::as_array_of_tables)
            .is_some_and(|claims| claims.iter().any(|c| c.get("id").and_then(Item::as_str) == Some(id)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# A comment that must survive.\ntitle = \"T\"\n\n[[entry]]\nid = \"a\"   # trailing comment\ntopic = \"Law\"\nquestion = \"When was the law signed?\"\naliases = [\n  \"Who signed the law?\",\n  \"When did the law pass?\",\n]\nanswer = \"\"\"\nIt was signed in 2017.\"\"\"\n\n[[entry]]\nid = \"b\"\ntopic = \"Law\"\nquestion = \"What does the law require?\"\naliases = [\"What must police do?\"]\nanswer = \"It requires things.\"\n";

    fn dir() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k.toml");
        std::fs::write(&file, FILE).unwrap();
        (dir, file)
    }

    fn valid(dir: &Path) -> Result<(), LoadErrors> {
        crate::knowledge::load_dir(dir).map(|_| ())
    }

    fn add(entry: &str, text: &str) -> Edit {
        Edit::AddAlias { entry: entry.into(), text: text.into() }
    }

    fn remove(entry: &str, text: &str) -> Edit {
        Edit::RemoveAlias { entry: entry.into(), text: text.into() }
    }

    #[test]
    fn adding_a_phrasing_adds_one_line_and_removing_it_restores_every_byte() {
        let (d, file) = dir();
        let kb = crate::knowledge::load_dir(d.path()).unwrap();
        let applied = apply(d.path(), &kb, &add("a", "Is the law new?"), valid).unwrap();
        assert_eq!(applied.summary, "added the phrasing \"Is the law new?\" to entry \"a\"");
        let after = std::fs::read_to_string(&file).unwrap();
        let added: Vec<&str> = after.lines().filter(|l| !FILE.lines().any(|o| o == *l)).collect();
        assert_eq!(added, ["  \"Is the law new?\","]);
        assert_eq!(after.lines().count(), FILE.lines().count() + 1);
        let kb = crate::knowledge::load_dir(d.path()).unwrap();
        assert_eq!(kb.entry("a").unwrap().aliases.last().unwrap(), "Is the law new?");
        apply(d.path(), &kb, &remove("a", "Is the law new?"), valid).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), FILE);
    }

    #[test]
    fn an_asked_question_goes_into_its_own_list_and_is_taken_like_a_phrasing() {
        let (d, file) = dir();
        let kb = crate::knowledge::load_dir(d.path()).unwrap();
        let asked = Edit::AddAsked { entry: "b".into(), text: "do cops have to help".into() };
        let applied = apply(d.path(), &kb, &asked, valid).unwrap();
        assert_eq!(applied.summary, "added the asked question \"do cops have to help\" to entry \"b\"");
        let after = std::fs::read_to_string(&file).unwrap();
        let added: Vec<&str> = after.lines().filter(|l| !FILE.lines().any(|o| o == *l)).collect();
        assert_eq!(added, ["asked = [\"do cops have to help\"]"]);
        let kb = crate::knowledge::load_dir(d.path()).unwrap();
        let b = kb.entry("b").unwrap();
        assert_eq!((b.asked.as_slice(), b.aliases.len()), (["do cops have to help".to_owned()].as_slice(), 1));
        // No entry may take it as a phrasing, nor be given it twice.
        for edit in [add("a", "Do cops have to help?"), asked.clone()] {
            let refused = apply(d.path(), &kb, &edit, valid).unwrap_err().to_string();
            assert!(refused.contains("already a phrasing of entry \"b\""), "{refused}");
        }
        // `alias remove` takes it back out, and the file is as it was.
        apply(d.path(), &kb, &remove("b", "do cops have to help"), valid).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), FILE);
    }

    #[test]
    fn a_one_line_array_stays_one_line_and_keeps_its_spacing() {
        let (d, file) = dir();
        let kb = crate::knowledge::load_dir(d.path()).unwrap();
        apply(d.path(), &kb, &add("b", "What do officers have to do?"), valid).unwrap();
        let after = std::fs::read_to_string(&file).unwrap();
        assert!(after.contains("aliases = [\"What must police do?\", \"What do officers have to do?\"]\n"), "{after}");
        let kb = crate::knowledge::load_dir(d.path()).unwrap();
        apply(d.path(), &kb, &remove("b", "What must police do?"), valid).unwrap();
        let after = std::fs::read_to_string(&file).unwrap();
        assert!(after.contains("aliases = [\"What do officers have to do?\"]\n"), "{after}");
    }

    #[test]
    fn refused_changes_leave_the_file_byte_identical_and_say_why() {
        let (d, file) = dir();
        let kb = crate::knowledge::load_dir(d.path()).unwrap();
        let cases = [
            (add("zzz", "x"), "there is no entry \"zzz\""),
            (add("a", "  \u{200b} "), "needs some words"),
            (add("a", &"word ".repeat(80)), "at most 300 characters"),
            (add("a", "what must POLICE do"), "already a phrasing of entry \"b\""),
            (add("a", "ask @everyone about the law"), "may not mention anyone (@everyone)"),
            (add("a", "what did <@123> say"), "may not mention anyone (<@)"),
            (add("a", "ask @alice:example.org"), "may not mention anyone (@alice:example.org)"),
            (add("a", "see https://matrix.to/#/@bob:hs"), "may not mention anyone"),
            (add("a", "İİİ @HERE"), "may not mention anyone (@here)"),
            (remove("a", "Never written"), "has no phrasing \"Never written\""),
        ];
        for (edit, says) in cases {
            let err = apply(d.path(), &kb, &edit, valid).unwrap_err().to_string();
            assert!(err.contains(says), "{edit:?}: {err}");
            assert_eq!(std::fs::read_to_string(&file).unwrap(), FILE, "{edit:?}");
        }
        // Refused by validation (here: a validator that refuses everything,
        // as a failing regression case would).
        let refuse = |_: &Path| Err(LoadErrors(vec![]));
        assert!(matches!(apply(d.path(), &kb, &add("a", "A new one?"), refuse), Err(EditRefused::Invalid(_))));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), FILE);
        // Nothing left beside the file either.
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }

    const CLAIMS: &str = "title = \"T\"\n\n# Shared.\n[[claim]]\nid = \"signed\"\ntext = \"The law was signed.\"\nstatus = \"unverified\"   # nobody looked\n\n[[entry]]\nid = \"a\"\ntopic = \"Law\"\nquestion = \"When was the law signed?\"\nanswer = \"\"\"\nIt was signed in 2017.\"\"\"\n\n[[entry.claims]]\nref = \"signed\"\n\n[[entry.claims]]\ntext = \"It was 2017.\"\nstatus = \"unverified\"\n\n[[entry.claims]]\ntext = \"Nobody sued.\"\nstatus = \"unverified\"\n\n[[entry]]\nid = \"b\"\ntopic = \"Courts\"\nquestion = \"Was it challenged in court?\"\nanswer = \"No.\"\n";

    #[test]
    fn a_claim_set_verified_changes_only_its_own_lines_and_a_shared_one_every_entry() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("k.toml");
        std::fs::write(&file, CLAIMS).unwrap();
        let kb = crate::knowledge::load_dir(d.path()).unwrap();
        let set = |claim: &str, status, source: Option<&str>| Edit::SetClaim {
            claim: claim.into(),
            status,
            source: source.map(Into::into),
            checked: Some("2026-11-30".into()),
        };
        let applied =
            apply(d.path(), &kb, &set("a#2", ClaimStatus::Verified, Some("https://example.org/law")), valid).unwrap();
        assert!(applied.summary.starts_with("set claim a#2 (\"It was 2017.\") to verified"), "{}", applied.summary);
        let after = std::fs::read_to_string(&file).unwrap();
        let expected = CLAIMS.replace(
            "text = \"It was 2017.\"\nstatus = \"unverified\"\n",
            "text = \"It was 2017.\"\nstatus = \"verified\"\nsource = \"https://example.org/law\"\nchecked = 2026-11-30\n",
        );
        assert_eq!(after, expected);
        let kb = crate::knowledge::load_dir(d.path()).unwrap();
        let claim = &kb.entry("a").unwrap().claims[1];
        assert_eq!((claim.status, claim.checked.as_deref()), (ClaimStatus::Verified, Some("2026-11-30")));
        // ENTRY#N of a claim taken from a shared record changes the record,
        // keeping the comment after the status.
        let applied =
            apply(d.path(), &kb, &set("a#1", ClaimStatus::Disputed, Some("State Senate journal, 2019")), valid)
                .unwrap();
        assert_eq!(applied.entries, ["a"]);
        let after = std::fs::read_to_string(&file).unwrap();
        assert!(after.contains("status = \"disputed\"   # nobody looked\nsource = \"State Senate journal, 2019\"\nchecked = 2026-11-30\n\n[[entry]]"), "{after}");
        // Refusals: no source for verified, a source that is none, a bad
        // date, an unknown claim. The file stays as it was.
        let kb = crate::knowledge::load_dir(d.path()).unwrap();
        let before = std::fs::read_to_string(&file).unwrap();
        let bad_date = Edit::SetClaim {
            claim: "a#2".into(),
            status: ClaimStatus::Disputed,
            source: None,
            checked: Some("2026-13-01".into()),
        };
        for (edit, says) in [
            (set("b#1", ClaimStatus::Verified, None), "no claim \"b#1\""),
            (set("a#9", ClaimStatus::Verified, None), "no claim \"a#9\""),
            (set("nope", ClaimStatus::Verified, None), "no claim \"nope\""),
            (set("a#3", ClaimStatus::Verified, None), "needs a source"),
            (set("a#3", ClaimStatus::Verified, Some("trust me")), "\"trust me\" is not a source"),
            (set("a#3", ClaimStatus::Verified, Some("https://localhost")), "is not a source"),
            (set("a#3", ClaimStatus::Verified, Some("see <@&42> law")), "may not mention anyone"),
            (bad_date, "is not a date"),
        ] {
            let err = apply(d.path(), &kb, &edit, valid).unwrap_err().to_string();
            assert!(err.contains(says), "{edit:?}: {err}");
            assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
        }
    }

    #[test]
    fn an_answer_keeps_its_quoting_and_a_new_entry_goes_after_the_last_one() {
        let (d, file) = dir();
        let kb = crate::knowledge::load_dir(d.path()).unwrap();
        let text = "Signed in 2019, not 2017.\nSee \"the law\" and C:\\path \"\"\" too\"";
        apply(d.path(), &kb, &Edit::SetAnswer { entry: "a".into(), text: text.into() }, valid).unwrap();
        let after = std::fs::read_to_string(&file).unwrap();
        assert!(after.contains("answer = \"\"\"\nSigned in 2019"), "{after}");
        let kb = crate::knowledge::load_dir(d.path()).unwrap();
        assert_eq!(kb.entry("a").unwrap().answer, text);
        // Everything but the answer's own lines is as it was.
        let outside = |t: &str| t.split("answer = \"\"\"").next().unwrap().to_owned();
        assert_eq!(outside(&after), outside(FILE));
        assert!(after.ends_with(&FILE[FILE.find("\n\n[[entry]]\nid = \"b\"").unwrap()..]));
        let entry = |id: &str| Edit::NewEntry {
            id: id.into(),
            topic: "Law".into(),
            question: "Who enforces the law?".into(),
            answer: "The state police.".into(),
        };
        let new = entry("c");
        let applied = apply(d.path(), &kb, &new, valid).unwrap();
        assert_eq!(applied.summary, "created entry \"c\" in topic \"Law\": \"Who enforces the law?\"");
        let grown = std::fs::read_to_string(&file).unwrap();
        assert_eq!(
            &grown[after.len()..],
            "\n[[entry]]\nid = \"c\"\ntopic = \"Law\"\nquestion = \"Who enforces the law?\"\nanswer = \"\"\"\nThe state police.\"\"\"\n"
        );
        let kb = crate::knowledge::load_dir(d.path()).unwrap();
        for (edit, says) in [
            (entry("c"), "already an entry \"c\""),
            (entry("New Id"), "is not an entry id"),
            (entry("d"), "already a phrasing of entry \"c\""),
            (Edit::SetAnswer { entry: "a".into(), text: "x".repeat(4001) }, "an answer is at most 4000"),
            (Edit::SetAnswer { entry: "a".into(), text: "hi @room".into() }, "may not mention anyone (@room)"),
        ] {
            let err = apply(d.path(), &kb, &edit, valid).unwrap_err().to_string();
            assert!(err.contains(says), "{edit:?}: {err}");
            assert_eq!(std::fs::read_to_string(&file).unwrap(), grown);
        }
    }

    #[test]
    fn a_save_in_the_instant_of_the_swap_is_handed_back_not_lost() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("k.toml");
        // What the edit last saw, and what is there when it swaps.
        std::fs::write(&file, "saved by hand\n").unwrap();
        let theirs = swap_in(&file, "ours\n", "as read\n").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "ours\n");
        if cfg!(target_os = "linux") && exchange_works(d.path()) {
            assert_eq!(theirs.as_deref(), Some("saved by hand\n"));
        }
        // Nothing seen meanwhile: nothing handed back, nothing left beside.
        assert_eq!(swap_in(&file, "ours again\n", "ours\n").unwrap(), None);
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }

    /// Whether this file system can exchange names (tmpfs, ext4, btrfs and
    /// xfs can; some overlay and network file systems cannot).
    fn exchange_works(dir: &Path) -> bool {
        let (a, b) = (dir.join(".probe-a"), dir.join(".probe-b"));
        std::fs::write(&a, "a").unwrap();
        std::fs::write(&b, "b").unwrap();
        let works = exchange(&a, &b).unwrap_or(false);
        let _ = (std::fs::remove_file(a), std::fs::remove_file(b));
        works
    }

    #[test]
    fn days_become_calendar_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_788), (2026, 12, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert!(is_date(&today()));
    }

    #[test]
    fn a_save_made_while_the_edit_is_validated_is_kept_and_the_edit_made_to_it() {
        let (d, file) = dir();
        let kb = crate::knowledge::load_dir(d.path()).unwrap();
        let saved = std::sync::atomic::AtomicBool::new(false);
        // The operator saves the file (a new comment) while the first
        // attempt is being validated.
        let validate_and_save = |scratch: &Path| {
            if !saved.swap(true, std::sync::atomic::Ordering::SeqCst) {
                std::fs::write(&file, format!("{FILE}# saved by hand\n")).unwrap();
            }
            valid(scratch)
        };
        apply(d.path(), &kb, &add("a", "Is the law new?"), validate_and_save).unwrap();
        let after = std::fs::read_to_string(&file).unwrap();
        assert!(after.ends_with("# saved by hand\n"), "{after}");
        assert!(after.contains("  \"Is the law new?\",\n"), "{after}");
        assert!(after.contains("# A comment that must survive.") && after.contains("id = \"a\"   # trailing comment"));
    }
}
