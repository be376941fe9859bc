//! The real `policybot` binary end to end: ask (plain and JSON lines), topics,
//! check, import, the console chat over piped stdin, and clear errors.

#[path = "support/warm.rs"]
mod warm;

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn bot() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_policybot"));
    c.env_remove("RUST_LOG")
        .env_remove("DISCORD_TOKEN")
        .env_remove("MATRIX_PASSWORD")
        .env_remove("MATRIX_ACCESS_TOKEN");
    c
}

fn bot_with(config: &std::path::Path) -> Command {
    let mut c = bot();
    c.arg("--config").arg(config);
    c
}

/// The console chat, asked for explicitly (stdin is a pipe here, not a
/// terminal).
fn console_with(config: &std::path::Path) -> Command {
    let mut c = bot_with(config);
    c.args(["run", "--console"]);
    c
}

fn run_with_stdin(mut cmd: Command, input: &[u8]) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Written from a thread so a large input cannot deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn ask_json_stdin_writes_one_object_per_line_in_order() {
    let huge = "sanctuary".repeat(2_300);
    let lines = [
        "does ms have sanctuary cities?",
        "",
        "   ",
        "🤔",
        "\u{200b}",
        "<@42> @everyone",
        "'; DROP TABLE faq; --",
        huge.as_str(),
        "How do I get ice off my car windshield fast?",
        "sanctuary",
    ];
    let mut input = lines.join("\n").into_bytes();
    input.extend_from_slice(b"\n\xff\xfe invalid utf8\n");
    let mut cmd = bot();
    cmd.args(["ask", "--json", "-"]);
    let out = run_with_stdin(cmd, &input);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let objects: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    assert_eq!(objects.len(), lines.len() + 1);
    for (object, line) in objects.iter().zip(lines) {
        assert_eq!(object["input"], line);
        for key in ["outcome", "entry", "score", "suggestions", "claims", "text"] {
            assert!(object.get(key).is_some(), "missing {key} in {object}");
        }
        let score = object["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&score));
    }
    assert_eq!(objects[0]["outcome"], "answer");
    assert_eq!(objects[0]["entry"]["id"], "current-policies");
    assert!(objects[0]["claims"].as_array().unwrap().iter().all(|c| c["status"].is_string()));
    for junk in &objects[1..9] {
        assert_ne!(junk["outcome"], "answer", "{junk}");
        assert!(junk["entry"].is_null());
    }
    assert_eq!(objects[9]["outcome"], "suggest");
    assert!(objects[9]["suggestions"].as_array().unwrap().len() <= 3);
}

#[test]
fn ask_json_says_small_talk_for_a_greeting_not_none() {
    let mut cmd = bot();
    cmd.args(["ask", "--json", "-"]);
    let out = run_with_stdin(cmd, b"hi\nwhat can you do\nbest pizza in jackson\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let objects: Vec<Value> =
        text(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    let outcomes: Vec<&str> = objects.iter().map(|o| o["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["small_talk", "small_talk", "none"]);
    // The welcome names topics; "none" is kept for what no entry answers.
    assert!(objects[0]["text"].as_str().unwrap().contains("State law"), "{}", objects[0]["text"]);
    assert!(objects[0]["entry"].is_null() && objects[0]["suggestions"].as_array().unwrap().is_empty());
}

#[test]
fn ask_plain_shows_the_caveat_footer_and_disputed_claims() {
    let out =
        bot().args(["ask", "What", "did", "Governor", "Phil", "Bryant", "sign", "into", "law?"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Q: Are there any recent changes"), "{stdout}");
    assert!(stdout.contains("Disputed"), "{stdout}");
    assert!(stdout.contains("Senate Bill 2710"), "{stdout}");
    assert!(stdout.contains("not legal advice"), "{stdout}");
    assert!(stdout.contains("/claims recent-changes"), "{stdout}");
}

#[test]
fn topics_json_lists_every_entry_once() {
    let out = bot().args(["topics", "--json"]).output().unwrap();
    assert!(out.status.success());
    let topics: Value = serde_json::from_slice(&out.stdout).unwrap();
    let topics = topics.as_array().unwrap();
    assert_eq!(topics.len(), 5);
    let entries: usize = topics.iter().map(|t| t["entries"].as_array().unwrap().len()).sum();
    assert_eq!(entries, 20);
}

#[test]
fn check_passes_the_shipped_knowledge_and_finds_the_contradiction() {
    let out = bot().args(["check"]).output().unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("20 entries"), "{stdout}");
    assert!(stdout.contains("contradiction: SB 2710"), "{stdout}");
    assert!(stdout.contains("2017") && stdout.contains("2019"), "{stdout}");
}

#[test]
fn check_fails_with_located_errors_for_broken_knowledge() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "title = \"T\"\n[[entry]]\nid = \"x\"\ntopic = \"t\"\nquestion = \"q?\"\nanswer = \"a\"\ncolour = \"red\"\n",
    )
    .unwrap();
    let out = bot().args(["check"]).arg(dir.path()).output().unwrap();
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("bad.toml:7:1: unknown field `colour`"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn import_turns_the_seed_into_twenty_loadable_entries() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("k").join("seed.toml");
    let out = bot().args(["import", "tests/data/mississippi-ice-faq.txt", "--out"]).arg(&out_path).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("imported 20 entries"));
    let kb = policybot::knowledge::load_dir(out_path.parent().unwrap()).unwrap();
    assert_eq!(kb.entries.len(), 20);
    let seed = std::fs::read_to_string("tests/data/mississippi-ice-faq.txt").unwrap();
    for entry in &kb.entries {
        assert!(seed.contains(&entry.question), "question not verbatim: {}", entry.question);
        // Imported claims are written unverified; the lint's findings are
        // shown disputed but never written into the claim.
        assert!(entry.claims.iter().all(|c| c.status == policybot::knowledge::ClaimStatus::Unverified));
    }
    // Answers keep their own numbered lists.
    assert!(kb.entries.iter().any(|e| e.answer.contains("\n2. ")));
    // The imported text contradicts itself, and the lint sees it.
    assert_eq!(kb.disputes.contradictions().len(), 1);
    let shown =
        kb.entries.iter().flat_map(|e| kb.claims(e)).filter(|(s, _)| *s == policybot::knowledge::ClaimStatus::Disputed);
    assert!(shown.count() >= 2, "both sides of the contradiction are shown disputed");
    // A second import does not overwrite curated work by accident.
    let again = bot().args(["import", "tests/data/mississippi-ice-faq.txt", "--out"]).arg(&out_path).output().unwrap();
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("--force"));
}

#[test]
fn console_chat_works_over_piped_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let config = data_config(dir.path());
    let script = "/help\n/topics\n/topic state law\n/topic nonsense\ndoes ms have sanctuary cities?\nsanctuary\n1\n/claims court-cases\n/frobnicate\n/reload\nBest pizza place in Jackson?\nbest pizza place in jackson\n/unanswered\n/review\n/quit\nnever read\n";
    let mut cmd = bot();
    cmd.arg("--config").arg(&config).args(["run", "--console"]);
    let out = run_with_stdin(cmd, script.as_bytes());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for expected in [
        "/topics",
        "State law (6 questions)",
        "What legal authority allows Mississippi",
        "there is no topic \"nonsense\"",
        "Q: What are the current state and local ICE cooperation policies in Mississippi?",
        "Did you mean:",
        "[disputed] SB 2710 was passed in 2019.",
        "unknown command /frobnicate",
        "Reloaded: 20 entries (0 added, 0 removed, 0 changed)",
        "2× \"best pizza place in jackson\"",
        "Review queue, most asked first (1–2 of 2):",
        "1. 2 asked: \"best pizza place in jackson\"",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in:\n{stdout}");
    }
    assert!(!stdout.contains("never read"));
    // Picking suggestion 1 answers that entry.
    let after_suggest = stdout.split("Did you mean:").nth(1).unwrap();
    assert!(after_suggest.contains("Q: "), "{stdout}");

    // The records outlive the chat: the CLI reads them back.
    let out = bot().arg("--config").arg(&config).args(["unanswered", "--json", "--since", "1h"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listing["total"], 1, "{listing:#}");
    assert_eq!(listing["groups"][0]["count"], 2);
    // The review queue from the host: the pick is kept with its entry.
    let out = bot().arg("--config").arg(&config).args(["review", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let queue: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(queue["total"], 2, "{queue:#}");
    let picked = &queue["groups"][1];
    assert_eq!((picked["texts"][0].as_str(), picked["asked"].as_u64()), (Some("sanctuary"), Some(1)), "{queue:#}");
    assert_eq!(picked["picked"][0][1], 1, "{queue:#}");
    let out = bot().arg("--config").arg(&config).args(["stats", "--json"]).output().unwrap();
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    let outcomes: Vec<(String, u64)> = stats["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["outcome"].as_str().unwrap().to_owned(), o["count"].as_u64().unwrap()))
        .collect();
    for outcome in ["answer", "suggest", "none"] {
        assert!(outcomes.iter().any(|(o, n)| o == outcome && *n > 0), "{outcomes:?}");
    }
}

#[test]
fn errors_are_one_clear_line_without_a_panic() {
    let out = bot().args(["--config", "does-not-exist.toml", "topics"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("error: does-not-exist.toml: cannot read the config file"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");

    let out = bot().args(["--knowledge", "no/such/dir", "ask", "hi"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cannot read the knowledge directory"), "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"));
}

/// A full disk or a reader that went away is an output problem, not a bug:
/// one error line (or, for a closed pipe, the quiet exit Unix tools give).
#[test]
fn output_that_cannot_be_written_is_one_line_not_a_panic() {
    for args in [&["topics"][..], &["check"], &["claims"], &["ask", "hello"]] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let out =
            bot().args(["--config", "config.toml"]).args(args).env("RUST_LOG", "error").stdout(full).output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert_eq!(stderr.trim(), "error: cannot write the output: No space left on device (os error 28)", "{args:?}");
    }

    // `policybot check | head -0`: the reader is gone before the first line,
    // so the write meets a closed pipe for certain.
    let mut child =
        bot().args(["check"]).env("RUST_LOG", "error").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert!(stderr.trim().is_empty(), "{stderr}");
    assert!(!out.status.success());
}

/// "help" typed the way people type it is the help, not an FAQ answer.
#[test]
fn console_help_in_any_spelling_shows_the_help() {
    // A config of its own: run over the project's knowledge with the shipped
    // config would record files being edited in the project's repository.
    let dir = tempfile::tempdir().unwrap();
    let out = run_with_stdin(console_with(&data_config(dir.path())), b"help\n!help\nHelp?\n/help\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.matches("show this help").count(), 4, "{stdout}");
    assert!(!stdout.contains("Q: "), "{stdout}");
}

/// A config over the shipped knowledge with a data directory in `dir` whose
/// vector cache is warm.
fn data_config(dir: &std::path::Path) -> std::path::PathBuf {
    warm::vectors_into(&dir.join("data"));
    warm::shipped_config(dir)
}

/// Another process holding the records database's write lock for 12 s
/// (a backup, a sqlite3 shell left open) delays the records, loses none.
#[test]
fn records_written_while_another_process_holds_the_lock_are_all_kept() {
    let dir = tempfile::tempdir().unwrap();
    let config = data_config(dir.path());
    // The database exists (a first run made it) before the lock is taken.
    let out = run_with_stdin(console_with(&config), b"hello\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let db = dir.path().join("data").join("policybot.db");
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder
        .execute_batch(
            "BEGIN IMMEDIATE; INSERT INTO answers (time_ms, platform, outcome, confidence) VALUES (0, 'x', 'x', 0);",
        )
        .unwrap();

    let mut child = console_with(&config)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for i in 0..9 {
        writeln!(stdin, "pizza question number {i}").unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    std::thread::sleep(Duration::from_secs(9));
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);
    std::thread::sleep(Duration::from_secs(3));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.matches("records not saved yet").count(), 1, "{stderr}");
    assert!(stderr.contains("held records saved"), "{stderr}");

    let out = bot_with(&config).args(["unanswered", "--json"]).output().unwrap();
    let listing: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Near-identical questions are grouped; every one is counted.
    let kept: u64 = listing["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["question"].as_str().unwrap().starts_with("pizza question number"))
        .map(|g| g["count"].as_u64().unwrap())
        .sum();
    assert_eq!(kept, 9, "{listing:#}");
}

/// A records database that cannot be used stops the records, not the
/// answers: one warning naming the file, and moderators asking are told why.
#[test]
fn a_broken_records_database_leaves_the_bot_answering_with_records_off() {
    fn newer(db: &std::path::Path) {
        let conn = rusqlite::Connection::open(db).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    fn garbage(db: &std::path::Path) {
        std::fs::write(db, vec![0x5a; 4096]).unwrap();
    }
    fn directory(db: &std::path::Path) {
        std::fs::create_dir(db).unwrap();
    }
    type Make = fn(&std::path::Path);
    for (case, make) in [("newer", newer as Make), ("garbage", garbage), ("directory", directory)] {
        let dir = tempfile::tempdir().unwrap();
        let config = data_config(dir.path());
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        let db = dir.path().join("data").join("policybot.db");
        make(&db);
        let out = run_with_stdin(console_with(&config), b"does ms have sanctuary cities?\n/unanswered\n");
        assert!(out.status.success(), "{case}: {}", text(&out.stderr));
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(stdout.contains("Q: "), "{case}: not answered:\n{stdout}");
        assert!(
            stdout.contains(&format!("records are off: cannot open the records database {}", db.display())),
            "{case}: {stdout}"
        );
        let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("records are off")).collect();
        assert_eq!(warnings.len(), 1, "{case}: {stderr}");
        assert!(warnings[0].contains(&db.display().to_string()), "{case}: {stderr}");
        // The CLI names the file too.
        let out = bot_with(&config).args(["stats"]).output().unwrap();
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains(&db.display().to_string()), "{case}: {}", text(&out.stderr));
    }

    // A file truncated to nothing is started afresh, with a warning.
    let dir = tempfile::tempdir().unwrap();
    let config = data_config(dir.path());
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data").join("policybot.db"), b"").unwrap();
    let out = run_with_stdin(console_with(&config), b"pizza?\n");
    assert!(text(&out.stderr).contains("empty file (truncated?)"), "{}", text(&out.stderr));
    let out = bot_with(&config).args(["stats", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// A secret that is not UTF-8 is an error naming it, not a silent "unset".
#[cfg(all(unix, feature = "discord"))]
#[test]
fn a_secret_that_is_not_utf8_is_named_not_ignored() {
    use std::os::unix::ffi::OsStrExt;
    let out = bot()
        .env("DISCORD_TOKEN", std::ffi::OsStr::from_bytes(b"tok\xffen"))
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr).trim(), "error: DISCORD_TOKEN is not valid UTF-8; set it again");
}

/// After "did you mean": a number off the list gets the valid range and is
/// not taken as a question; 0 turns the list down and notes the question.
#[test]
fn console_picks_take_zero_for_none_and_explain_an_out_of_range_number() {
    let dir = tempfile::tempdir().unwrap();
    let config = data_config(dir.path());
    let out = run_with_stdin(console_with(&config), b"training and trust\n9\n0\n7\n/unanswered\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Did you mean:") || stdout.contains("did you mean"), "{stdout}");
    assert!(stdout.contains("from the list, or 0 for none of these."), "{stdout}");
    assert!(stdout.contains("noted the question for the moderators"), "{stdout}");
    let listing = stdout.split("Unanswered questions").nth(1).unwrap_or_else(|| panic!("{stdout}"));
    assert!(listing.contains("1× \"training and trust\""), "{listing}");
    // "9" was not a question; "7" after the list closed is one (no list is open).
    assert!(!listing.contains("\"9\""), "{listing}");
}

/// `alias add` and `alias remove` on a copy of the shipped knowledge: one
/// line each way, the phrasing answered outright in between, the file byte
/// for byte as it was after the remove, and a refused change that leaves it
/// untouched and exits non-zero with one line.
#[test]
fn alias_add_and_remove_change_one_line_and_a_refusal_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["mississippi-ice.toml", "tests.toml"] {
        std::fs::copy(std::path::Path::new("knowledge").join(name), dir.path().join(name)).unwrap();
    }
    let file = dir.path().join("mississippi-ice.toml");
    let original = std::fs::read_to_string(&file).unwrap();
    let knowledge = dir.path().to_str().unwrap();
    let phrasing = "Are there any places in the state that shield people from deportation?";

    let out = bot().args(["--knowledge", knowledge, "alias", "add", "current-policies", phrasing]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 1, "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("added the phrasing"));
    let changed = std::fs::read_to_string(&file).unwrap();
    let added: Vec<&str> = changed.lines().filter(|l| !original.lines().any(|o| o == *l)).collect();
    assert_eq!(added, [format!("  \"{phrasing}\",")]);
    assert_eq!(changed.lines().count(), original.lines().count() + 1);

    let asked = bot().args(["--knowledge", knowledge, "ask", "--json", phrasing]).output().unwrap();
    let line: Value = serde_json::from_slice(&asked.stdout).unwrap();
    assert_eq!((line["outcome"].as_str(), line["entry"]["id"].as_str()), (Some("answer"), Some("current-policies")));

    let out = bot().args(["--knowledge", knowledge, "alias", "remove", "current-policies", phrasing]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);

    // Another entry's phrasing, and an entry that does not exist: refused,
    // one line each, nothing written.
    for (args, says) in [
        (["current-policies", "Does Mississippi have sanctuary cities?"], "already a phrasing of entry"),
        (["no-such-entry", "anything at all"], "there is no entry \"no-such-entry\""),
    ] {
        // (RUST_LOG=error: a build without the model warns that it matches by
        // words alone, which is not the refusal's line.)
        let out = bot()
            .args(["--knowledge", knowledge, "alias", "add"])
            .args(args)
            .env("RUST_LOG", "error")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = text(&out.stderr);
        assert!(err.contains(says) && err.trim().lines().count() == 1, "{err}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), original);
    }
    // (The directory's history is a .git folder beside them.)
    let files = std::fs::read_dir(dir.path()).unwrap().filter(|e| e.as_ref().unwrap().path().is_file()).count();
    assert_eq!(files, 2, "nothing left beside the files");

    // A claim checked, an answer from stdin, a new entry: one line each,
    // and `claims` and `ask` see them at once.
    let out = bot()
        .args(["--knowledge", knowledge, "claim", "set", "community-trust#1", "verified"])
        .args(["--source", "https://example.org/trust-survey", "--checked", "2026-11-30"])
        .output()
        .unwrap();
    assert!(out.status.success() && text(&out.stdout).lines().count() == 1, "{}", text(&out.stderr));
    let claims = bot().args(["--knowledge", knowledge, "claims", "--status", "verified"]).output().unwrap();
    assert!(text(&claims.stdout).contains("https://example.org/trust-survey"), "{}", text(&claims.stdout));
    let mut child = bot()
        .args(["--knowledge", knowledge, "answer", "community-trust", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"Trust varies from town to town.\nSee the 2026 survey.\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = bot()
        .args(["--knowledge", knowledge, "new", "county-jail-visits", "--topic", "Detention"])
        .args(["--question", "Can I visit someone held in a county jail for ICE?", "--answer", "Call the jail first."])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let kb = policybot::knowledge::load_dir(dir.path()).unwrap();
    assert_eq!(kb.entry("community-trust").unwrap().answer, "Trust varies from town to town.\nSee the 2026 survey.");
    assert_eq!(kb.entry("county-jail-visits").unwrap().answer, "Call the jail first.");
    // verified without a source: refused, one line, nothing written.
    let before = std::fs::read_to_string(&file).unwrap();
    let out = bot().args(["--knowledge", knowledge, "claim", "set", "debates#1", "verified"]).output().unwrap();
    assert!(!out.status.success() && text(&out.stderr).contains("needs a source"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
}

/// Under a service manager stdin is no terminal: with no platform
/// configured the bot says so and exits 1 instead of a console chat that
/// reads end of input and exits 0, which systemd would take for a clean stop.
#[test]
fn no_platform_and_no_terminal_is_an_error_naming_the_tokens_and_the_console() {
    let dir = tempfile::tempdir().unwrap();
    let config = data_config(dir.path());
    for stdin in [Stdio::null(), Stdio::piped()] {
        let out = bot_with(&config).stdin(stdin).env("RUST_LOG", "error").output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
        let err = text(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        for names in ["DISCORD_TOKEN", "MATRIX_PASSWORD", "MATRIX_ACCESS_TOKEN", "policybot run --console"] {
            assert!(err.contains(names), "{names}: {err}");
        }
    }
    // Asked for, the console chat runs on piped input.
    let out = run_with_stdin(console_with(&config), b"/topics\n");
    assert!(out.status.success() && text(&out.stdout).contains("State law"), "{}", text(&out.stderr));
}
