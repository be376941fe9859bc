//! `policybot unanswered` and `policybot stats`: the records, every
//! community or one.

use super::*;
use crate::answer;
use crate::platform::Platform;
use crate::records::Keys;
use crate::records::store::Reader;
use crate::reply::Reply;
use anyhow::{Result, bail};
use std::io::Write;

pub(super) fn since(since: Option<std::time::Duration>) -> Option<std::time::SystemTime> {
    since.map(|d| std::time::SystemTime::now().checked_sub(d).unwrap_or(std::time::UNIX_EPOCH))
}

/// The community hash `--community` names, with the data directory's key.
pub(super) fn community(setup: &Setup, community: Option<&str>) -> Result<Option<u64>> {
    let Some(community) = community else { return Ok(None) };
    let (platform, id) = match community.split_once(':') {
        Some(("discord", id)) => (Platform::Discord, id),
        Some(("matrix", id)) => (Platform::Matrix, id),
        None if community == Platform::Console.as_str() => (Platform::Console, community),
        _ => {
            bail!("--community takes discord:SERVER_ID, discord:direct, matrix:!ROOM_ID or console; not {community:?}")
        }
    };
    if id.is_empty() {
        bail!("--community {community}: the id is missing");
    }
    let keys = Keys::load(&setup.config.data.dir)?;
    Ok(Some(keys.community(platform, id)))
}

pub(super) fn unanswered(
    setup: &Setup,
    within: Option<std::time::Duration>,
    limit: usize,
    only: Option<&str>,
    json: bool,
) -> Result<()> {
    let reader = Reader::open(&setup.config.data.dir)?;
    let records = reader.unanswered(since(within), community(setup, only)?)?;
    // The nearest entry shown for each group is found by words alone.
    let bot = setup.listing_bot()?;
    let reply = answer::unanswered(&bot.knowledge(), &records, limit);
    if json {
        let Reply::Unanswered { groups, total } = &reply else { unreachable!("answer::unanswered") };
        say!("{}", serde_json::to_string_pretty(&serde_json::json!({"total": total, "groups": groups}))?);
    } else {
        say!("{}", reply.render_plain("/"));
    }
    Ok(())
}

pub(super) fn review(setup: &Setup, only: Option<&str>, limit: usize, json: bool) -> Result<()> {
    let reader = Reader::open(&setup.config.data.dir)?;
    let community = community(setup, only)?;
    let (records, dismissed) = (reader.teaching(None, community)?, reader.dismissed(community)?);
    // Matched by words alone, as `unanswered` is.
    let bot = setup.listing_bot()?;
    let groups = crate::review::queue(&bot.knowledge(), &records, &dismissed, &setup.config.matching);
    let total = groups.len();
    let groups: Vec<_> = groups.into_iter().take(limit).collect();
    if json {
        say!("{}", serde_json::to_string_pretty(&serde_json::json!({"total": total, "groups": groups}))?);
    } else {
        // Without the chat commands' hint: accepting is done in chat.
        let text = Reply::Review { groups, first: 1, total }.render_plain("/");
        let text = text
            .rsplit_once('\n')
            .filter(|(_, hint)| hint.contains("accept N"))
            .map_or(text.as_str(), |(list, _)| list);
        say!("{text}");
    }
    Ok(())
}

pub(super) fn stats(setup: &Setup, within: Option<std::time::Duration>, only: Option<&str>, json: bool) -> Result<()> {
    let reader = Reader::open(&setup.config.data.dir)?;
    let stats = reader.stats(since(within), community(setup, only)?)?;
    if json {
        say!("{}", serde_json::to_string_pretty(&stats)?);
        return Ok(());
    }
    let total: u64 = stats.outcomes.iter().map(|o| o.count).sum();
    say!("{total} questions; unanswered {} (of which {} turned down suggestions)", stats.unanswered, stats.declined);
    for o in &stats.outcomes {
        say!("  {:<10} {:<10} {}", o.platform, o.outcome, o.count);
    }
    if !stats.entries.is_empty() {
        say!("{:<30} {:>8} {:>8} {:>12}", "entry", "answered", "helpful", "not helpful");
        for e in &stats.entries {
            say!("{:<30} {:>8} {:>8} {:>12}", e.entry, e.answered, e.helpful, e.not_helpful);
        }
    }
    Ok(())
}
