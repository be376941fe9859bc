//! The change made to a knowledge file's own syntax tree (`toml_edit`):
//! only the values it is about change, written the way the file already
//! writes them.

use super::*;
use toml_edit::Value;

/// The file's text with the change made, everything else as it was.
pub(super) fn change(text: &str, target: &Target, edit: &Edit) -> Result<String, EditRefused> {
    if let (Place::End, Edit::NewEntry { id, topic, question, answer }) = (&target.place, edit) {
        return Ok(append_entry(text, id, topic, question, answer));
    }
    let mut doc: DocumentMut = text.parse().map_err(|_| gone(&target.place))?;
    let with_id = |tables: &mut toml_edit::ArrayOfTables, id: &str| {
        tables.iter_mut().position(|t| t.get("id").and_then(Item::as_str) == Some(id))
    };
    let (list, id) = match &target.place {
        Place::Entry(id) | Place::EntryClaim(id, _) | Place::Translation(id, _) => ("entry", id),
        Place::Shared(id) => ("claim", id),
        Place::End => return Err(gone(&target.place)),
    };
    let tables = doc.get_mut(list).and_then(Item::as_array_of_tables_mut).ok_or_else(|| gone(&target.place))?;
    let index = with_id(tables, id).ok_or_else(|| gone(&target.place))?;
    let mut table = tables.get_mut(index).ok_or_else(|| gone(&target.place))?;
    if let Place::EntryClaim(_, claim) = target.place {
        table = table
            .get_mut("claims")
            .and_then(Item::as_array_of_tables_mut)
            .and_then(|claims| claims.get_mut(claim))
            .ok_or_else(|| gone(&target.place))?;
    }
    let edit = match (&target.place, edit) {
        (Place::Translation(_, lang), Edit::Translated { edit, .. }) => {
            table = table
                .get_mut("translations")
                .and_then(Item::as_table_mut)
                .and_then(|t| t.get_mut(lang.code()))
                .and_then(Item::as_table_mut)
                .ok_or_else(|| gone(&target.place))?;
            edit.as_ref()
        }
        (_, edit) => edit,
    };
    match edit {
        Edit::AddAlias { text, .. } => add_alias(table, "aliases", text),
        Edit::AddAsked { text, .. } => add_alias(table, "asked", text),
        // A phrasing is removed from wherever it is: an alias, or a
        // question accepted from the review queue.
        Edit::RemoveAlias { entry, text } => {
            remove_alias(table, "aliases", entry, text).or_else(|_| remove_alias(table, "asked", entry, text))?
        }
        Edit::SetAnswer { text, .. } => {
            let multi_line = table.get("answer").and_then(Item::as_value).is_some_and(is_multi_line);
            let value =
                if multi_line || text.contains('\n') { multi_line_string(text) } else { Value::from(text.as_str()) };
            set(table, "answer", value);
        }
        Edit::SetClaim { status, source, checked, .. } => {
            set(table, "status", Value::from(status.as_str()));
            if let Some(source) = source {
                set(table, "source", Value::from(source.as_str()));
            }
            if let Some(date) = checked.as_deref().and_then(|d| d.parse::<toml_edit::Datetime>().ok()) {
                set(table, "checked", Value::from(date));
            }
        }
        Edit::NewEntry { .. } | Edit::Translated { .. } => {}
    }
    Ok(doc.to_string())
}

/// The place an edit was aimed at is no longer in the file (someone
/// removed it meanwhile).
fn gone(place: &Place) -> EditRefused {
    match place {
        Place::Entry(id) | Place::EntryClaim(id, _) => EditRefused::UnknownEntry(id.clone()),
        Place::Translation(id, lang) => {
            EditRefused::NoTranslation { entry: id.clone(), language: lang.name(), code: lang.code() }
        }
        Place::Shared(id) => EditRefused::UnknownClaim(id.clone()),
        Place::End => EditRefused::UnknownEntry(String::new()),
    }
}

fn add_alias(table: &mut toml_edit::Table, key: &str, phrasing: &str) {
    match table.get_mut(key).and_then(Item::as_array_mut) {
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
            table.insert(key, Item::Value(Value::Array(aliases)));
        }
    }
}

fn remove_alias(table: &mut toml_edit::Table, key: &str, entry: &str, phrasing: &str) -> Result<(), EditRefused> {
    let not_there = || EditRefused::NotThere { entry: entry.to_owned(), text: phrasing.to_owned() };
    let aliases = table.get_mut(key).and_then(Item::as_array_mut).ok_or_else(not_there)?;
    let index = aliases.iter().position(|v| v.as_str().map(str::trim) == Some(phrasing)).ok_or_else(not_there)?;
    let was_first = index == 0;
    let removed_prefix =
        aliases.get(index).and_then(|v| v.decor().prefix()).and_then(|p| p.as_str()).map(str::to_owned);
    aliases.remove(index);
    // The last phrasing gone, so is the key (it is optional): adding a
    // first phrasing and removing it again gives back the file as it was.
    if aliases.is_empty() {
        table.remove(key);
        return Ok(());
    }
    // The new first element takes the removed one's spacing, so a one-line
    // array does not start "[ x".
    if was_first && let (Some(prefix), Some(first)) = (removed_prefix, aliases.get_mut(0)) {
        first.decor_mut().set_prefix(prefix);
    }
    Ok(())
}

/// Sets `key` to `value`: in place (keeping the spacing and any comment
/// after it) when the table has it, else as a new line at the table's end.
fn set(table: &mut toml_edit::Table, key: &str, mut value: Value) {
    match table.get_mut(key) {
        Some(Item::Value(old)) => {
            *value.decor_mut() = old.decor().clone();
            *old = value;
        }
        _ => {
            table.insert(key, Item::Value(value));
        }
    }
}

fn is_multi_line(value: &Value) -> bool {
    let raw = match value {
        Value::String(s) => s.as_repr().and_then(|r| r.as_raw().as_str()).map(str::to_owned),
        _ => None,
    };
    raw.is_some_and(|raw| raw.starts_with("\"\"\"") || raw.starts_with("'''"))
}

/// `text` as a `"""` string starting on the next line, as the knowledge
/// files write answers.
fn multi_line_string(text: &str) -> Value {
    let mut body = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => body.push_str("\\\\"),
            '\n' | '\t' => body.push(c),
            c if c.is_control() => body.push_str(&format!("\\u{:04X}", c as u32)),
            c => body.push(c),
        }
    }
    // No run of three quotes may close it early, nor a quote just before
    // the closing ones.
    let body = body.replace("\"\"\"", "\"\"\\\"");
    let body = match body.strip_suffix('"') {
        Some(rest) => format!("{rest}\\\""),
        None => body,
    };
    match format!("\"\"\"\n{body}\"\"\"").parse::<Value>() {
        Ok(value) if value.as_str() == Some(text) => value,
        // Not expected; a plain string always says the same.
        _ => Value::from(text),
    }
}

/// The file's text with a new `[[entry]]` after its last line, written as
/// the files write entries (one blank line before it).
fn append_entry(text: &str, id: &str, topic: &str, question: &str, answer: &str) -> String {
    let quoted = |s: &str| Value::from(s).to_string().trim().to_owned();
    let mut out = text.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
    out.push_str(&format!(
        "[[entry]]\nid = {}\ntopic = {}\nquestion = {}\nanswer = {}\n",
        quoted(id),
        quoted(topic),
        quoted(question),
        multi_line_string(answer).to_string().trim()
    ));
    out
}
