//! The moderators' workflow through the library: reloads that are refused
//! (broken file, failing regression case) keep the old knowledge answering;
//! many questions during repeated reloads each see one whole knowledge base;
//! records survive a kill -9 of the process writing them.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use policybot::answer::Command;
use policybot::bot::{Bot, Sender};
use policybot::config::Config;
use policybot::records::store::{Reader, Store};
use policybot::reply::Reply;

const QUESTION: &str = "does ms have sanctuary cities?";
/// A question the shipped knowledge answers with "did you mean".
const SUGGESTED: &str = "is there a sanctuary city anywhere in mississippi";

fn sender() -> Sender {
    Sender {
        is_moderator: true,
        origin: policybot::records::Keys::ephemeral().origin(policybot::platform::Platform::Matrix, "room", "room"),
        name: Some("Mod".into()),
    }
}

#[path = "support/shipped.rs"]
mod shipped;
use shipped::shipped_copy;

fn answer_text(reply: &Reply) -> &str {
    match reply {
        Reply::Answer { answer, .. } => answer,
        other => panic!("expected an answer, got {}", other.render_plain("/")),
    }
}

fn reload(bot: &Bot) -> Result<(), String> {
    match bot.handle(&Command::Reload, &sender(), "/") {
        Reply::Reloaded(_) => Ok(()),
        other => Err(other.render_plain("/")),
    }
}

fn file(dir: &Path) -> std::path::PathBuf {
    dir.join("mississippi-ice.toml")
}

#[test]
fn refused_reloads_keep_the_old_knowledge_answering() {
    let dir = shipped_copy();
    let bot = Bot::load(Config::default(), dir.path().to_path_buf()).unwrap();
    let before = answer_text(&bot.handle(&Command::Ask(QUESTION.into()), &sender(), "/")).to_owned();
    let original = std::fs::read_to_string(file(dir.path())).unwrap();

    // A syntax error: refused with file:line:column.
    std::fs::write(file(dir.path()), original.replacen("[[entry]]", "[[entry]", 1)).unwrap();
    let err = reload(&bot).unwrap_err();
    assert!(err.contains("Reload refused") && err.contains("mississippi-ice.toml:"), "{err}");
    assert_eq!(answer_text(&bot.handle(&Command::Ask(QUESTION.into()), &sender(), "/")), before);

    // Valid TOML that breaks a regression case: the entry that answered it
    // is gone. Refused, naming the case.
    let without = original.replacen("id = \"court-cases\"", "id = \"lawsuits\"", 1);
    std::fs::write(file(dir.path()), without).unwrap();
    let err = reload(&bot).unwrap_err();
    assert!(
        err.contains("tests.toml:") && err.contains("expects entry \"court-cases\", which does not exist"),
        "{err}"
    );
    assert!(bot.knowledge().entry("court-cases").is_some());

    // A non-moderator cannot reload at all.
    std::fs::write(file(dir.path()), &original).unwrap();
    let refused = bot.handle(&Command::Reload, &Sender { is_moderator: false, ..sender() }, "/");
    assert!(refused.render_plain("/").contains("moderators only"));
    assert!(bot.metrics.render().contains("policybot_reloads_total{result=\"failed\"} 2"));
    reload(&bot).unwrap();
}

#[test]
fn many_questions_during_repeated_reloads_each_see_one_whole_knowledge_base() {
    let dir = shipped_copy();
    let original = std::fs::read_to_string(file(dir.path())).unwrap();
    let bot = Bot::load(Config::default(), dir.path().to_path_buf()).unwrap();
    let old = answer_text(&bot.handle(&Command::Ask(QUESTION.into()), &sender(), "/")).to_owned();
    let first_line = old.lines().next().unwrap().to_owned();
    let edited = original.replacen(&first_line, &format!("{first_line} VERSIONB."), 1);
    let new = old.replacen(&first_line, &format!("{first_line} VERSIONB."), 1);
    let done = AtomicBool::new(false);
    let asked = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..8 {
            let (bot, done, asked, old, new) = (&bot, &done, &asked, &old, &new);
            s.spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    let reply = bot.handle(&Command::Ask(QUESTION.into()), &sender(), "/");
                    let text = answer_text(&reply);
                    assert!(text == old || text == new, "a mixed answer: {text}");
                    asked.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        for round in 0..20 {
            // Every third round is a broken save that must change nothing.
            let text = match round % 3 {
                0 => edited.clone(),
                1 => original.clone(),
                _ => "title = \"half-written".to_owned(),
            };
            std::fs::write(file(dir.path()), text).unwrap();
            assert_eq!(reload(&bot).is_ok(), round % 3 != 2, "round {round}");
        }
        done.store(true, Ordering::Relaxed);
    });
    assert!(asked.load(Ordering::Relaxed) > 100, "only {} questions", asked.load(Ordering::Relaxed));
}

/// Not a test on its own: the process that `records_survive_a_kill_9_mid_write`
/// starts and kills. It writes records as fast as it can until killed.
#[test]
#[ignore = "started as a child process by records_survive_a_kill_9_mid_write"]
fn child_writes_records_until_killed() {
    let Ok(dir) = std::env::var("POLICYBOT_TEST_DATA") else { return };
    let store = Store::open(Path::new(&dir), Duration::from_secs(86_400)).unwrap();
    let origin = policybot::records::Keys::ephemeral().origin(policybot::platform::Platform::Matrix, "room", "room");
    for i in 0u64.. {
        store.record_unanswered(origin, &format!("question number {i}"), false);
        store.record_feedback(origin, "training", i % 2 == 0, &format!("vote-{i}"));
        store.record_answer(origin, policybot::records::Outcome::None, None, 0.1);
        if i % 64 == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

#[test]
fn records_survive_a_kill_9_mid_write() {
    let data = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["child_writes_records_until_killed", "--exact", "--ignored", "--nocapture"])
        .env("POLICYBOT_TEST_DATA", data.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Let it write for a while, then kill it without warning (SIGKILL).
    let db = data.path().join(policybot::records::store::FILE);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while Reader::open(data.path()).and_then(|r| r.unanswered(None, None)).map_or(0, |u| u.len()) < 1_000 {
        assert!(std::time::Instant::now() < deadline, "the child wrote nothing");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    // The database is whole, and everything committed is there.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    drop(conn);
    let reader = Reader::open(data.path()).unwrap();
    let kept = reader.unanswered(None, None).unwrap().len();
    let stats = reader.stats(None, None).unwrap();
    assert!(kept >= 1_000, "{kept}");
    let votes = &stats.entries.iter().find(|e| e.entry == "training").unwrap();
    assert!(votes.helpful + votes.not_helpful >= 1_000, "{votes:?}");

    // A restart opens it and keeps recording.
    let store = Store::open(data.path(), Duration::from_secs(86_400)).unwrap();
    store.record_unanswered(
        policybot::records::Keys::ephemeral().origin(policybot::platform::Platform::Matrix, "room", "room"),
        "after the restart",
        false,
    );
    store.flush();
    let after = store.reader().unwrap().unanswered(None, None).unwrap();
    assert_eq!(after.len(), kept + 1);
    assert_eq!(after.last().unwrap().text, "after the restart");
}

/// Reloads counted by the metrics, by result.
fn reloads(bot: &Bot) -> (u64, u64) {
    let text = bot.metrics.render();
    let count = |result: &str| {
        let prefix = format!("policybot_reloads_total{{result=\"{result}\"}} ");
        text.lines().find_map(|l| l.strip_prefix(&prefix)).and_then(|n| n.parse().ok()).unwrap_or(u64::MAX)
    };
    (count("ok"), count("failed"))
}

#[test]
fn the_watcher_reloads_once_per_save_and_never_for_reads() {
    let dir = shipped_copy();
    let bot = std::sync::Arc::new(Bot::load(Config::default(), dir.path().to_path_buf()).unwrap());
    let _watcher = policybot::watch::start(bot.clone(), dir.path()).unwrap();
    let settle = || std::thread::sleep(Duration::from_millis(1_200));
    // Reading files (an editor opening them, `cat`, the reload's own reads)
    // changes nothing.
    for _ in 0..5 {
        std::fs::read_to_string(file(dir.path())).unwrap();
        std::fs::read_to_string(dir.path().join("tests.toml")).unwrap();
    }
    settle();
    assert_eq!(reloads(&bot), (0, 0), "reloaded without a change");
    // A /reload with nothing changed reads every file: that one reload, and
    // the watcher starts none after it.
    reload(&bot).unwrap();
    settle();
    assert_eq!(reloads(&bot), (1, 0), "the watcher reloaded after /reload's reads");
    // A save reloads once, and the reload's own reads start no other.
    let original = std::fs::read_to_string(file(dir.path())).unwrap();
    std::fs::write(file(dir.path()), format!("{original}\n# edited\n")).unwrap();
    settle();
    settle();
    assert_eq!(reloads(&bot), (2, 0));
    // A broken save is refused once, not again on every read after it.
    std::fs::write(file(dir.path()), original.replacen("[[entry]]", "[[entry]", 1)).unwrap();
    settle();
    std::fs::read_to_string(file(dir.path())).unwrap();
    settle();
    assert_eq!(reloads(&bot), (2, 1));
    assert!(!answer_text(&bot.handle(&Command::Ask(QUESTION.into()), &sender(), "/")).is_empty());
}

/// The first `n` entries of the shipped file: a valid file, as a save caught
/// half-way through would be.
fn first_entries(original: &str, n: usize) -> String {
    let cut = original.match_indices("\n[[entry]]").nth(n).unwrap().0;
    original[..cut].to_owned()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_save_written_in_pieces_is_read_once_whole_and_a_large_drop_waits_for_a_moderator() {
    let dir = shipped_copy();
    // Without a regression set nothing else stands between a prefix and the users.
    std::fs::remove_file(dir.path().join("tests.toml")).unwrap();
    let bot = std::sync::Arc::new(Bot::load(Config::default(), dir.path().to_path_buf()).unwrap());
    let _watcher = policybot::watch::start(bot.clone(), dir.path()).unwrap();
    let original = std::fs::read_to_string(file(dir.path())).unwrap();
    let edited = format!("{original}\n# edited\n");

    // A writer that pauses mid-file: the first half, a pause, the rest.
    let watching = AtomicBool::new(true);
    let smallest = AtomicUsize::new(usize::MAX);
    std::thread::scope(|s| {
        s.spawn(|| {
            while watching.load(Ordering::SeqCst) {
                smallest.fetch_min(bot.knowledge().entries.len(), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        let mut f = std::fs::File::create(file(dir.path())).unwrap();
        let half = first_entries(&edited, 10);
        std::io::Write::write_all(&mut f, half.as_bytes()).unwrap();
        f.sync_all().unwrap();
        std::thread::sleep(Duration::from_millis(250));
        std::io::Write::write_all(&mut f, &edited.as_bytes()[half.len()..]).unwrap();
        drop(f);
        wait_until("the edit is served", || reloads(&bot) != (0, 0));
        std::thread::sleep(Duration::from_millis(1_500));
        watching.store(false, Ordering::SeqCst);
    });
    assert_eq!(reloads(&bot), (1, 0), "one reload for one save");
    assert_eq!(smallest.load(Ordering::SeqCst), 20, "a prefix of the file was served");

    // A valid save that drops half the entries is held back...
    std::fs::write(file(dir.path()), first_entries(&original, 10)).unwrap();
    wait_until("the save is seen", || reloads(&bot) != (1, 0));
    assert_eq!(reloads(&bot), (1, 1));
    assert_eq!(bot.knowledge().entries.len(), 20);
    // ...until a moderator asks, and the report gives the same numbers.
    match bot.handle(&Command::Reload, &sender(), "/") {
        Reply::Reloaded(report) => {
            assert_eq!((report.entries, report.removed.len()), (10, 10));
            assert!(report.warnings.iter().any(|w| w.contains("removed 10 of 20 entries")), "{:?}", report.warnings);
        }
        other => panic!("{}", other.render_plain("/")),
    }
    assert_eq!(bot.knowledge().entries.len(), 10);
}

#[test]
fn concurrent_reloads_never_leave_older_files_in_use() {
    let dir = shipped_copy();
    let bot = Bot::load(Config::default(), dir.path().to_path_buf()).unwrap();
    let original = std::fs::read_to_string(file(dir.path())).unwrap();
    let version = |n: usize| original.replacen("What are the current", &format!("(v{n}) What are the current"), 1);
    let question = |bot: &Bot| {
        bot.knowledge().entries.iter().find(|e| e.question.contains("What are the current")).unwrap().question.clone()
    };
    // Saves are atomic (write aside, rename), as editors and deploy tools
    // make them: a plain truncate-and-write could be read half-done by one
    // of the concurrent reloads, which is then rightly refused and is not
    // what this test is about.
    let save = |text: String| {
        let aside = dir.path().join(".mississippi-ice.toml.partial");
        std::fs::write(&aside, text).unwrap();
        std::fs::rename(&aside, file(dir.path())).unwrap();
    };
    // Each round: a save, then reloads from four triggers at once; one more
    // save lands while they run. Whatever finishes last must have read the
    // newest files.
    for round in 0..8 {
        save(version(2 * round));
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| reload(&bot).unwrap());
            }
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(20));
                save(version(2 * round + 1));
                reload(&bot).unwrap();
            });
        });
        assert!(question(&bot).starts_with(&format!("(v{}) ", 2 * round + 1)), "round {round}: {}", question(&bot));
    }
}

#[test]
fn a_knowledge_directory_deleted_and_made_again_is_watched_again() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("knowledge");
    std::fs::create_dir(&dir).unwrap();
    let shipped = shipped_copy();
    let copy_into = |to: &Path| {
        for name in ["mississippi-ice.toml", "tests.toml"] {
            std::fs::copy(shipped.path().join(name), to.join(name)).unwrap();
        }
    };
    copy_into(&dir);
    let bot = std::sync::Arc::new(Bot::load(Config::default(), dir.clone()).unwrap());
    let _watcher = policybot::watch::start(bot.clone(), &dir).unwrap();

    std::fs::remove_dir_all(&dir).unwrap();
    std::thread::sleep(Duration::from_millis(2_500));
    assert_eq!(bot.knowledge().entries.len(), 20, "the last good knowledge stays");
    std::fs::create_dir(&dir).unwrap();
    copy_into(&dir);
    let original = std::fs::read_to_string(file(&dir)).unwrap();
    std::fs::write(file(&dir), original.replacen("What are the current", "(back) What are the current", 1)).unwrap();
    let served = |bot: &Bot| bot.knowledge().entries.iter().any(|e| e.question.starts_with("(back) "));
    wait_until("the recreated directory is read", || served(&bot));
    let (ok, _) = reloads(&bot);
    // And a later save there is seen, once.
    std::fs::write(file(&dir), original.replacen("What are the current", "(again) What are the current", 1)).unwrap();
    wait_until("a save in it is read", || bot.knowledge().entries.iter().any(|e| e.question.starts_with("(again) ")));
    std::thread::sleep(Duration::from_millis(2_000));
    assert_eq!(reloads(&bot).0, ok + 1);
}

#[test]
fn privacy_says_what_is_kept_and_for_how_long_and_that_is_what_is_kept() {
    let dir = shipped_copy();
    let data = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.data.retention_days = 30;
    let mut bot = Bot::load(config, dir.path().to_path_buf()).unwrap();
    let privacy = |bot: &Bot| bot.handle(&Command::Privacy, &sender(), "/").render_plain("/");
    assert!(privacy(&bot).starts_with("I keep no record of what you ask"), "{}", privacy(&bot));

    let store = Store::open(data.path(), Duration::from_secs(30 * 86_400)).unwrap();
    bot.set_store(store, policybot::records::Keys::ephemeral());
    let said = privacy(&bot);
    assert!(said.contains("kept as text for 30 days, without who asked"), "{said}");
    assert!(said.contains("\"did you mean\" choices for (with the choice picked"), "{said}");
    assert!(said.contains("got a 👎 (with that answer)"), "{said}");
    assert!(said.contains("answer outright, only which answer I gave is counted; the question is not kept"), "{said}");
    // What it says is what happens: the question answered outright is not
    // kept; the unanswered one, the one offered choices (with the pick) and
    // the one voted down (with its answer) are, and nothing names the asker.
    let unanswerable = "zxcv qwerty asdf";
    assert!(matches!(bot.handle(&Command::Ask(QUESTION.into()), &sender(), "/"), Reply::Answer { .. }));
    assert!(matches!(bot.handle(&Command::Ask(unanswerable.into()), &sender(), "/"), Reply::NoMatch { .. }));
    let (offered, picked) = (SUGGESTED, "are there limits on what ice agents can do here");
    // One place (sender() makes a new hash key each time).
    let asker = sender();
    for q in [offered, picked] {
        let reply = bot.handle(&Command::Ask(q.into()), &asker, "/");
        assert!(matches!(reply, Reply::Suggest { .. }), "{q}: {}", reply.render_plain("/"));
    }
    bot.picked(asker.origin, "limits-on-ice", Some(picked));
    bot.feedback(asker.origin, "current-policies", false, "answer-1", "voter-1", Some(QUESTION));
    bot.feedback(asker.origin, "current-policies", true, "answer-2", "voter-1", Some(QUESTION));
    bot.store().unwrap().flush();
    let reader = Reader::open(data.path()).unwrap();
    let kept: Vec<String> = reader.unanswered(None, None).unwrap().into_iter().map(|u| u.text).collect();
    assert_eq!(kept, [unanswerable]);
    let taught: Vec<(String, &str, Option<String>)> =
        reader.teaching(None, None).unwrap().into_iter().map(|u| (u.text, u.kind.as_str(), u.entry)).collect();
    let own = |s: &str| s.to_owned();
    assert_eq!(
        taught,
        [
            (own(unanswerable), "unanswered", None),
            (own(offered), "offered", None),
            (own(picked), "picked", Some(own("limits-on-ice"))),
            (own(QUESTION), "downvoted", Some(own("current-policies"))),
        ]
    );
}

/// An edit through the write path (what `policybot alias add` does) is
/// picked up by a running bot's watcher: one reload, and the new phrasing
/// answered outright with the entry it was added to.
#[test]
fn a_running_bot_picks_up_an_edit_through_the_write_path_once() {
    use policybot::knowledge::edit::{Edit, apply};
    let dir = shipped_copy();
    let bot = std::sync::Arc::new(Bot::load(Config::default(), dir.path().to_path_buf()).unwrap());
    let mut log = bot.moderation_log().subscribe();
    let _watcher = policybot::watch::start(bot.clone(), dir.path()).unwrap();
    let phrasing = "Are there towns here that refuse to help immigration agents?";
    let edit = Edit::AddAlias { entry: "current-policies".into(), text: phrasing.into() };
    let validate = |d: &Path| policybot::bot::validate(d, None, &Config::default()).map(|_| ());
    apply(dir.path(), &bot.knowledge(), &edit, validate).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while reloads(&bot).0 == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    // Settled: the edit's own write, and the reload's reads, reload once.
    std::thread::sleep(Duration::from_millis(1_500));
    assert_eq!(reloads(&bot), (1, 0));
    match bot.handle(&Command::Ask(phrasing.into()), &sender(), "/") {
        Reply::Answer { entry, .. } => assert_eq!(entry.id, "current-policies"),
        other => panic!("{}", other.render_plain("/")),
    }
    // The moderation log: one line for the reload the save caused.
    assert_eq!(said(&mut log), ["Reloaded after a file save: changed current-policies; 20 entries"]);
    // A broken save: refused, said once; asking to reload it: said once more.
    let path = file(dir.path());
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("[[entry]]", "[[entry]", 1)).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while reloads(&bot).1 == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1_500));
    assert!(bot.handle(&Command::Reload, &sender(), "/").render_plain("/").contains("Reload refused"));
    let lines = said(&mut log);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("Reload refused (after a file save), 1 problem(s), first: "), "{lines:?}");
    assert!(lines[0].contains("mississippi-ice.toml:") && lines[0].ends_with("still serving the previous knowledge"));
    assert!(lines[1].starts_with("Reload refused (on request)"), "{lines:?}");
}

/// Every file in `dir`, by name, with its bytes.
fn snapshot(dir: &Path) -> Vec<(std::ffi::OsString, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        // Not the history's .git folder: it grows with every change.
        .filter(|p| p.is_file())
        .map(|p| (p.file_name().unwrap().to_owned(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    files
}

/// The moderation log lines said since the last call.
fn said(log: &mut tokio::sync::broadcast::Receiver<String>) -> Vec<String> {
    std::iter::from_fn(|| log.try_recv().ok()).collect()
}

#[test]
fn chat_edits_take_the_one_road_answer_from_the_next_message_and_are_logged_once_each() {
    let dir = shipped_copy();
    let bot = Bot::load(Config::default(), dir.path().to_path_buf()).unwrap();
    let mut log = bot.moderation_log().subscribe();
    let command = |text: &str| Command::from_message(text, "!").unwrap();
    let phrasing = "Are there towns here that refuse to help immigration agents?";
    let add = command(&format!("!alias add current-policies {phrasing}"));

    // A member who is not a moderator: refused, nothing written, one line.
    let before = snapshot(dir.path());
    let member = Sender { is_moderator: false, name: Some("Member".into()), ..sender() };
    let refused = bot.handle(&add, &member, "!").render_plain("!");
    assert!(refused.contains("for moderators only"), "{refused}");
    assert_eq!(snapshot(dir.path()), before);
    let lines = said(&mut log);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("Member (Matrix) tried to add the phrasing") && lines[0].contains("not a moderator"));

    // A moderator: done, signed, answered outright from the next message.
    let done = bot.handle(&add, &sender(), "!").render_plain("!");
    assert!(
        done.contains(&format!("Mod (Matrix) added the phrasing \"{phrasing}\" to entry \"current-policies\"")),
        "{done}"
    );
    match bot.handle(&Command::Ask(phrasing.into()), &sender(), "!") {
        Reply::Answer { entry, .. } => assert_eq!(entry.id, "current-policies"),
        other => panic!("{}", other.render_plain("!")),
    }
    assert_eq!(
        said(&mut log),
        [format!("Mod (Matrix) added the phrasing \"{phrasing}\" to entry \"current-policies\"")]
    );

    // A claim checked against a source: the next answer making it shows
    // the check instead of naming it unverified.
    let set = command("!claim set community-trust#1 verified https://example.org/trust-survey 2026-11-30");
    let done = bot.handle(&set, &sender(), "!").render_plain("!");
    assert!(done.contains("to verified, source: https://example.org/trust-survey, checked 2026-11-30"), "{done}");
    match bot.handle(&Command::Ask("do immigrants still trust the police".into()), &sender(), "!") {
        Reply::Answer { entry, footer, .. } => {
            assert_eq!(entry.id, "community-trust");
            assert!(footer.unverified.is_empty(), "{:?}", footer.unverified);
            assert_eq!(footer.checked, ["2026-11-30: https://example.org/trust-survey"]);
        }
        other => panic!("{}", other.render_plain("!")),
    }
    assert_eq!(said(&mut log).len(), 1);

    // A new answer, and a new entry, typed over several lines.
    let answer = "Trust varies by town.\nSee the survey.";
    let done = bot.handle(&command(&format!("!answer community-trust\n{answer}")), &sender(), "!");
    assert!(matches!(done, Reply::Notice { .. }), "{}", done.render_plain("!"));
    let ask = |q: &str| bot.handle(&Command::Ask(q.into()), &sender(), "!");
    assert_eq!(answer_text(&ask("do immigrants still trust the police")), answer);
    let new =
        "!new county-jail-visits\nDetention\nCan I visit someone held in a county jail for ICE?\nCall the jail first.";
    let done = bot.handle(&command(new), &sender(), "!");
    assert!(matches!(done, Reply::Notice { .. }), "{}", done.render_plain("!"));
    assert_eq!(answer_text(&ask("Can I visit someone held in a county jail for ICE?")), "Call the jail first.");
    assert_eq!(said(&mut log).len(), 2);

    // A change that would break the regression set: refused with the case
    // named, every file byte-identical, one line in the log.
    let before = snapshot(dir.path());
    let breaking =
        command("!new training-copy\nTraining\ndo officers get trained on immigration law\nA second answer.");
    let refused = bot.handle(&breaking, &sender(), "!").render_plain("!");
    assert!(refused.contains("Nothing changed") && refused.contains("tests.toml"), "{refused}");
    assert_eq!(snapshot(dir.path()), before);
    let lines = said(&mut log);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("Refused: Mod (Matrix) tried to create entry \"training-copy\""), "{lines:?}");

    // What was written re-loads to the same knowledge the bot serves.
    let reloaded = policybot::knowledge::load_dir(dir.path()).unwrap();
    assert_eq!(reloaded.entries, bot.knowledge().entries);
}

#[test]
fn hand_saves_racing_chat_edits_lose_neither() {
    use std::io::Write;
    let dir = shipped_copy();
    let bot = Bot::load(Config::default(), dir.path().to_path_buf()).unwrap();
    let path = file(dir.path());
    const NOTES: usize = 40;
    const EDITS: usize = 12;
    let phrasing = |i: usize| format!("Is there rule number {i} about towns that refuse to help?");
    let outcomes = std::thread::scope(|s| {
        // The operator's appends (as `echo >>` or an editor writing in place
        // would), every few milliseconds while the edits run.
        s.spawn(|| {
            for k in 0..NOTES {
                let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
                f.write_all(format!("# hand note {k}\n").as_bytes()).unwrap();
                drop(f);
                std::thread::sleep(Duration::from_millis(25));
            }
        });
        (0..EDITS)
            .map(|i| {
                let edit =
                    policybot::knowledge::edit::Edit::AddAlias { entry: "current-policies".into(), text: phrasing(i) };
                bot.handle(&Command::Edit(edit), &sender(), "!").render_plain("!")
            })
            .collect::<Vec<_>>()
    });
    let text = std::fs::read_to_string(&path).unwrap();
    for k in 0..NOTES {
        assert!(text.contains(&format!("# hand note {k}\n")), "the save of note {k} was lost");
    }
    let kb = policybot::knowledge::load_dir(dir.path()).unwrap();
    let aliases = &kb.entry("current-policies").unwrap().aliases;
    let mut done = 0;
    for (i, outcome) in outcomes.iter().enumerate() {
        // Made, or refused because the file kept changing: never reported
        // made and then lost.
        if outcome.starts_with("Done:") {
            done += 1;
            assert!(aliases.contains(&phrasing(i)), "edit {i} was reported made and is gone: {outcome}");
        } else {
            assert!(outcome.contains("kept changing") && !aliases.contains(&phrasing(i)), "{outcome}");
        }
    }
    assert!(done > 0, "{outcomes:?}");
    // What the bot serves is what the files say.
    assert_eq!(bot.knowledge().entry("current-policies").unwrap().aliases, *aliases);
}

#[test]
fn the_review_queue_learns_from_picks_and_its_groups_leave_when_the_knowledge_answers_them() {
    use policybot::platform::Platform;
    let dir = shipped_copy();
    let data = tempfile::tempdir().unwrap();
    let open = || {
        let mut bot = Bot::load(Config::default(), dir.path().to_path_buf()).unwrap();
        let store = Store::open(data.path(), Duration::from_secs(30 * 86_400)).unwrap();
        bot.set_store(store, policybot::records::Keys::load_or_create(data.path()).unwrap());
        bot
    };
    let bot = open();
    let origin = bot.origin(Platform::Matrix, "!room:hs", "!room:hs");
    let moderator = Sender { is_moderator: true, origin, name: Some("Mod".into()) };
    let member = Sender { is_moderator: false, name: None, ..moderator.clone() };
    let command = |text: &str| Command::from_message(text, "!").unwrap();
    let asked = "are there limits on what ice agents can do here";

    // Three askers get "did you mean" and pick the same entry.
    for _ in 0..3 {
        let Reply::Suggest { suggestions, .. } = bot.handle(&Command::Ask(asked.into()), &member, "!") else {
            panic!("expected suggestions for {asked:?}")
        };
        let offered: Vec<String> = suggestions.iter().map(|s| s.id.clone()).collect();
        let n = offered.iter().position(|id| id == "limits-on-ice").unwrap() + 1;
        bot.pick(origin, n, &offered, asked, "!");
    }
    let refused = bot.handle(&command("!review"), &member, "!").render_plain("!");
    assert!(refused.contains("moderators only"), "{refused}");
    let queue = bot.handle(&command("!review"), &moderator, "!").render_plain("!");
    assert!(
        queue.contains(&format!("1. 3 asked: \"{asked}\"")) && queue.contains("picked limits-on-ice ×3"),
        "{queue}"
    );

    // The queue survives a restart.
    drop(bot);
    let bot = open();
    let again = bot.handle(&command("!review"), &moderator, "!").render_plain("!");
    assert_eq!(again, queue);

    // Accept: the question becomes a phrasing of the entry picked, is
    // answered outright from the next message, and the group leaves.
    let done = bot.handle(&command("!accept 1"), &moderator, "!").render_plain("!");
    assert!(done.contains("Mod (Matrix) added 1 phrasing from group 1 to entry \"limits-on-ice\""), "{done}");
    match bot.handle(&Command::Ask(asked.into()), &member, "!") {
        Reply::Answer { entry, .. } => assert_eq!(entry.id, "limits-on-ice"),
        other => panic!("{}", other.render_plain("!")),
    }
    let empty = bot.handle(&command("!review"), &moderator, "!").render_plain("!");
    assert!(empty.starts_with("The review queue is empty"), "{empty}");

    // A file edit that covers a group takes it out too.
    let Reply::Suggest { .. } = bot.handle(&Command::Ask(SUGGESTED.into()), &member, "!") else { panic!() };
    bot.picked(origin, "current-policies", Some(SUGGESTED));
    let queue = bot.handle(&command("!review"), &moderator, "!").render_plain("!");
    assert!(queue.contains("picked current-policies ×1"), "{queue}");
    let edit = policybot::knowledge::edit::Edit::AddAlias { entry: "current-policies".into(), text: SUGGESTED.into() };
    let validate = |d: &Path| policybot::bot::validate(d, None, &Config::default()).map(|_| ());
    policybot::knowledge::edit::apply(dir.path(), &bot.knowledge(), &edit, validate).unwrap();
    reload(&bot).unwrap();
    let empty = bot.handle(&command("!review"), &moderator, "!").render_plain("!");
    assert!(empty.starts_with("The review queue is empty"), "{empty}");

    // Dismissed: hidden until more people ask it; accept of a number not
    // shown says so.
    let junk = "zxcv qwerty asdf";
    bot.handle(&Command::Ask(junk.into()), &member, "!");
    let queue = bot.handle(&command("!review"), &moderator, "!").render_plain("!");
    assert!(queue.contains(&format!("1. 1 asked: \"{junk}\"")), "{queue}");
    let no_pick = bot.handle(&command("!accept 1"), &moderator, "!").render_plain("!");
    assert!(no_pick.contains("nobody picked an entry for group 1; name one"), "{no_pick}");
    let dismissed = bot.handle(&command("!dismiss 1"), &moderator, "!").render_plain("!");
    assert!(dismissed.contains("hidden until more people ask it"), "{dismissed}");
    let empty = bot.handle(&command("!review"), &moderator, "!").render_plain("!");
    assert!(empty.starts_with("The review queue is empty"), "{empty}");
    let gone = bot.handle(&command("!accept 1 limits-on-ice"), &moderator, "!").render_plain("!");
    assert!(gone.contains("there is no group 1"), "{gone}");
    bot.handle(&Command::Ask(junk.into()), &member, "!");
    let back = bot.handle(&command("!review"), &moderator, "!").render_plain("!");
    assert!(back.contains(&format!("1. 2 asked: \"{junk}\"")), "{back}");

    // Another community's moderator sees none of it.
    let elsewhere = Sender { origin: bot.origin(Platform::Matrix, "!other:hs", "!other:hs"), ..moderator.clone() };
    let theirs = bot.handle(&command("!review"), &elsewhere, "!").render_plain("!");
    assert!(theirs.starts_with("The review queue is empty"), "{theirs}");
}
