//! Changing knowledge files in place: the write path every edit takes (from
//! the CLI now; from chat next). A change is made to the file's own syntax
//! tree (`toml_edit`), so comments, key order, quoting, blank lines and
//! every other entry stay byte for byte; it is validated exactly as a reload
//! would be (by the caller's `validate`, over a copy of the directory with
//! the change in it) before anything on disk changes; and it is written
//! aside, synced and renamed over the file. A file saved by someone else
//! while the change was being made is read again and the change made to the
//! new text, so nobody's save is lost. A refused change writes nothing.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Value};

use super::{KnowledgeBase, LoadErrors};

/// The longest phrasing a moderator may add, in characters.
pub const MAX_PHRASING_CHARS: usize = 300;

/// A change to the knowledge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Add `text` as a phrasing (alias) of entry `entry`.
    AddAlias { entry: String, text: String },
    /// Remove the phrasing `text` from entry `entry`.
    RemoveAlias { entry: String, text: String },
}

/// Why a change was not made. Nothing on disk changed.
#[derive(Debug, thiserror::Error)]
pub enum EditRefused {
    #[error("there is no entry \"{0}\"; the id is the last word of an answer's footer")]
    UnknownEntry(String),
    #[error("a phrasing needs some words")]
    Empty,
    #[error("a phrasing is at most {MAX_PHRASING_CHARS} characters; this one has {0}")]
    TooLong(usize),
    #[error("a phrasing may not mention anyone ({0}): the bot would show it to people later")]
    Mentions(String),
    #[error("\"{text}\" is already a phrasing of entry \"{other}\"")]
    Taken { text: String, other: String },
    #[error("entry \"{entry}\" has no phrasing \"{text}\" (its question is not removable)")]
    NotThere { entry: String, text: String },
    #[error("{file}: {why}")]
    Unwritable { file: PathBuf, why: String },
    #[error("the change would break the knowledge, so it was not made:\n{0}")]
    Invalid(LoadErrors),
    #[error("{0} kept changing while the edit was made; try again")]
    Busy(PathBuf),
}

/// A change made: the file it is in and what it was, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub file: PathBuf,
    pub summary: String,
}

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
    let (entry_id, text) = match edit {
        Edit::AddAlias { entry, text } | Edit::RemoveAlias { entry, text } => (entry.as_str(), text.trim()),
    };
    let entry = kb.entry(entry_id).ok_or_else(|| EditRefused::UnknownEntry(crate::text::shorten(entry_id, 64)))?;
    if let Edit::AddAlias { .. } = edit {
        check_phrasing(kb, text)?;
    }
    let file = entry.location.file.clone();
    let unwritable = |why: String| EditRefused::Unwritable { file: file.clone(), why };
    for _ in 0..ATTEMPTS {
        let before = std::fs::read_to_string(&file).map_err(|e| unwritable(format!("cannot read it: {e}")))?;
        let after = change(&before, entry_id, edit, text)?;
        let scratch = tempfile::tempdir_in(std::env::temp_dir()).map_err(|e| unwritable(format!("{e}")))?;
        copy_knowledge(dir, scratch.path(), &file, &after).map_err(|e| unwritable(format!("{e}")))?;
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
        if std::fs::read_to_string(&file).ok().as_deref() != Some(before.as_str()) {
            continue;
        }
        write_aside_and_rename(&file, &after).map_err(|e| unwritable(format!("cannot write it: {e}")))?;
        let summary = match edit {
            Edit::AddAlias { .. } => format!("added the phrasing \"{text}\" to entry \"{entry_id}\""),
            Edit::RemoveAlias { .. } => format!("removed the phrasing \"{text}\" from entry \"{entry_id}\""),
        };
        return Ok(Applied { file, summary });
    }
    Err(EditRefused::Busy(file))
}

/// A new phrasing must say something, fit, and not be another entry's.
fn check_phrasing(kb: &KnowledgeBase, text: &str) -> Result<(), EditRefused> {
    if !text.chars().any(char::is_alphanumeric) {
        return Err(EditRefused::Empty);
    }
    let chars = text.chars().count();
    if chars > MAX_PHRASING_CHARS {
        return Err(EditRefused::TooLong(chars));
    }
    if let Some(mention) = mention(text) {
        return Err(EditRefused::Mentions(mention));
    }
    let wanted = crate::matcher::normalise(text);
    for e in &kb.entries {
        if e.phrasings().any(|p| crate::matcher::normalise(p) == wanted) {
            return Err(EditRefused::Taken { text: text.to_owned(), other: e.id.clone() });
        }
    }
    Ok(())
}

/// The first thing in `text` that a chat platform would turn into a ping or
/// a link to someone: Discord's `@everyone`, `@here`, `<@id>`, `<@&role>`,
/// and Matrix user ids and pills (`@name:server`, matrix.to links). Phrasings
/// are shown in "did you mean" lists and autocomplete, so none may hold one.
fn mention(text: &str) -> Option<String> {
    // Found in a lowercased copy and named by the marker itself: lowercasing
    // can change byte lengths, so the copy's offsets do not index `text`.
    let lower = text.to_lowercase();
    for marker in ["@everyone", "@here", "<@", "matrix.to/#/@", "matrix.to/#/!"] {
        if lower.contains(marker) {
            return Some(marker.to_owned());
        }
    }
    // A Matrix user id: @localpart:server.
    text.split_whitespace().find(|w| w.len() > 3 && w.starts_with('@') && w[1..].contains(':')).map(str::to_owned)
}

/// The file's text with the change made, everything else as it was.
fn change(text: &str, entry_id: &str, edit: &Edit, phrasing: &str) -> Result<String, EditRefused> {
    let unknown = || EditRefused::UnknownEntry(entry_id.to_owned());
    let mut doc: DocumentMut = text.parse().map_err(|_| unknown())?;
    let entries = doc.get_mut("entry").and_then(Item::as_array_of_tables_mut).ok_or_else(unknown)?;
    let table =
        entries.iter_mut().find(|t| t.get("id").and_then(Item::as_str) == Some(entry_id)).ok_or_else(unknown)?;
    match edit {
        Edit::AddAlias { .. } => match table.get_mut("aliases").and_then(Item::as_array_mut) {
            Some(aliases) => {
                // Written the way the array already is: a new line with the
                // same indentation in a multi-line array, ", x" in one line.
                // (A lone first element of a one-line array has no space
                // before it; the ones after it do.)
                let last = aliases.iter().last().and_then(|v| v.decor().prefix()).and_then(|p| p.as_str());
                let prefix = match last {
                    Some(p) if aliases.len() == 1 && !p.contains('\n') => Some(" ".to_owned()),
                    other => other.map(str::to_owned),
                };
                let mut value = Value::from(phrasing);
                if let Some(prefix) = prefix {
                    value.decor_mut().set_prefix(prefix);
                }
                aliases.push_formatted(value);
            }
            None => {
                let mut aliases = toml_edit::Array::new();
                aliases.push(phrasing);
                table.insert("aliases", Item::Value(Value::Array(aliases)));
            }
        },
        Edit::RemoveAlias { entry, .. } => {
            let not_there = || EditRefused::NotThere { entry: entry.clone(), text: phrasing.to_owned() };
            let aliases = table.get_mut("aliases").and_then(Item::as_array_mut).ok_or_else(not_there)?;
            let index =
                aliases.iter().position(|v| v.as_str().map(str::trim) == Some(phrasing)).ok_or_else(not_there)?;
            let was_first = index == 0;
            let removed_prefix =
                aliases.get(index).and_then(|v| v.decor().prefix()).and_then(|p| p.as_str()).map(str::to_owned);
            aliases.remove(index);
            // The new first element takes the removed one's spacing, so a
            // one-line array does not start "[ x".
            if was_first && let (Some(prefix), Some(first)) = (removed_prefix, aliases.get_mut(0)) {
                first.decor_mut().set_prefix(prefix);
            }
        }
    }
    Ok(doc.to_string())
}

/// Copies the knowledge files of `dir` into `to`, with `changed` holding
/// `text` instead of what is on disk.
fn copy_knowledge(dir: &Path, to: &Path, changed: &Path, text: &str) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "toml") || !path.is_file() {
            continue;
        }
        let Some(name) = path.file_name() else { continue };
        if same_file(&path, changed) {
            std::fs::write(to.join(name), text)?;
        } else {
            std::fs::copy(&path, to.join(name))?;
        }
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Writes `text` to a new file beside `path`, syncs it and renames it over
/// `path`: a reader (the bot's watcher, an editor) sees the old file or the
/// new one, never half of one. The file keeps its permissions.
fn write_aside_and_rename(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // Not .toml: the loader never reads the file while it is being written.
    let aside = dir.join(format!(".{name}.edit-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&aside)?;
        file.write_all(text.as_bytes())?;
        if let Ok(meta) = std::fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()?;
        std::fs::rename(&aside, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&aside);
    }
    result
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
