//! The documents that describe the code, checked against it so they cannot
//! go stale: CONTRIBUTING.md's layout lists every source file (and nothing
//! that is gone), and DEPLOY.md's configuration table lists every key the
//! code reads from `config.toml` (and no key it does not).

use std::collections::BTreeSet;
use std::path::Path;

/// The paths of the layout block in CONTRIBUTING.md: the first word of each
/// line of the block under "## Layout".
fn layout() -> BTreeSet<String> {
    let text = std::fs::read_to_string("CONTRIBUTING.md").unwrap();
    let section = text.split("\n## Layout\n").nth(1).expect("CONTRIBUTING.md has a Layout section");
    let block = section.split("```").nth(1).expect("the Layout section has a block");
    block.lines().filter_map(|l| l.split_whitespace().next()).map(str::to_owned).collect()
}

fn source_files(dir: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.insert(path.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn the_layout_lists_every_source_file_and_nothing_that_is_gone() {
    let listed = layout();
    let mut files = BTreeSet::new();
    source_files(Path::new("src"), &mut files);
    let missing: Vec<&String> = files.iter().filter(|f| !listed.contains(*f)).collect();
    assert!(missing.is_empty(), "CONTRIBUTING.md's layout does not list {missing:?}");
    let gone: Vec<&String> = listed.iter().filter(|p| !Path::new(p.trim_end_matches('/')).exists()).collect();
    assert!(gone.is_empty(), "CONTRIBUTING.md's layout lists what does not exist: {gone:?}");
}

/// Every key of `config.toml` the code reads, as "[section] key": the
/// fields of the default config, which serde reads the file into.
fn config_keys() -> BTreeSet<String> {
    let value = serde_json::to_value(policybot::config::Config::default()).unwrap();
    let mut keys = BTreeSet::new();
    for (section, table) in value.as_object().unwrap() {
        for key in table.as_object().unwrap().keys() {
            keys.insert(format!("[{section}] {key}"));
        }
    }
    keys
}

/// The keys DEPLOY.md's configuration table names: every `[section] key`
/// in the first cell of a row.
fn documented_keys() -> BTreeSet<String> {
    let text = std::fs::read_to_string("docs/DEPLOY.md").unwrap();
    let section = text.split("\n## Configuration").nth(1).expect("DEPLOY.md has a Configuration section");
    let section = section.split("\n## ").next().unwrap();
    let mut keys = BTreeSet::new();
    for row in section.lines().filter(|l| l.starts_with("| `[")) {
        let first = row.split(" | ").next().unwrap();
        for cell in first.trim_start_matches('|').split(',') {
            let key = cell.trim().trim_matches('`');
            if key.starts_with('[') {
                keys.insert(key.to_owned());
            }
        }
    }
    keys
}

#[test]
fn deploy_documents_every_config_key_the_code_reads_and_no_other() {
    let (read, documented) = (config_keys(), documented_keys());
    let undocumented: Vec<&String> = read.difference(&documented).collect();
    let unread: Vec<&String> = documented.difference(&read).collect();
    assert!(undocumented.is_empty(), "keys read but not in DEPLOY.md's table: {undocumented:?}");
    assert!(unread.is_empty(), "keys in DEPLOY.md's table that nothing reads: {unread:?}");
    assert!(read.len() > 30, "{read:?}");
}
