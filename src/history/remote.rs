//! Several machines in step: the knowledge's repository fetched from and
//! pushed to one remote (`[knowledge] remote`, any git URL). What this copy
//! and the remote each have decides the [`Step`]; texts from the remote are
//! handed to the caller, which checks them as it checks any change before
//! anything is written, and only then moves this copy on.
//!
//! Two private refs keep the state: the remote's tip as last fetched, and
//! the last version this copy and the remote shared, which tells a remote
//! that moved on from one whose history was rewritten (a force-push, which
//! is never followed silently).

use super::*;
use std::time::Duration;

const FETCHED: &str = "refs/policybot/remote";
const SHARED: &str = "refs/policybot/shared";
/// Where this copy's changes that could not be merged with the remote's
/// are kept, so none is lost.
const KEPT: &str = "refs/policybot/kept/";
/// The longest a fetch or a push may take before it counts as unreachable.
const NETWORK: Duration = Duration::from_secs(60);

/// What bringing this copy in step with the remote takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing: they agree.
    Same,
    /// This copy has changes the remote lacks: [`History::push`] them.
    Push,
    /// The remote has changes this copy lacks: write `files` (the remote's
    /// texts; `None` removes), then [`History::took`].
    Take { tip: String, files: Vec<(PathBuf, Option<String>)> },
    /// Both have changes and they merge: write `files` (both sides'
    /// changes), then [`History::merged`] and push.
    Merge { tip: String, files: Vec<(PathBuf, Option<String>)> },
}

impl History {
    /// This history, fetched from and pushed to `url`.
    pub fn with_remote(mut self, url: Option<String>) -> History {
        self.remote = url.filter(|u| !u.trim().is_empty());
        self
    }

    pub fn remote(&self) -> Option<&str> {
        self.remote.as_deref()
    }

    /// The branch this copy is on (`main` before the first commit).
    fn branch(&self) -> String {
        let out = self.git(&["symbolic-ref", "--short", "-q", "HEAD"], None, &[]).unwrap_or_default();
        Some(out.trim().to_owned()).filter(|b| !b.is_empty()).unwrap_or_else(|| "main".to_owned())
    }

    fn resolve(&self, name: &str) -> Option<String> {
        let out = self.git(&["rev-parse", "--verify", "-q", &format!("{name}^{{commit}}")], None, &[]).ok()?;
        Some(out.trim().to_owned()).filter(|c| !c.is_empty())
    }

    fn is_ancestor(&self, older: &str, newer: &str) -> Result<bool, HistoryError> {
        Ok(run(&self.top, &["merge-base", "--is-ancestor", older, newer], None, &[])?.status.success())
    }

    /// Fetches the remote's copy of this branch: its tip, or `None` when
    /// the remote does not have the branch yet.
    pub fn fetch(&self) -> Result<Option<String>, HistoryError> {
        let Some(url) = &self.remote else { return Ok(None) };
        let refspec = format!("+refs/heads/{}:{FETCHED}", self.branch());
        let out = self.network(&["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--", url, &refspec])?;
        if !out.status.success() {
            let message = String::from_utf8_lossy(&out.stderr);
            if message.contains("couldn't find remote ref") {
                let _ = self.git(&["update-ref", "-d", FETCHED], None, &[]);
                return Ok(None);
            }
            return Err(self.unreachable(&message));
        }
        Ok(self.resolve(FETCHED))
    }

    /// What bringing this copy in step with the remote's `tip` takes.
    pub fn step(&self, tip: Option<&str>) -> Result<Step, HistoryError> {
        let head = self.resolve("HEAD");
        let (Some(head), Some(tip)) = (head.as_deref(), tip) else {
            return Ok(if tip.is_none() && head.is_some() { Step::Push } else { Step::Same });
        };
        if head == tip {
            self.set(SHARED, tip)?;
            return Ok(Step::Same);
        }
        if let Some(shared) = self.resolve(SHARED)
            && !self.is_ancestor(&shared, tip)?
        {
            return Err(HistoryError::Rewritten { tip: self.short(tip)?, seen: self.short(&shared)? });
        }
        if self.is_ancestor(tip, head)? {
            return Ok(Step::Push);
        }
        let take = |from: &str| self.take_from(from, tip);
        if self.is_ancestor(head, tip)? {
            return take(head);
        }
        let base = self.git(&["merge-base", head, tip], None, &[]).ok().map(|b| b.trim().to_owned());
        let Some(base) = base.filter(|b| !b.is_empty()) else {
            // A copy made a repository on its first start and never changed
            // since takes the remote's history whole.
            let lone = self.git(&["rev-list", "--count", head], None, &[])?.trim() == "1";
            return if lone { take(head) } else { Err(HistoryError::Unrelated) };
        };
        let mut paths = self.changed(&base, head)?;
        paths.extend(self.changed(&base, tip)?);
        paths.sort();
        paths.dedup();
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let file = self.top.join(&path);
            let (ours, was, theirs) = (self.text(head, &path), self.text(&base, &path), self.text(tip, &path));
            let merged = self.three_way(&file, ours.as_deref(), was.as_deref(), theirs.as_deref())?;
            files.push((file, merged));
        }
        Ok(Step::Merge { tip: tip.to_owned(), files })
    }

    /// Taking the remote's `tip` whole, whatever this copy has: what the
    /// caller does when this copy's changes cannot be merged (after
    /// [`History::keep`]ing them).
    pub fn taking(&self, tip: &str) -> Result<Step, HistoryError> {
        let head = self.resolve("HEAD").ok_or_else(|| git_failed("rev-parse", "no HEAD"))?;
        self.take_from(&head, tip)
    }

    fn take_from(&self, from: &str, tip: &str) -> Result<Step, HistoryError> {
        let files =
            self.changed(from, tip)?.into_iter().map(|path| (self.top.join(&path), self.text(tip, &path))).collect();
        Ok(Step::Take { tip: tip.to_owned(), files })
    }

    /// The commit this copy is at.
    pub fn head(&self) -> Option<String> {
        self.resolve("HEAD")
    }

    /// Moves this copy to the remote's `tip`, whose files were written: a
    /// lone first commit it replaces is kept under a ref. Its short id.
    pub fn took(&self, tip: &str) -> Result<String, HistoryError> {
        let head = self.resolve("HEAD");
        if let Some(head) = &head
            && !self.is_ancestor(head, tip)?
        {
            self.keep(head)?;
        }
        self.git(
            &["update-ref", "-m", "policybot: took the remote's changes", "HEAD", tip, head.as_deref().unwrap_or("")],
            None,
            &[],
        )?;
        self.git(&["reset", "-q", "--", &self.prefix], None, &[])?;
        self.set(SHARED, tip)?;
        self.short(tip)
    }

    /// Records the merge of this copy's changes with the remote's `tip`
    /// (`files` as written) as one commit with both as parents.
    pub fn merged(&self, tip: &str, files: &[(PathBuf, Option<String>)]) -> Result<String, HistoryError> {
        let what = format!("Merged the remote's changes ({}) with this copy's", self.short(tip)?);
        let made = self.commit_on(files, COMMITTER.0, &what, &[], Some(tip))?;
        made.ok_or_else(|| git_failed("commit-tree", "the merge made no commit"))
    }

    /// Keeps `commit` (this copy's changes that could not be merged) under
    /// a ref of its own; the ref's name.
    pub fn keep(&self, commit: &str) -> Result<String, HistoryError> {
        let name = format!("{KEPT}{}", self.short(commit)?);
        self.set(&name, commit)?;
        Ok(name)
    }

    /// Sends this copy's changes to the remote. [`HistoryError::Moved`]
    /// when the remote moved on meanwhile (pull, then push again).
    pub fn push(&self) -> Result<(), HistoryError> {
        let (Some(url), Some(head)) = (&self.remote, self.resolve("HEAD")) else { return Ok(()) };
        let refspec = format!("{head}:refs/heads/{}", self.branch());
        let out = self.network(&["push", "--quiet", "--", url, &refspec])?;
        if !out.status.success() {
            let message = String::from_utf8_lossy(&out.stderr);
            if ["rejected", "fetch first", "non-fast-forward", "stale info"].iter().any(|m| message.contains(m)) {
                return Err(HistoryError::Moved);
            }
            return Err(self.unreachable(&message));
        }
        self.set(FETCHED, &head)?;
        self.set(SHARED, &head)
    }

    /// The knowledge files that differ between two commits, as paths from
    /// the top.
    fn changed(&self, from: &str, to: &str) -> Result<Vec<String>, HistoryError> {
        let names = self.git(
            &["diff-tree", "-r", "--no-renames", "--name-only", "-z", from, to, "--", &self.prefix],
            None,
            &[],
        )?;
        Ok(names
            .split('\0')
            .filter(|p| !p.is_empty())
            .filter(|p| {
                let file = self.top.join(p);
                is_knowledge(&file) && file.parent() == Some(self.dir.as_path())
            })
            .map(str::to_owned)
            .collect())
    }

    /// A file's text at a commit; `None` where it has none.
    fn text(&self, commit: &str, path: &str) -> Option<String> {
        self.git(&["cat-file", "blob", &format!("{commit}:{path}")], None, &[]).ok()
    }

    fn set(&self, name: &str, commit: &str) -> Result<(), HistoryError> {
        self.git(&["update-ref", name, commit], None, &[]).map(drop)
    }

    fn unreachable(&self, message: &str) -> HistoryError {
        let first = message.lines().find(|l| !l.trim().is_empty()).unwrap_or("no answer").trim();
        HistoryError::Unreachable { url: self.remote.clone().unwrap_or_default(), message: first.to_owned() }
    }

    /// Runs a git command that talks to the remote: never asking for a
    /// password (the operator's keys and credential helpers answer, or it
    /// fails), and given up after [`NETWORK`].
    fn network(&self, args: &[&str]) -> Result<std::process::Output, HistoryError> {
        let mut command = Command::new("git");
        command
            .arg("-C")
            .arg(&self.top)
            .args(args)
            .env("LC_ALL", "C")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_HTTP_LOW_SPEED_LIMIT", "1000")
            .env("GIT_HTTP_LOW_SPEED_TIME", "30")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE");
        if std::env::var_os("GIT_SSH_COMMAND").is_none() {
            command.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes -o ConnectTimeout=15");
        }
        match crate::timed::run(command, NETWORK).map_err(HistoryError::NoGit)? {
            Some(out) => Ok(out),
            None => Err(self.unreachable(&format!("no answer within {} s", NETWORK.as_secs()))),
        }
    }
}
