//! `policybot doctor` through the real binary: a set-up with nothing to
//! fix, each thing a first start trips on (broken knowledge, a data
//! directory that cannot be written, a Discord token Discord rejects, a
//! server whose invite left out a permission) named on its own line with
//! what to do, and the exit code saying whether anything failed.
#![cfg(feature = "discord")]

use std::path::Path;
use std::process::Command;

#[path = "support/http.rs"]
mod http;

fn doctor(dir: &Path, config: &str, env: &[(&str, &str)]) -> (bool, String) {
    let path = dir.join("config.toml");
    std::fs::write(&path, config).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_policybot"))
        .arg("--config")
        .arg(&path)
        .arg("doctor")
        .env_remove("DISCORD_TOKEN")
        .env_remove("MATRIX_PASSWORD")
        .env_remove("MATRIX_ACCESS_TOKEN")
        .env("RUST_LOG", "off")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The line for `item`.
fn line<'a>(report: &'a str, item: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.get(6..).is_some_and(|rest| rest.starts_with(item)))
        .unwrap_or_else(|| panic!("no {item} line in:\n{report}"))
}

fn base(dir: &Path) -> String {
    let knowledge = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    format!(
        "[knowledge]\ndir = \"{}\"\nhistory = false\n[semantic]\nenabled = false\n[data]\ndir = \"{}\"\n",
        knowledge.display(),
        dir.join("data").display()
    )
}

#[test]
fn a_set_up_with_nothing_to_fix_passes_and_says_what_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let (passed, report) = doctor(dir.path(), &base(dir.path()), &[]);
    assert!(passed, "{report}");
    assert!(
        line(&report, "knowledge").starts_with("ok ") && line(&report, "knowledge").contains("20 entries"),
        "{report}"
    );
    assert!(line(&report, "data directory").starts_with("ok "), "{report}");
    assert!(
        line(&report, "discord").starts_with("skip") && line(&report, "discord").contains("DISCORD_TOKEN"),
        "{report}"
    );
    assert!(line(&report, "matrix").starts_with("skip"), "{report}");
    assert!(!report.contains("FAIL"), "{report}");
}

#[test]
fn broken_knowledge_and_an_unwritable_data_directory_fail_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let knowledge = dir.path().join("knowledge");
    std::fs::create_dir(&knowledge).unwrap();
    std::fs::write(knowledge.join("bad.toml"), "title = \"T\"\n[[entry]]\nid = \"x\"\n").unwrap();
    // A file where the data directory should be.
    std::fs::write(dir.path().join("data"), "").unwrap();
    let config = base(dir.path()).replace(
        &format!("dir = \"{}\"", Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge").display()),
        &format!("dir = \"{}\"", knowledge.display()),
    );
    let (passed, report) = doctor(dir.path(), &config, &[]);
    assert!(!passed, "{report}");
    let knowledge = line(&report, "knowledge");
    assert!(
        knowledge.starts_with("FAIL") && knowledge.contains("bad.toml") && knowledge.contains("policybot check"),
        "{report}"
    );
    let data = line(&report, "data directory");
    assert!(data.starts_with("FAIL") && data.contains("not writable") && data.contains("[data] dir"), "{report}");
}

#[test]
fn a_token_discord_rejects_is_named_with_where_to_get_a_new_one() {
    let rejects: http::Route =
        |path| path.ends_with("/users/@me").then_some((401, r#"{"message": "401: Unauthorized", "code": 0}"#));
    let port = http::standin(rejects);
    let dir = tempfile::tempdir().unwrap();
    let config = format!("{}[discord]\napi_base = \"http://127.0.0.1:{port}\"\n", base(dir.path()));
    let token = "MTAxMjM0NTY3ODkwMTIzNDU2Nw.GabcDe.abcdefghijklmnopqrstuvwxyz0123456789AB";
    let (passed, report) = doctor(dir.path(), &config, &[("DISCORD_TOKEN", token)]);
    assert!(!passed, "{report}");
    let said = line(&report, "discord token");
    assert!(said.starts_with("FAIL") && said.contains("Reset Token"), "{report}");
    assert!(!report.contains(token), "the token is never printed");
}

#[test]
fn each_server_says_whether_the_invite_granted_what_the_bot_needs() {
    const ME: &str = r#"{"id": "900000000000000001", "username": "policybot", "discriminator": "0", "global_name": null, "avatar": null, "bot": true}"#;
    // One server invited with the README's URL; one where Embed Links and
    // Add Reactions were left out (View Channel, Send Messages, Send in
    // Threads, Read Message History).
    const GUILDS: &str = r#"[
        {"id": "900000000000000003", "name": "Invited right", "icon": null, "owner": false, "permissions": "274877992000", "features": []},
        {"id": "900000000000000013", "name": "Invited short", "icon": null, "owner": false, "permissions": "274877975552", "features": []}
    ]"#;
    let route: http::Route = |path| match path {
        p if p.ends_with("/users/@me") => Some((200, ME)),
        p if p.contains("/users/@me/guilds") => Some((200, GUILDS)),
        _ => Some((404, r#"{"message": "Unknown", "code": 0}"#)),
    };
    let port = http::standin(route);
    let dir = tempfile::tempdir().unwrap();
    let config = format!("{}[discord]\napi_base = \"http://127.0.0.1:{port}\"\n", base(dir.path()));
    let token = "MTAxMjM0NTY3ODkwMTIzNDU2Nw.GabcDe.abcdefghijklmnopqrstuvwxyz0123456789AB";
    let (passed, report) = doctor(dir.path(), &config, &[("DISCORD_TOKEN", token)]);
    assert!(!passed, "{report}");
    assert!(line(&report, "discord token").starts_with("ok ") && report.contains("the bot is policybot"), "{report}");
    let right = line(&report, "server 900000000000000003");
    assert!(right.starts_with("ok ") && right.contains("Invited right"), "{report}");
    let short = line(&report, "server 900000000000000013");
    assert!(short.starts_with("FAIL") && short.contains("missing Embed Links, Add Reactions"), "{report}");
}
