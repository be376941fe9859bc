//! The review queue for moderators: a page of it, accepting a group's
//! questions as phrasings (through the one write path, a change per
//! phrasing) and dismissing a group. Numbers refer to the queue as the
//! community last saw it, so a group that moved since is never mistaken
//! for another.

use super::*;
use crate::knowledge::edit::{Edit, EditRefused};
use crate::review::{ReviewGroup, queue};

/// Groups shown on a page of the queue: four, so Discord can give each
/// its own row of buttons and keep the fifth row for paging.
pub const REVIEW_PAGE: usize = 4;
/// Most questions of one group accepted as phrasings at once.
const ACCEPT_MOST: usize = 5;

impl Bot {
    /// The queue for the community asked from (every community's for the
    /// operator), or why it cannot be read.
    fn queue_of(&self, from: Origin) -> Result<Vec<ReviewGroup>, String> {
        let (records, dismissed) = self.read_records(from, "the questions of the review queue", |r, community| {
            Ok((r.teaching(None, community)?, r.dismissed(community)?))
        })?;
        Ok(queue(&self.knowledge(), &records, &dismissed, &self.config.matching))
    }

    pub(super) fn review(&self, from: Origin, page: usize) -> Reply {
        let groups = match self.queue_of(from) {
            Ok(groups) => groups,
            Err(why) => return Reply::error(why),
        };
        let keys: Vec<String> = groups.iter().map(|g| g.key.clone()).collect();
        self.shown.lock().unwrap_or_else(|e| e.into_inner()).insert(from.community, keys);
        let total = groups.len();
        let pages = total.div_ceil(REVIEW_PAGE).max(1);
        let page = page.min(pages);
        let first = (page - 1) * REVIEW_PAGE;
        let groups = groups.into_iter().skip(first).take(REVIEW_PAGE).collect();
        Reply::Review { groups, first: first + 1, total }
    }

    /// Group `n` of the queue as `from`'s community last saw it, for a
    /// platform that drafts an entry from it.
    pub fn review_group(&self, from: Origin, n: usize) -> Result<ReviewGroup, String> {
        self.shown_group(from, n, "/")
    }

    /// Group `n` as the community last saw it, as it is now.
    fn shown_group(&self, from: Origin, n: usize, prefix: &str) -> Result<ReviewGroup, String> {
        let key = self
            .shown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&from.community)
            .and_then(|k| k.get(n - 1).cloned());
        let Some(key) = key else {
            return Err(format!("there is no group {n} in the queue as last shown; show it with {prefix}review"));
        };
        let groups = self.queue_of(from)?;
        match groups.into_iter().find(|g| g.key == key) {
            Some(group) => Ok(group),
            None => Err(format!(
                "group {n} has left the queue since it was shown (answered now, or dismissed); {prefix}review shows it as it is"
            )),
        }
    }

    /// Adds group `n`'s questions (the most asked first, at most five) as
    /// phrasings of `entry`, or of the entry askers picked most.
    pub(super) fn accept(&self, sender: &Sender, n: usize, entry: Option<&str>, prefix: &str) -> Reply {
        let group = match self.shown_group(sender.origin, n, prefix) {
            Ok(found) => found,
            Err(why) => return Reply::error(why),
        };
        let Some(entry) = entry.or(group.suggested_entry()).map(str::to_owned) else {
            let nearest: Vec<&str> = group.nearest.iter().map(|n| n.entry.id.as_str()).collect();
            return Reply::error(format!(
                "nobody picked an entry for group {n}; name one: {prefix}accept {n} ENTRY-ID (nearest: {})",
                nearest.join(", ")
            ));
        };
        let (mut added, mut skipped) = (Vec::new(), Vec::new());
        let kb = self.knowledge();
        let translated =
            kb.entry(&entry).map(|e| e.translations.keys().copied().collect::<Vec<_>>()).unwrap_or_default();
        for text in group.wordings.iter().take(ACCEPT_MOST) {
            // A question asked in a language the entry is translated into
            // becomes an asked question of that translation. Asked questions
            // are kept apart from a moderator's aliases: the same question
            // asked again is answered outright, but for other questions they
            // weigh as claims do (see `FieldKind::Asked`).
            let lang = crate::language::reads_as(text, &translated).unwrap_or_default();
            let edit = Edit::in_lang(lang, Edit::AddAsked { entry: entry.clone(), text: text.clone() });
            match self.change_quietly(&edit, sender) {
                Ok(()) => added.push(format!("\"{text}\"")),
                // Already this entry's: nothing to do.
                Err(EditRefused::Taken { other, .. }) if other == entry => {}
                Err(refused) => {
                    skipped.push(format!("\"{}\": {}", crate::text::shorten(text, 60), first_line(&refused)))
                }
            }
        }
        let author = Author::of(sender);
        let mut message = if added.is_empty() {
            format!("Nothing added to entry \"{entry}\" from group {n}.")
        } else {
            format!(
                "Done: {author} added {} phrasing{} from group {n} to entry \"{entry}\": {}. {} answered outright from the next message on.",
                added.len(),
                crate::text::plural(added.len()),
                added.join(", "),
                if added.len() == 1 { "It is" } else { "They are" }
            )
        };
        for s in skipped {
            message.push_str(&format!("\nNot added: {s}"));
        }
        if added.is_empty() { Reply::error(message) } else { Reply::Notice { message } }
    }

    /// Hides group `n` until more people ask it.
    pub(super) fn dismiss(&self, from: Origin, n: usize, prefix: &str) -> Reply {
        let group = match self.shown_group(from, n, prefix) {
            Ok(found) => found,
            Err(why) => return Reply::error(why),
        };
        if let Some(store) = &self.store {
            store.record_dismissed(from.community, &group.key, group.asked);
            store.flush();
        }
        let text = group.texts.first().map(|t| crate::text::shorten(t, 80)).unwrap_or_default();
        Reply::Notice {
            message: format!(
                "Dismissed group {n} (\"{text}\", {} asked): hidden until more people ask it.",
                group.asked
            ),
        }
    }
}
