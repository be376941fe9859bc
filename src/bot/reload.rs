//! The one reload path every trigger takes (a save, SIGHUP, a moderator):
//! load and validate everything, hold back a save that looks half-written,
//! swap atomically, and report what changed.

use super::*;
use crate::config::Config;
use crate::knowledge::{self, ClaimStatus, KnowledgeBase};
use crate::matcher::Encoder;
use crate::reply::{ReloadReport, Reply};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Why a reload runs. A save seen by the watcher may be a file caught
/// half-written, so a watcher reload that would drop a large share of the
/// entries is held back; a moderator or operator who asks is obeyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Watcher,
    Asked,
    /// Right after a change made through the bot (already validated and
    /// already in the moderation log).
    Edit,
}

/// A watcher reload that would remove more than this share of the entries
/// (and at least [`HOLD_BACK_MIN`] of them) is held back.
pub const HOLD_BACK_SHARE: f64 = 0.25;
pub const HOLD_BACK_MIN: usize = 2;

/// Whether removing `removed` of `before` entries is the kind of drop a
/// half-written save makes.
pub fn large_drop(removed: usize, before: usize) -> bool {
    removed >= HOLD_BACK_MIN && removed as f64 > before as f64 * HOLD_BACK_SHARE
}

impl Bot {
    /// Loads and validates everything, then swaps it in. On any error the
    /// old knowledge stays in use and the reply lists every problem; so it
    /// does when the watcher saw a save that would remove a large share of
    /// the entries (see [`Trigger`]).
    pub fn reload(&self, trigger: Trigger) -> Result<ReloadReport, ReloadRefused> {
        let _one_at_a_time = self.reloading.lock().unwrap_or_else(|e| e.into_inner());
        // Asked for (a moderator, SIGHUP): the other machines' changes too,
        // and the report says what they changed as well.
        let before = self.knowledge();
        let synced = match trigger {
            Trigger::Asked => self.sync_locked(),
            _ => super::Synced::Nothing,
        };
        let settings = match trigger {
            Trigger::Asked => self.reread_settings(),
            _ => Vec::new(),
        };
        let mut result = self.reload_locked(trigger);
        match &mut result {
            Ok(report) => report.warnings.extend(settings),
            Err(_) => {
                for line in settings {
                    tracing::info!("{line}");
                }
            }
        }
        if let (Ok(report), super::Synced::Took(_)) = (&mut result, &synced) {
            let (version, mut warnings) = (report.version.take(), std::mem::take(&mut report.warnings));
            *report = diff(&before, &self.knowledge(), &self.config);
            report.version = version;
            warnings.retain(|w| !report.warnings.contains(w));
            report.warnings.append(&mut warnings);
        }
        drop(before);
        let why = match trigger {
            Trigger::Watcher => "after a file save",
            Trigger::Asked => "on request",
            Trigger::Edit => return result,
        };
        match &result {
            // A save that changed nothing (the echo of a change made through
            // the bot, an editor's touch) is not news.
            Ok(report) if report.added.is_empty() && report.removed.is_empty() && report.changed.is_empty() => {}
            Ok(report) => self.log.say(format!("Reloaded {why}: {}", report.summary())),
            Err(refused) => {
                let first = refused.to_string().lines().nth(1).map(str::trim).unwrap_or_default().to_owned();
                let head = match refused {
                    ReloadRefused::HeldBack { removed, before } => {
                        format!("Reload held back ({why}): it would remove {removed} of {before} entries")
                    }
                    ReloadRefused::Invalid(errors) => {
                        format!("Reload refused ({why}), {} problem(s), first: {first}", errors.0.len())
                    }
                };
                let mut line = format!("{head}; still serving the previous knowledge");
                let unrecorded = self.unrecorded();
                if !unrecorded.is_empty() {
                    line.push_str(&format!(". {unrecorded}"));
                }
                self.log.say(line);
            }
        }
        result
    }

    /// [`Bot::reload`] for a caller that holds the reload lock.
    pub(super) fn reload_locked(&self, trigger: Trigger) -> Result<ReloadReport, ReloadRefused> {
        // One snapshot for both reuse and the report, so the report compares
        // with the knowledge the new one was built from.
        let current = self.knowledge();
        let loaded = build(&self.dir, Some(&current), self.encoder.as_ref(), &self.config);
        match loaded {
            Ok(new) => {
                let report = diff(&current, &new, &self.config);
                let (removed, before) = (report.removed.len(), current.entries.len());
                if trigger == Trigger::Watcher && large_drop(removed, before) {
                    tracing::warn!(
                        removed,
                        before,
                        "a saved change would remove {removed} of {before} entries; held back in case a file was caught half-written (reload by hand to apply it)"
                    );
                    self.metrics.reloaded(false);
                    return Err(ReloadRefused::HeldBack { removed, before });
                }
                drop(current);
                let (mut new, mut report) = (new, report);
                let why = match trigger {
                    Trigger::Watcher => Some("after a file save"),
                    Trigger::Asked => Some("on request"),
                    // A change through the bot is recorded by its road.
                    Trigger::Edit => None,
                };
                let version = match why {
                    Some(why) => self.record_reload(why, &report),
                    None => self.history().and_then(|h| h.described()),
                };
                new.version = version.clone();
                report.version = version;
                self.put_in_use(new, &report);
                // Saves reloaded here reach the other machines too.
                if why.is_some()
                    && let Some(note) = self.share()
                {
                    report.warnings.push(note);
                }
                Ok(report)
            }
            Err(errors) => {
                tracing::warn!(errors = errors.0.len(), first = %errors.0[0], "reload refused; keeping the old knowledge");
                self.metrics.reloaded(false);
                Err(ReloadRefused::Invalid(errors))
            }
        }
    }
}

impl Bot {
    /// Swaps `new` in (its `report` already made against the knowledge in
    /// use): the last step of every reload and change.
    pub(super) fn put_in_use(&self, new: KnowledgeBase, report: &ReloadReport) {
        self.metrics.set_version(new.version.as_deref());
        let old = self.knowledge.swap(Arc::new(new));
        // Freeing 100,000 entries takes a while; the moderator need not
        // wait for it (readers still holding it keep it alive).
        std::thread::spawn(move || drop(old));
        tracing::info!(
            entries = report.entries,
            added = report.added.len(),
            removed = report.removed.len(),
            changed = report.changed.len(),
            "knowledge reloaded"
        );
        self.metrics.reloaded(true);
    }
}

/// Why a reload left the previous knowledge in use. Its text is what the
/// moderator who asked is told.
#[derive(Debug, thiserror::Error)]
pub enum ReloadRefused {
    /// A save seen by the watcher would remove a large share of the
    /// entries (see [`Trigger`]).
    #[error(
        "Reload held back; still serving the previous knowledge. The saved files would remove {removed} of {before} entries, which looks like a file caught half-written. If that is what you meant, reload by hand."
    )]
    HeldBack { removed: usize, before: usize },
    /// The files do not load, or fail the regression set.
    #[error("Reload refused; still serving the previous knowledge. Fix these and reload again:\n{0}")]
    Invalid(knowledge::LoadErrors),
}

impl From<ReloadRefused> for Reply {
    fn from(refused: ReloadRefused) -> Reply {
        Reply::error(refused.to_string())
    }
}

/// Loads `dir` (reusing unchanged files of `previous`), embeds its
/// phrasings when there is an encoder, and runs the regression set against
/// the result: the one path start-up and every reload take.
/// Whether the knowledge in `dir` would be taken by a reload: loaded,
/// embedded when there is an encoder, and its regression set passed. What a
/// change to the files must pass before it is written.
pub fn validate(
    dir: &std::path::Path,
    encoder: Option<&Arc<dyn Encoder>>,
    config: &Config,
) -> Result<KnowledgeBase, knowledge::LoadErrors> {
    build(dir, None, encoder, config)
}

pub(super) fn build(
    dir: &std::path::Path,
    previous: Option<&KnowledgeBase>,
    encoder: Option<&Arc<dyn Encoder>>,
    config: &Config,
) -> Result<KnowledgeBase, knowledge::LoadErrors> {
    let mut kb = knowledge::load_dir_reusing(dir, previous)?;
    if let Some(encoder) = encoder
        && let Err(e) = kb.embed(encoder.clone())
    {
        tracing::warn!(error = %e, "cannot embed the knowledge; matching it by words alone");
    }
    knowledge::regression::check(dir, &kb, &config.matching)?;
    Ok(kb)
}

/// What changed between two knowledge bases, with the new one's claim counts
/// and lint warnings.
pub fn diff(old: &KnowledgeBase, new: &KnowledgeBase, config: &Config) -> ReloadReport {
    let old_entries: BTreeMap<&str, _> = old.entries.iter().map(|e| (e.id.as_str(), e)).collect();
    let new_entries: BTreeMap<&str, _> = new.entries.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut report = ReloadReport { entries: new.entries.len(), ..Default::default() };
    for (id, e) in &new_entries {
        match old_entries.get(id) {
            None => report.added.push((*id).to_owned()),
            Some(o) if !o.same_content(e) => report.changed.push((*id).to_owned()),
            Some(_) => {}
        }
    }
    report.removed =
        old_entries.keys().filter(|id| !new_entries.contains_key(*id)).map(|id| (*id).to_owned()).collect();
    let counts = new.claim_counts();
    report.unverified = counts.get(&ClaimStatus::Unverified).copied().unwrap_or(0);
    report.disputed = counts.get(&ClaimStatus::Disputed).copied().unwrap_or(0);
    report.verified = counts.get(&ClaimStatus::Verified).copied().unwrap_or(0);
    // The same wording as `policybot check`: the entries and sentences.
    report.warnings = new.disputes.contradictions().iter().map(ToString::to_string).collect();
    if large_drop(report.removed.len(), old.entries.len()) {
        report.warnings.push(format!(
            "this removed {} of {} entries; saved by an editor, a change like this is held back until someone reloads by hand",
            report.removed.len(),
            old.entries.len()
        ));
    }
    // Only what this reload brought in can have become confusable with
    // something; `policybot check` reviews the whole knowledge.
    let touched: std::collections::BTreeSet<&str> =
        report.added.iter().chain(&report.changed).map(String::as_str).collect();
    let touched = |id: &str| touched.contains(id);
    let confusables = knowledge::lint::confusables_among(new, &config.matching, touched);
    report.warnings.extend(confusables.iter().map(ToString::to_string));
    report.warnings.extend(knowledge::lint::translation_gaps(new.entries.iter().filter(|e| touched(&e.id))));
    report
}
