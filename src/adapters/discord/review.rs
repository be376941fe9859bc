//! A page of the review queue as Discord shows it: the list as text, a
//! row of buttons per group and a row to page, within Discord's five rows.

use super::render::{Action, Button, DESCRIPTION, GREEN, Out, embed, fit};
use crate::reply::Reply;

/// A page of the review queue: the list, then a row of buttons per group
/// (accept as the entry picked most and as the nearest, dismiss, draft an
/// entry) and a row to page, all within Discord's five rows.
pub(super) fn page(reply: &Reply, groups: &[crate::review::ReviewGroup], first: usize, total: usize) -> Out {
    let text = reply.render_plain("/");
    // The text commands' hint, in Discord's words.
    let text = match text.rsplit_once('\n') {
        Some((list, hint)) if hint.contains("accept N") => format!(
            "{list}\nThe buttons act on each group; `/accept group: entry:` takes any entry, `/dismiss group:` hides one."
        ),
        _ => text,
    };
    let mut rows: Vec<Vec<Button>> = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let n = first + i;
        let mut row = Vec::new();
        let mut offered: Vec<&str> = Vec::new();
        for id in g.picked.iter().map(|(id, _)| id.as_str()).chain(g.nearest.iter().map(|e| e.entry.id.as_str())) {
            if offered.len() == 2 || offered.contains(&id) {
                continue;
            }
            offered.push(id);
            let action = Action::Accept { group: n, entry: id.to_owned() };
            row.push(Button {
                custom_id: action.custom_id(),
                label: fit(&format!("{n}: accept as {id}"), 80, "…"),
                primary: offered.len() == 1 && !g.picked.is_empty(),
            });
        }
        row.retain(|b| b.custom_id.len() <= 100);
        row.push(Button {
            custom_id: Action::Dismiss { group: n }.custom_id(),
            label: format!("{n}: dismiss"),
            primary: false,
        });
        row.push(Button {
            custom_id: Action::Draft { group: n }.custom_id(),
            label: format!("{n}: new entry…"),
            primary: false,
        });
        rows.push(row);
    }
    let page = (first - 1) / crate::bot::REVIEW_PAGE + 1;
    let pages = total.div_ceil(crate::bot::REVIEW_PAGE);
    let mut paging = Vec::new();
    if page > 1 {
        paging.push(Button {
            custom_id: Action::Page { page: page - 1 }.custom_id(),
            label: "◀ Previous".into(),
            primary: false,
        });
    }
    if page < pages {
        paging.push(Button {
            custom_id: Action::Page { page: page + 1 }.custom_id(),
            label: "Next ▶".into(),
            primary: false,
        });
    }
    if !paging.is_empty() {
        rows.push(paging);
    }
    Out { ephemeral: true, rows, ..embed(None, fit(&text, DESCRIPTION, "\n…"), GREEN) }
}
