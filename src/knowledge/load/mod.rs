//! Loading and validating knowledge files. Every problem is reported with
//! `file:line:column` and a plain-English message, all of them at once, and a
//! directory with any error yields no knowledge base at all: nothing is ever
//! half-loaded.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{KnowledgeBase, Source};

mod assemble;
mod parse;
mod translations;
use assemble::assemble;
pub(crate) use parse::is_slug;
use parse::*;

/// Name of the regression set that may sit beside knowledge files; it holds
/// test questions, not entries, so the loader skips it.
pub(crate) const REGRESSION_FILE: &str = "tests.toml";

/// One problem in one knowledge file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.path.display(), self.line, self.column, self.message)
    }
}

/// Every problem found while loading a directory, in file and line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

/// Loads every `*.toml` knowledge file in `dir` (not the regression set),
/// validates them together and builds the knowledge base.
pub fn load_dir(dir: &Path) -> Result<KnowledgeBase, LoadErrors> {
    load_dir_reusing(dir, None)
}

/// [`load_dir`], taking the entries of files unchanged since `previous` was
/// loaded from it instead of parsing them again: a reload after editing one
/// file of many parses one file. Everything else (ids, lint, index) is still
/// checked and built over the whole knowledge.
pub fn load_dir_reusing(dir: &Path, previous: Option<&KnowledgeBase>) -> Result<KnowledgeBase, LoadErrors> {
    let paths = knowledge_files(dir).map_err(LoadErrors)?;
    // Files are read and parsed on all cores; results keep file order.
    let results: Vec<Result<Parsed, Vec<LoadError>>> =
        crate::parallel::map_chunks(&paths, |part| part.iter().map(|p| read_file(p, previous)).collect::<Vec<_>>())
            .into_iter()
            .flatten()
            .collect();
    assemble(results)
}

/// Loads one knowledge file from memory, as [`load_dir`] would load a
/// directory holding only it (`name` is used in error locations). For
/// fuzzing and tools; the bot itself loads directories.
pub fn load_str(name: &str, text: &str) -> Result<KnowledgeBase, LoadErrors> {
    let fingerprint = rustc_hash::FxHasher::default().hash_one_str(text);
    assemble(vec![parse_file(Path::new(name), text.to_owned(), fingerprint)])
}

/// Largest knowledge (or regression) file read: 2,000 entries of a
/// typical FAQ take about 2 MiB.
pub(crate) const MAX_FILE_BYTES: u64 = 32 * 1_048_576;
/// Longest answer, in characters: far more than a chat reply should be,
/// far less than a paste of a whole document.
pub(crate) const MAX_ANSWER_CHARS: usize = 20_000;

/// A file's text; bytes that are not UTF-8 are an error at the line and
/// column of the first bad byte, so a moderator can find it.
pub(crate) fn read_text(path: &Path) -> Result<String, LoadError> {
    let error = |message: String| LoadError { path: path.to_path_buf(), line: 1, column: 1, message };
    // Checked before reading: a huge file would cost seconds and a gigabyte
    // of memory to parse, on every reload.
    if let Ok(meta) = std::fs::metadata(path)
        && meta.len() > MAX_FILE_BYTES
    {
        return Err(error(format!(
            "this file is {:.1} MiB; knowledge files may be at most {} MiB: split it into several files",
            meta.len() as f64 / 1_048_576.0,
            MAX_FILE_BYTES / 1_048_576
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| error(format!("cannot read this file: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = 1 + bytes[..good].iter().filter(|&&b| b == b'\n').count();
        let line_start = bytes[..good].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        // Columns count characters, and everything before the bad byte is valid.
        let column = 1 + std::str::from_utf8(&bytes[line_start..good]).map_or(0, |t| t.chars().count());
        LoadError {
            path: path.to_path_buf(),
            line,
            column,
            message: format!(
                "byte 0x{:02x} is not UTF-8; save the file as UTF-8 (knowledge files are TOML, which is UTF-8)",
                bytes[good]
            ),
        }
    })
}

fn read_file(path: &Path, previous: Option<&KnowledgeBase>) -> Result<Parsed, Vec<LoadError>> {
    match read_text(path) {
        Ok(text) => {
            let fingerprint = rustc_hash::FxHasher::default().hash_one_str(&text);
            // By name and content, not the whole path: a change checked in
            // a copy of the directory reuses every file it did not touch.
            let unchanged = previous.and_then(|kb| {
                kb.sources
                    .iter()
                    .find(|s| s.fingerprint == fingerprint && s.path.file_name() == path.file_name())
                    .map(|s| (kb, s))
            });
            match unchanged {
                Some((kb, source)) => Ok(reuse(kb, source)),
                None => parse_file(path, text, fingerprint),
            }
        }
        Err(e) => Err(vec![e]),
    }
}

/// The entries of an unchanged file as it was loaded (their disputes are
/// found again over the new whole).
fn reuse(kb: &KnowledgeBase, source: &Source) -> Parsed {
    let entries =
        kb.entries.iter().filter(|e| e.location.file == source.path).map(|e| (e.clone(), e.location.line, 1)).collect();
    Parsed { source: source.clone(), entries }
}

/// Hashing a whole file's text in one call.
trait HashStr {
    fn hash_one_str(self, text: &str) -> u64;
}

impl HashStr for rustc_hash::FxHasher {
    fn hash_one_str(mut self, text: &str) -> u64 {
        use std::hash::Hasher;
        self.write(text.as_bytes());
        self.finish()
    }
}

fn knowledge_files(dir: &Path) -> Result<Vec<PathBuf>, Vec<LoadError>> {
    let at_dir = |message: String| vec![LoadError { path: dir.to_path_buf(), line: 1, column: 1, message }];
    let read = std::fs::read_dir(dir).map_err(|e| {
        at_dir(format!("cannot read the knowledge directory: {e}; check --knowledge or [knowledge] dir in config.toml"))
    })?;
    let mut paths: Vec<PathBuf> = read
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.file_name().is_some_and(|n| n != REGRESSION_FILE))
        .collect();
    paths.sort();
    // A FIFO would block every load and reload; a directory, a dangling link
    // or a link loop would be skipped without a word. All are refused.
    let errors: Vec<LoadError> = paths.iter().filter_map(|p| not_regular(p)).collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    if paths.is_empty() {
        return Err(at_dir("no knowledge files (*.toml) in this directory".to_owned()));
    }
    Ok(paths)
}

/// Why `path` (links followed) is not a regular file that can be read, if
/// it is not.
pub(crate) fn not_regular(path: &Path) -> Option<LoadError> {
    let problem = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => return None,
        Ok(m) if m.is_dir() => "is a directory".to_owned(),
        Ok(_) => "is not a regular file (a pipe, socket or device)".to_owned(),
        Err(e) => format!("cannot be opened ({e}): a dangling or looping link?"),
    };
    Some(LoadError {
        path: path.to_path_buf(),
        line: 1,
        column: 1,
        message: format!("{problem}; knowledge files must be regular files — remove it or rename it away from *.toml"),
    })
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    Lines::new(text).locate(offset)
}

/// Where each line of a text starts, so that locating many offsets (one per
/// entry of a 100,000-entry file) costs a binary search each, not a scan.
pub(crate) struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Lines { text, starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn locate(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line - 1];
        (line, self.text[start..offset].chars().count() + 1)
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::ClaimStatus;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    const GOOD: &str = r#"title = "T"
[[entry]]
id = "a"
topic = "Law"
question = "What is the law?"
answer = "The law says things."
"#;

    #[test]
    fn reload_reuses_unchanged_files_and_lints_the_new_whole() {
        let dir = tempfile::tempdir().unwrap();
        let a = "title = \"A\"\nsynonyms = [[\"bill\", \"measure\"]]\n[[entry]]\nid = \"a\"\ntopic = \"Law\"\nquestion = \"When was SB 5 signed?\"\nanswer = \"Senate Bill 5 was signed in 2017.\"\n[[entry.claims]]\ntext = \"Senate Bill 5 was signed in 2017.\"\nstatus = \"unverified\"\n";
        let b = |year: u32| {
            format!(
                "title = \"B\"\n[[entry]]\nid = \"b\"\ntopic = \"Law\"\nquestion = \"Who passed it?\"\nanswer = \"SB 5 was passed in {year}.\"\n"
            )
        };
        write(dir.path(), "a.toml", a);
        write(dir.path(), "b.toml", &b(2019));
        let first = load_dir(dir.path()).unwrap();
        assert_eq!(first.disputes.contradictions().len(), 1);
        let a = first.entry("a").unwrap();
        assert_eq!(first.disputes.status(a, 0), ClaimStatus::Disputed);
        // What is written stays written: the finding is beside the claim.
        assert_eq!(a.claims[0].status, ClaimStatus::Unverified);

        // b now agrees; a is reused, and its claim is no longer disputed.
        write(dir.path(), "b.toml", &b(2017));
        let second = load_dir_reusing(dir.path(), Some(&first)).unwrap();
        assert!(second.disputes.contradictions().is_empty());
        assert_eq!(second.disputes.status(second.entry("a").unwrap(), 0), ClaimStatus::Unverified);
        let fresh = load_dir(dir.path()).unwrap();
        assert_eq!(second.entries, fresh.entries);
        assert_eq!(second.vocabulary, fresh.vocabulary);
        assert_eq!(second.sources, fresh.sources);

        // And back: the reused claim is disputed again.
        write(dir.path(), "b.toml", &b(2019));
        let third = load_dir_reusing(dir.path(), Some(&second)).unwrap();
        assert_eq!(third.disputes.status(third.entry("a").unwrap(), 0), ClaimStatus::Disputed);
        assert_eq!(third.entries, load_dir(dir.path()).unwrap().entries);
    }

    #[test]
    fn shared_claims_are_defined_once_and_update_every_entry_on_reload() {
        let dir = tempfile::tempdir().unwrap();
        let claims = |status: &str| {
            format!(
                "title = \"Claims\"\n[[claim]]\nid = \"sb-5-year\"\ntext = \"SB 5 was signed in 2017.\"\nstatus = \"{status}\"\nsource = \"https://example.org/sb5\"\nchecked = 2026-11-01\n"
            )
        };
        let entry = |id: &str| {
            format!(
                "title = \"{id}\"\n[[entry]]\nid = \"{id}\"\ntopic = \"Law\"\nquestion = \"What about {id}?\"\nanswer = \"It was signed.\"\n[[entry.claims]]\nref = \"sb-5-year\"\n"
            )
        };
        write(dir.path(), "claims.toml", &claims("unverified"));
        write(dir.path(), "a.toml", &entry("a"));
        write(dir.path(), "b.toml", &entry("b"));
        let first = load_dir(dir.path()).unwrap();
        for id in ["a", "b"] {
            let c = &first.entry(id).unwrap().claims[0];
            assert_eq!((c.id.as_deref(), c.text.as_str()), (Some("sb-5-year"), "SB 5 was signed in 2017."));
            assert_eq!((c.status, c.checked.as_deref()), (ClaimStatus::Unverified, Some("2026-11-01")));
        }
        // Verified in one place; the entries' files are reused unchanged.
        write(dir.path(), "claims.toml", &claims("verified"));
        let second = load_dir_reusing(dir.path(), Some(&first)).unwrap();
        for id in ["a", "b"] {
            assert_eq!(second.entry(id).unwrap().claims[0].status, ClaimStatus::Verified);
        }
        assert_eq!(second.entries, load_dir(dir.path()).unwrap().entries);

        write(dir.path(), "b.toml", &entry("b").replace("sb-5-year", "sb-6-year"));
        let err = load_dir(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("b.toml:2:1: entry \"b\" refers to claim \"sb-6-year\", which no [[claim]] defines"),
            "{err}"
        );
        write(dir.path(), "b.toml", &format!("{}text = \"x\"\n", entry("b")));
        let err = load_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("b.toml:7:1: a claim with ref takes"), "{err}");
        write(
            dir.path(),
            "b.toml",
            &format!("{}{}", entry("b"), claims("verified").replace("title = \"Claims\"\n", "")),
        );
        let err = load_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("duplicate claim id \"sb-5-year\""), "{err}");
    }

    #[test]
    fn line_column_counts_from_one() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
    }

    #[test]
    fn reports_unknown_key_with_location() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.toml", &GOOD.replace("answer =", "anwser = \"x\"\nanswer ="));
        let err = load_dir(dir.path()).unwrap_err();
        assert_eq!(err.0.len(), 1);
        assert_eq!(err.0[0].line, 6);
        assert!(err.0[0].message.contains("unknown field"), "{}", err);
    }

    #[test]
    fn a_question_of_invisible_characters_is_refused_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.toml", &GOOD.replace("\"What is the law?\"", "\"\u{200b}\u{2060}?\""));
        let err = load_dir(dir.path()).unwrap_err();
        assert_eq!(err.0.len(), 1, "{err}");
        assert_eq!((err.0[0].line, err.0[0].column), (5, 12));
        assert!(err.0[0].message.contains("question has no visible words"), "{err}");
    }

    #[test]
    fn reports_empty_fields_and_bad_ids_together() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "a.toml",
            &GOOD.replace("\"What is the law?\"", "\"  \"").replace("id = \"a\"", "id = \"A b\""),
        );
        let err = load_dir(dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("a.toml:3:6: id \"A b\" is not a slug"), "{text}");
        assert!(text.contains("a.toml:5:12: question is empty"), "{text}");
    }

    #[test]
    fn duplicate_ids_across_files_point_at_both() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.toml", GOOD);
        write(dir.path(), "b.toml", GOOD);
        let err = load_dir(dir.path()).unwrap_err();
        assert_eq!(err.0.len(), 1);
        assert!(err.0[0].to_string().contains("b.toml:2:1: duplicate id \"a\": already defined at"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn pipes_directories_and_broken_links_named_toml_are_refused_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let valid = "title = \"A\"\n[[entry]]\nid = \"a\"\ntopic = \"T\"\nquestion = \"Q?\"\nanswer = \"A.\"\n";
        std::fs::write(dir.path().join("a.toml"), valid).unwrap();
        let fifo = |name: &str| {
            let path = std::ffi::CString::new(dir.path().join(name).to_str().unwrap()).unwrap();
            // SAFETY: a valid, NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
        };
        fifo("b.toml");
        std::fs::create_dir(dir.path().join("c.toml")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("d.toml")).unwrap();
        // Reading the pipe would block forever: it must not be opened.
        let err = load_dir(dir.path()).unwrap_err().to_string();
        for (name, says) in [
            ("b.toml:1:1", "not a regular file"),
            ("c.toml:1:1", "is a directory"),
            ("d.toml:1:1", "dangling or looping link"),
        ] {
            assert!(err.contains(name) && err.contains(says), "{name}: {err}");
        }
        // A regression set that is a pipe is refused as well.
        for name in ["b.toml", "d.toml"] {
            std::fs::remove_file(dir.path().join(name)).unwrap();
        }
        std::fs::remove_dir(dir.path().join("c.toml")).unwrap();
        let kb = load_dir(dir.path()).unwrap();
        fifo(REGRESSION_FILE);
        let t = crate::matcher::Thresholds::default();
        let err = super::super::regression::check(dir.path(), &kb, &t).unwrap_err().to_string();
        assert!(err.contains("tests.toml:1:1") && err.contains("not a regular file"), "{err}");
    }

    #[test]
    fn huge_files_and_answers_are_refused_with_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let long = "word ".repeat(MAX_ANSWER_CHARS / 5 + 1);
        let text =
            format!("title = \"A\"\n[[entry]]\nid = \"a\"\ntopic = \"T\"\nquestion = \"Q?\"\nanswer = \"{long}\"\n");
        std::fs::write(dir.path().join("a.toml"), text).unwrap();
        let err = load_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("a.toml:6:") && err.contains("answers may be at most 20000"), "{err}");
        // A file over the cap is refused before it is read.
        let file = std::fs::File::create(dir.path().join("a.toml")).unwrap();
        file.set_len(MAX_FILE_BYTES + 1).unwrap();
        let err = load_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("a.toml:1:1: this file is 32.0 MiB") && err.contains("split it"), "{err}");
    }

    #[test]
    fn invalid_utf8_is_located_at_the_first_bad_byte() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.toml"), b"title = \"A\"\n# caf\xc3\xa9 ok\nsource = \"x \xff y\"\n").unwrap();
        let err = load_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("a.toml:3:13: byte 0xff is not UTF-8"), "{err}");
    }

    #[test]
    fn syntax_error_is_located() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.toml", "title = \"T\"\n[[entry]\n");
        let err = load_dir(dir.path()).unwrap_err();
        assert_eq!(err.0[0].line, 2, "{err}");
    }

    #[test]
    fn skips_the_regression_set_and_requires_a_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), REGRESSION_FILE, "not = [valid");
        assert!(load_dir(dir.path()).unwrap_err().to_string().contains("no knowledge files"));
        write(dir.path(), "a.toml", GOOD);
        assert_eq!(load_dir(dir.path()).unwrap().entries.len(), 1);
    }
}
