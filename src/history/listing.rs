//! Reading the history: the changes listed (`history`), and what undoing
//! one takes (`undo`, `revert`): the change's files before and after it,
//! and the three-way merge that takes it out of the text as it is now
//! (also how two machines' changes are merged).

use super::*;

impl History {
    /// The last `limit` changes to the knowledge, newest first; with
    /// `entry`, those that touched it.
    pub fn log(&self, entry: Option<&str>, limit: usize) -> Result<Vec<Change>, HistoryError> {
        const SCANNED: &str = "2000";
        let format =
            format!("--format=%h%x1f%ad%x1f%an%x1f%s%x1f%(trailers:key={ENTRIES},valueonly,separator=%x2C)%x1e");
        let n = match entry {
            Some(_) => SCANNED.to_owned(),
            None => limit.to_string(),
        };
        // A merge of two machines' changes lists as the changes it merged.
        let out = self.git(
            &["log", "--no-merges", &format, "--date=format-local:%Y-%m-%d %H:%M UTC", "-n", &n, "--", &self.prefix],
            None,
            &[("TZ", "UTC")],
        )?;
        let changes = out.split('\u{1e}').filter_map(|record| {
            let mut fields = record.trim_start_matches('\n').split('\u{1f}');
            let (version, when, who, what) = (fields.next()?, fields.next()?, fields.next()?, fields.next()?);
            let entries = fields.next().unwrap_or_default();
            let entries: Vec<String> =
                entries.split(',').map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned).collect();
            Some(Change {
                version: version.to_owned(),
                when: when.to_owned(),
                who: who.to_owned(),
                what: what.to_owned(),
                entries,
            })
        });
        Ok(changes.filter(|c| entry.is_none_or(|id| c.entries.iter().any(|e| e == id))).take(limit).collect())
    }

    /// What undoing `version` takes: the change's files before and after
    /// it. Refused for a version that is not a change to the knowledge on
    /// this branch, and for the first one.
    pub fn reverting(&self, version: &str) -> Result<Reverting, HistoryError> {
        let unknown = || HistoryError::Unknown(crate::text::shorten(version, 40));
        let wanted = version.trim();
        if wanted.is_empty() || wanted.starts_with('-') || !wanted.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(unknown());
        }
        let full = self.git(&["rev-parse", "--verify", "-q", &format!("{wanted}^{{commit}}")], None, &[]);
        let full = full.map_err(|_| unknown())?.trim().to_owned();
        let on_branch = run(&self.top, &["merge-base", "--is-ancestor", &full, "HEAD"], None, &[])?.status.success();
        let last_here = self.git(&["log", "-1", "--format=%H", &full, "--", &self.prefix], None, &[])?;
        if !on_branch || last_here.trim() != full {
            return Err(unknown());
        }
        let short = self.short(&full)?;
        if self.git(&["rev-parse", "--verify", "-q", &format!("{full}^")], None, &[]).is_err() {
            return Err(HistoryError::Root(short));
        }
        if self.git(&["rev-parse", "--verify", "-q", &format!("{full}^2")], None, &[]).is_ok() {
            return Err(HistoryError::Merge(short));
        }
        let names = self.git(
            &[
                "diff-tree",
                "-r",
                "--no-commit-id",
                "--no-renames",
                "--name-only",
                "-z",
                &format!("{full}^"),
                &full,
                "--",
            ],
            None,
            &[],
        )?;
        let mut files = Vec::new();
        for path in names.split('\0').filter(|p| !p.is_empty()) {
            let file = self.top.join(path);
            if !is_knowledge(&file) || file.parent() != Some(self.dir.as_path()) {
                continue;
            }
            let base = self.git(&["cat-file", "blob", &format!("{full}:{path}")], None, &[]).ok();
            let other = self.git(&["cat-file", "blob", &format!("{full}^:{path}")], None, &[]).ok();
            files.push(Undo { file, base, other });
        }
        let change = self.log_one(&full)?;
        Ok(Reverting { version: short, what: change.what, entries: change.entries, files })
    }

    /// The text `undo.file` should have with its change undone, given what
    /// it holds now: what it held before the change when nothing has
    /// touched it since, else the change taken out of the later text (a
    /// three-way merge), refused where later changes touched the same lines.
    pub fn undone(&self, undo: &Undo, now: Option<&str>) -> Result<Option<String>, HistoryError> {
        self.three_way(&undo.file, now, undo.base.as_deref(), undo.other.as_deref())
    }

    /// `file` with the change from `base` to `theirs` made to `ours` too
    /// (`None`: no such file): whichever side changed when one did, else a
    /// line merge, refused where both changed the same lines.
    pub(super) fn three_way(
        &self,
        file: &Path,
        ours: Option<&str>,
        base: Option<&str>,
        theirs: Option<&str>,
    ) -> Result<Option<String>, HistoryError> {
        if ours == base || ours == theirs {
            return Ok(theirs.map(str::to_owned));
        }
        if theirs == base {
            return Ok(ours.map(str::to_owned));
        }
        let (Some(now), Some(base), Some(other)) = (ours, base, theirs) else {
            return Err(HistoryError::Conflict(file.to_path_buf()));
        };
        let scratch = tempfile::tempdir().map_err(|e| git_failed("merge-file", &e.to_string()))?;
        let write = |name: &str, text: &str| {
            let path = scratch.path().join(name);
            std::fs::write(&path, text).map(|()| path.to_string_lossy().into_owned())
        };
        let paths = (|| Ok::<_, std::io::Error>((write("now", now)?, write("base", base)?, write("other", other)?)))()
            .map_err(|e| git_failed("merge-file", &e.to_string()))?;
        let out = run(&self.top, &["merge-file", "-p", "-q", &paths.0, &paths.1, &paths.2], None, &[])?;
        match out.status.code() {
            Some(0) => Ok(Some(String::from_utf8_lossy(&out.stdout).into_owned())),
            Some(1..=127) => Err(HistoryError::Conflict(file.to_path_buf())),
            _ => Err(git_failed("merge-file", &String::from_utf8_lossy(&out.stderr))),
        }
    }

    fn log_one(&self, full: &str) -> Result<Change, HistoryError> {
        let out = self.git(
            &["log", "-1", &format!("--format=%s%x1f%(trailers:key={ENTRIES},valueonly,separator=%x2C)"), full],
            None,
            &[],
        )?;
        let (what, entries) = out.trim_end().split_once('\u{1f}').unwrap_or((out.trim_end(), ""));
        Ok(Change {
            version: self.short(full)?,
            when: String::new(),
            who: String::new(),
            what: what.to_owned(),
            entries: entries.split(',').map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned).collect(),
        })
    }
}
