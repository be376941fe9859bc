//! The knowledge's history: the knowledge directory kept in a git
//! repository, each change that takes effect one commit naming who made
//! it, the list of changes, and the texts that undo one.
//!
//! It runs the `git` command rather than a library, so an operator's own
//! set-up (SSH keys, credential helpers, `safe.directory`) applies as it
//! does for them. Commits are made with plumbing on a private index
//! (`read-tree`, `update-index`, `write-tree`, `commit-tree`, then a
//! compare-and-swap `update-ref`): whatever an operator has staged by hand
//! in the same repository is never swept into a moderator's commit, and
//! hooks and signing settings meant for people are not run by the bot.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod listing;
mod remote;
pub use remote::Step;

/// Who the bot commits as; the author of a commit is whoever made the change.
const COMMITTER: (&str, &str) = ("policybot", "policybot@localhost");

/// Who files saved on the host are recorded as.
pub const OPERATOR: &str = "operator (files)";

/// The trailer naming the entries a change touched, so `history ENTRY`
/// finds changes made by hand to files as well as from chat.
const ENTRIES: &str = "Entries";

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot run git ({0}); install git, or set [knowledge] history = false")]
    NoGit(std::io::Error),
    #[error("git {command} failed: {message}")]
    Git { command: String, message: String },
    #[error("there is no change \"{0}\" to the knowledge; `history` lists them")]
    Unknown(String),
    #[error("{0} is where the history starts; it cannot be undone")]
    Root(String),
    #[error("{}: a later change touched the same lines; undo that one first, or change the file by hand", .0.display())]
    Conflict(PathBuf),
    #[error("{0} merges two lines of changes; undo the changes it merged, one by one")]
    Merge(String),
    #[error("cannot reach the remote {url}: {message}")]
    Unreachable { url: String, message: String },
    #[error(
        "the remote's history was rewritten (its {tip} does not hold {seen}, the version last shared with it), so it is not followed: set the remote right, or move this copy to it by hand"
    )]
    Rewritten { tip: String, seen: String },
    #[error("the remote moved on while this copy's change was sent; it is merged on the next pull")]
    Moved,
    #[error(
        "the remote's history and this copy's have nothing in common, so it is not followed: start this copy from a clone of the remote"
    )]
    Unrelated,
}

/// One change in the history, as `history` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// The short commit id.
    pub version: String,
    /// When, as "2026-12-03 01:50 UTC".
    pub when: String,
    pub who: String,
    pub what: String,
    pub entries: Vec<String>,
}

/// How to undo one file of a change: its text after the change (`base`)
/// and before it (`other`); `None` where there was no such file.
#[derive(Debug, Clone)]
pub struct Undo {
    pub file: PathBuf,
    base: Option<String>,
    other: Option<String>,
}

/// A change to undo: its id, its one line, its entries and its files.
#[derive(Debug, Clone)]
pub struct Reverting {
    pub version: String,
    pub what: String,
    pub entries: Vec<String>,
    pub files: Vec<Undo>,
}

/// The repository the knowledge directory is kept in.
#[derive(Debug, Clone)]
pub struct History {
    dir: PathBuf,
    /// The top of the work tree.
    top: PathBuf,
    /// The knowledge directory as a pathspec from `top` ("." at the top).
    prefix: String,
    /// The git URL changes are fetched from and pushed to.
    remote: Option<String>,
}

impl History {
    /// The repository `dir` is kept in; `None` when it is in none, or in
    /// one that ignores it (a copy under a build directory is not part of
    /// the project around it).
    pub fn open(dir: &Path) -> Result<Option<History>, HistoryError> {
        let dir = dir.canonicalize().map_err(|e| git_failed("rev-parse", &e.to_string()))?;
        let out = run(&dir, &["rev-parse", "--show-toplevel"], None, &[])?;
        if !out.status.success() {
            return Ok(None);
        }
        let top = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let top = top.canonicalize().unwrap_or(top);
        let prefix = match dir.strip_prefix(&top) {
            Ok(rest) if rest.as_os_str().is_empty() => ".".to_owned(),
            Ok(rest) => rest.to_string_lossy().replace('\\', "/"),
            Err(_) => return Ok(None),
        };
        if prefix != "." && run(&top, &["check-ignore", "-q", &prefix], None, &[])?.status.success() {
            return Ok(None);
        }
        Ok(Some(History { dir, top, prefix, remote: None }))
    }

    /// The repository `dir` is kept in, made (and the files as they are
    /// committed) when there is none.
    pub fn start(dir: &Path) -> Result<History, HistoryError> {
        if let Some(history) = History::open(dir)? {
            return Ok(history);
        }
        let dir = dir.canonicalize().map_err(|e| git_failed("init", &e.to_string()))?;
        // `-b` needs git 2.28; older ones take their own default branch.
        let made = run(&dir, &["init", "-q", "-b", "main"], None, &[])?;
        if !made.status.success() {
            checked(run(&dir, &["init", "-q"], None, &[])?, "init")?;
        }
        let history = History::open(&dir)?.ok_or_else(|| git_failed("init", "the new repository is not found"))?;
        let files: Vec<(PathBuf, Option<String>)> = history.files().into_iter().map(|f| (f, None)).collect();
        history.commit(&files, OPERATOR, "Start of the knowledge history: the files as found", &[])?;
        Ok(history)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The knowledge files (`*.toml` directly in the directory), sorted.
    fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|read| read.filter_map(|e| Some(e.ok()?.path())).filter(|p| is_knowledge(p)).collect())
            .unwrap_or_default();
        files.sort();
        files
    }

    /// The short id of the last change to the knowledge; `None` before any.
    pub fn version(&self) -> Option<String> {
        let out = self.git(&["log", "-1", "--format=%h", "--", &self.prefix], None, &[]).ok()?;
        Some(out.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// [`History::version`], with "-dirty" when the files differ from it
    /// (as `git describe --dirty` says it).
    pub fn described(&self) -> Option<String> {
        let version = self.version()?;
        match self.pending() {
            Ok(pending) if pending.is_empty() => Some(version),
            _ => Some(format!("{version}-dirty")),
        }
    }

    /// The knowledge files whose text is not the last change's: saved by
    /// hand and not (yet) recorded.
    pub fn pending(&self) -> Result<Vec<PathBuf>, HistoryError> {
        let out = self.git(
            &["status", "--porcelain=v1", "-z", "--no-renames", "--untracked-files=all", "--", &self.prefix],
            None,
            &[],
        )?;
        let mut files: Vec<PathBuf> = out
            .split('\0')
            .filter_map(|line| line.get(3..))
            .map(|path| self.top.join(path))
            .filter(|p| is_knowledge(p) && p.parent() == Some(self.dir.as_path()))
            .collect();
        files.sort();
        files.dedup();
        Ok(files)
    }

    /// Commits `files` (each with the text to record, or `None` for what is
    /// on disk: a missing file is recorded as removed) as one change by
    /// `author` described by `what`; the version made, or `None` when the
    /// files are as the last change left them.
    pub fn commit(
        &self,
        files: &[(PathBuf, Option<String>)],
        author: &str,
        what: &str,
        entries: &[String],
    ) -> Result<Option<String>, HistoryError> {
        self.commit_on(files, author, what, entries, None)
    }

    /// [`History::commit`], with `also` as a second parent (a merge).
    fn commit_on(
        &self,
        files: &[(PathBuf, Option<String>)],
        author: &str,
        what: &str,
        entries: &[String],
        also: Option<&str>,
    ) -> Result<Option<String>, HistoryError> {
        let scratch = tempfile::tempdir().map_err(|e| git_failed("commit", &e.to_string()))?;
        let index = scratch.path().join("index").to_string_lossy().into_owned();
        let private = [("GIT_INDEX_FILE", index.as_str())];
        let head = self.git(&["rev-parse", "--verify", "-q", "HEAD"], None, &[]).ok().map(|h| h.trim().to_owned());
        if head.is_some() {
            self.git(&["read-tree", "HEAD"], None, &private)?;
        }
        let mut paths = Vec::with_capacity(files.len());
        for (file, text) in files {
            let path = self.relative(file);
            let blob = match text {
                Some(text) => Some(self.git(&["hash-object", "-w", "--stdin"], Some(text), &[])?),
                None if file.exists() => Some(self.git(&["hash-object", "-w", "--", &path], None, &[])?),
                None => None,
            };
            match blob {
                Some(blob) => self.git(
                    &["update-index", "--add", "--cacheinfo", &format!("100644,{},{path}", blob.trim())],
                    None,
                    &private,
                )?,
                None => self.git(&["update-index", "--force-remove", "--", &path], None, &private)?,
            };
            paths.push(path);
        }
        let tree = self.git(&["write-tree"], None, &private)?.trim().to_owned();
        if let Some(head) = &head
            && also.is_none()
            && self.git(&["rev-parse", &format!("{head}^{{tree}}")], None, &[])?.trim() == tree
        {
            return Ok(None);
        }
        let mut message = what.to_owned();
        if !entries.is_empty() {
            message.push_str(&format!("\n\n{ENTRIES}: {}", entries.join(", ")));
        }
        let mut args = vec!["commit-tree", tree.as_str()];
        for parent in head.iter().map(String::as_str).chain(also) {
            args.extend(["-p", parent]);
        }
        let identity = [
            ("GIT_AUTHOR_NAME", author),
            ("GIT_AUTHOR_EMAIL", ""),
            ("GIT_COMMITTER_NAME", COMMITTER.0),
            ("GIT_COMMITTER_EMAIL", COMMITTER.1),
        ];
        let commit = self.git(&args, Some(&message), &identity)?.trim().to_owned();
        // Only if HEAD is still what the commit was made on: a commit made
        // meanwhile by hand is never written over.
        let reflog = format!("policybot: {}", crate::text::shorten(what, 72));
        self.git(&["update-ref", "-m", &reflog, "HEAD", &commit, head.as_deref().unwrap_or("")], None, &[])?;
        // The repository's own index follows, so `git status` shows
        // nothing staged for these files.
        let mut reset = vec!["reset", "-q", "--"];
        reset.extend(paths.iter().map(String::as_str));
        self.git(&reset, None, &[])?;
        Ok(Some(self.short(&commit)?))
    }

    /// Records a change `author` made (`written`: each file before and
    /// after), after the files in `pending` (saves nobody had recorded
    /// before it) as the operator's, never under the author's name.
    pub fn record(
        &self,
        pending: &[PathBuf],
        written: &[crate::knowledge::edit::Written],
        author: &str,
        what: &str,
        entries: &[String],
    ) -> Result<Option<String>, HistoryError> {
        if !pending.is_empty() {
            // The operator's saves as they were before the change.
            let theirs: Vec<_> = pending
                .iter()
                .map(|file| {
                    let before =
                        written.iter().find(|w| w.file.file_name() == file.file_name()).map(|w| w.before.clone());
                    (file.clone(), before.flatten())
                })
                .collect();
            self.commit(&theirs, OPERATOR, "Files saved on the host, put in use with the change after this", &[])?;
        }
        let ours: Vec<_> = written.iter().map(|w| (w.file.clone(), w.after.clone())).collect();
        self.commit(&ours, author, what, entries)
    }

    pub(super) fn short(&self, commit: &str) -> Result<String, HistoryError> {
        Ok(self.git(&["rev-parse", "--short", commit], None, &[])?.trim().to_owned())
    }

    /// `file` as a path from the top of the work tree, with `/`.
    fn relative(&self, file: &Path) -> String {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match self.prefix.as_str() {
            "." => name,
            prefix => format!("{prefix}/{name}"),
        }
    }

    pub(super) fn git(&self, args: &[&str], input: Option<&str>, env: &[(&str, &str)]) -> Result<String, HistoryError> {
        let out = run(&self.top, args, input, env)?;
        checked(out, args.first().copied().unwrap_or("git"))
    }
}

/// Whether `path` names a knowledge file.
fn is_knowledge(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "toml")
}

fn git_failed(command: &str, message: &str) -> HistoryError {
    HistoryError::Git { command: command.to_owned(), message: message.trim().to_owned() }
}

fn checked(out: std::process::Output, command: &str) -> Result<String, HistoryError> {
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let message = String::from_utf8_lossy(&out.stderr);
    Err(git_failed(command, message.lines().next().unwrap_or("no message")))
}

/// Runs git in `dir` with no terminal to ask on and messages in English
/// (they are parsed and shown).
fn run(
    dir: &Path,
    args: &[&str],
    input: Option<&str>,
    env: &[(&str, &str)],
) -> Result<std::process::Output, HistoryError> {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("LC_ALL", "C")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .envs(env.iter().copied())
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(HistoryError::NoGit)?;
    if let Some(input) = input {
        use std::io::Write;
        // A write error shows as git's own failure below.
        let _ = child.stdin.take().map(|mut stdin| stdin.write_all(input.as_bytes()));
    }
    child.wait_with_output().map_err(HistoryError::NoGit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k.toml");
        std::fs::write(&file, text).unwrap();
        (dir, file)
    }

    #[test]
    fn a_directory_in_no_repository_is_made_one_with_its_files_committed() {
        let (dir, file) = dir_with("a = 1\n");
        assert!(History::open(dir.path()).unwrap().is_none());
        let history = History::start(dir.path()).unwrap();
        let log = history.log(None, 10).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].who, "operator (files)");
        assert!(history.pending().unwrap().is_empty());
        std::fs::write(&file, "a = 2\n").unwrap();
        assert_eq!(history.pending().unwrap(), vec![file.canonicalize().unwrap()]);
        assert!(history.described().unwrap().ends_with("-dirty"));
        // Starting again uses the repository that is there.
        let again = History::start(dir.path()).unwrap();
        assert_eq!(again.log(None, 10).unwrap().len(), 1);
    }

    #[test]
    fn a_commit_names_its_author_and_entries_and_an_unchanged_file_makes_none() {
        let (dir, file) = dir_with("a = 1\n");
        let history = History::start(dir.path()).unwrap();
        let file = file.canonicalize().unwrap();
        let v = history
            .commit(&[(file.clone(), Some("a = 2\n".into()))], "mod (Discord)", "changed a", &["x".into(), "y".into()])
            .unwrap()
            .unwrap();
        // The text given is recorded, not what is on disk.
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "a = 1\n");
        let log = history.log(None, 10).unwrap();
        assert_eq!(
            (log[0].version.as_str(), log[0].who.as_str(), log[0].what.as_str()),
            (v.as_str(), "mod (Discord)", "changed a")
        );
        assert_eq!(log[0].entries, ["x", "y"]);
        assert_eq!(history.log(Some("y"), 10).unwrap().len(), 1);
        assert!(history.log(Some("z"), 10).unwrap().is_empty());
        assert_eq!(history.commit(&[(file, Some("a = 2\n".into()))], "m", "same", &[]).unwrap(), None);
    }

    #[test]
    fn undoing_the_last_change_gives_back_the_text_and_a_later_one_merges_or_refuses() {
        let (dir, file) = dir_with("one\ntwo\nthree\nfour\nfive\n");
        let history = History::start(dir.path()).unwrap();
        let file = file.canonicalize().unwrap();
        let first = "ONE\ntwo\nthree\nfour\nfive\n";
        let v1 = history.commit(&[(file.clone(), Some(first.into()))], "m", "first", &[]).unwrap().unwrap();
        let undo = history.reverting(&v1).unwrap();
        assert_eq!(undo.files.len(), 1);
        assert_eq!(history.undone(&undo.files[0], Some(first)).unwrap().unwrap(), "one\ntwo\nthree\nfour\nfive\n");
        // A later change elsewhere in the file is kept.
        let later = "ONE\ntwo\nthree\nfour\nFIVE\n";
        assert_eq!(history.undone(&undo.files[0], Some(later)).unwrap().unwrap(), "one\ntwo\nthree\nfour\nFIVE\n");
        // One on the same line is not.
        assert!(matches!(
            history.undone(&undo.files[0], Some("UNO\ntwo\nthree\nfour\nfive\n")),
            Err(HistoryError::Conflict(_))
        ));
        let root = history.log(None, 10).unwrap().last().unwrap().version.clone();
        assert!(matches!(history.reverting(&root), Err(HistoryError::Root(_))));
        for bad in ["", "zzz", "--all", "HEAD~1", "0000000"] {
            assert!(matches!(history.reverting(bad), Err(HistoryError::Unknown(_))), "{bad}");
        }
    }

    #[test]
    fn a_directory_its_enclosing_repository_ignores_is_not_part_of_it() {
        let top = tempfile::tempdir().unwrap();
        History::start(top.path()).unwrap();
        std::fs::write(top.path().join(".gitignore"), "/build\n").unwrap();
        let inner = top.path().join("build/knowledge");
        std::fs::create_dir_all(&inner).unwrap();
        assert!(History::open(&inner).unwrap().is_none());
        let tracked = top.path().join("knowledge");
        std::fs::create_dir_all(&tracked).unwrap();
        let history = History::open(&tracked).unwrap().unwrap();
        assert_eq!(history.prefix, "knowledge");
    }
}
