//! Spanish through the library and the binary: translations in the
//! knowledge format (loaded, refused with `file:line`, warned about), the
//! shipped translation (every entry and claim, the same contradiction in
//! both languages), the language a reply is in, and Spanish phrasings and
//! answers changed from chat, the CLI and the review queue — in place, a
//! refused change leaving the files byte-identical.

use std::path::Path;
use std::time::Duration;

use policybot::answer::Command;
use policybot::bot::{Bot, Sender};
use policybot::config::{Config, ReplyConfig};
use policybot::knowledge::{ClaimStatus, Lang, load_dir, load_str};
use policybot::matcher::Thresholds;
use policybot::records::store::Store;
use policybot::reply::Reply;

#[path = "support/shipped.rs"]
mod shipped;
use shipped::shipped_copy;

const ONE: &str = r#"title = "Permits"

[translations.es]
disclaimer = "No es asesoría legal."

[[entry]]
id = "renewals"
topic = "Permits"
question = "How do I renew my parking permit?"
answer = "At the permit office, since 2019."

[[entry.claims]]
text = "Permits are renewed at the permit office."
status = "unverified"
translations = { es = "Los permisos se renuevan en la oficina de permisos." }

[entry.translations.es]
topic = "Permisos"
question = "¿Cómo renuevo mi permiso de estacionamiento?"
aliases = ["¿Dónde renuevo el permiso?"]
answer = "En la oficina de permisos, desde 2019."
"#;

fn bin() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_policybot"));
    c.env_remove("RUST_LOG")
        .env_remove("DISCORD_TOKEN")
        .env_remove("MATRIX_PASSWORD")
        .env_remove("MATRIX_ACCESS_TOKEN");
    c
}

fn ask(kb: &policybot::knowledge::KnowledgeBase, question: &str) -> Reply {
    policybot::answer::ask(kb, question, &Thresholds::default(), &ReplyConfig::default())
}

#[test]
fn a_translation_loads_as_phrasings_of_its_entry_with_its_claims() {
    let kb = load_str("one.toml", ONE).unwrap();
    let e = kb.entry("renewals").unwrap();
    let es = &e.translations[&Lang::Es];
    assert_eq!(es.question, "¿Cómo renuevo mi permiso de estacionamiento?");
    assert_eq!((es.topic.as_deref(), es.reviewed.as_deref()), (Some("Permisos"), None));
    assert_eq!(e.phrasings().count(), 3);
    assert_eq!(e.claims[0].text_in(Lang::Es), "Los permisos se renuevan en la oficina de permisos.");
    assert_eq!(kb.languages, [Lang::Es]);
    assert_eq!(kb.topic_names(Lang::Es), ["Permisos"]);
    // Asked either way, with or without accents, the same entry.
    for (question, lang) in [
        ("¿Dónde renuevo el permiso?", Lang::Es),
        ("donde renuevo el permiso", Lang::Es),
        ("How do I renew my parking permit?", Lang::En),
    ] {
        let Reply::Answer { entry, lang: got, answer, .. } = ask(&kb, question) else { panic!("{question}") };
        assert_eq!((entry.id.as_str(), got), ("renewals", lang), "{question}");
        assert_eq!(answer.starts_with("En la oficina"), lang == Lang::Es, "{question}: {answer}");
    }
}

#[test]
fn bad_translations_are_refused_with_their_line() {
    for (from, to, says) in [
        ("[entry.translations.es]", "[entry.translations.fr]", "\"fr\" is not a language I reply in"),
        ("question = \"¿Cómo renuevo", "question = \"   \"\nx = \"¿Cómo renuevo", "unknown field `x`"),
        ("aliases = [\"¿Dónde renuevo el permiso?\"]", "aliases = [\"  \"]", "a translated alias is empty"),
        ("translations = { es = \"Los", "translations = { de = \"Los", "\"de\" is not a language I reply in"),
        (
            "[entry.translations.es]\n",
            "[entry.translations.es]\nreviewed = 2026-11-30T10:00:00\n",
            "reviewed must be a date",
        ),
    ] {
        assert!(ONE.contains(from), "{from}");
        let text = ONE.replacen(from, to, 1);
        let errors = load_str("one.toml", &text).unwrap_err().to_string();
        assert!(errors.contains(says), "{says}: {errors}");
        assert!(errors.starts_with("one.toml:"), "{errors}");
    }
    // An answer with a translation of its own and a ref: the ref's record
    // carries the translations.
    let shared = ONE.replacen(
        "[[entry.claims]]\ntext = \"Permits are renewed at the permit office.\"\nstatus = \"unverified\"\n",
        "[[entry.claims]]\nref = \"office\"\n",
        1,
    ) + "\n[[claim]]\nid = \"office\"\ntext = \"Permits are renewed at the permit office.\"\nstatus = \"unverified\"\ntranslations = { es = \"En la oficina.\" }\n";
    let shared =
        shared.replacen("translations = { es = \"Los permisos se renuevan en la oficina de permisos.\" }\n", "", 1);
    let kb = load_str("one.toml", &shared).unwrap();
    assert_eq!(kb.entry("renewals").unwrap().claims[0].text_in(Lang::Es), "En la oficina.");
    let both = shared.replacen("ref = \"office\"\n", "ref = \"office\"\ntranslations = { es = \"x\" }\n", 1);
    let errors = load_str("one.toml", &both).unwrap_err().to_string();
    assert!(errors.contains("a claim with ref takes its text, status, source and translations"), "{errors}");
}

#[test]
fn check_warns_about_a_translation_that_does_not_say_what_its_entry_says() {
    let dir = tempfile::tempdir().unwrap();
    let text = ONE.replacen("desde 2019", "desde 2017", 1).replacen(
        "translations = { es = \"Los permisos se renuevan en la oficina de permisos.\" }\n",
        "",
        1,
    );
    std::fs::write(dir.path().join("one.toml"), text).unwrap();
    let out = bin().args(["check", dir.path().to_str().unwrap()]).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        said.contains("untranslated claim: entry \"renewals\" is translated into Spanish but its claim #1 is not"),
        "{said}"
    );
    assert!(said.contains("translation differs: the Spanish answer of entry \"renewals\" gives numbers the entry's does not (2017) or leaves out some it gives (2019)"), "{said}");
    assert!(said.contains("2 warnings"), "{said}");
}

#[test]
fn the_shipped_translation_keeps_every_claim_and_the_contradiction() {
    let kb = load_dir(Path::new("knowledge")).unwrap();
    assert!(kb.entries.iter().all(|e| e.translations.contains_key(&Lang::Es)), "an entry without Spanish");
    for e in &kb.entries {
        let es = &e.translations[&Lang::Es];
        assert!(es.reviewed.is_none(), "{}: the shipped translation is unreviewed", e.id);
        assert!(es.aliases.len() >= 2, "{}: a few Spanish phrasings", e.id);
        for (i, c) in e.claims.iter().enumerate() {
            assert!(c.translations.contains_key(&Lang::Es), "{}#{}", e.id, i + 1);
        }
    }
    // The same two sides, disputed, in Spanish.
    for (question, year, other) in [
        ("¿Cuándo firmó el gobernador la SB 2710?", "2017", "court-cases"),
        ("¿Alguien ha demandado por la SB 2710?", "2019", "recent-changes"),
    ] {
        let reply = ask(&kb, question);
        let Reply::Answer { lang: Lang::Es, footer, .. } = &reply else { panic!("{question}: {reply:?}") };
        let plain = reply.render_plain("/");
        assert!(plain.contains("En disputa — las preguntas frecuentes se contradicen:"), "{plain}");
        assert!(plain.contains(&format!("esta respuesta dice {year}; la respuesta \"{other}\" dice")), "{plain}");
        assert!(plain.contains("Traducción sin revisar de un texto sin revisar."), "{plain}");
        assert!(!footer.disputed.is_empty());
    }
    let disputed = |lang| {
        kb.entries
            .iter()
            .flat_map(|e| kb.claims(e).map(move |(s, c)| (s, c.text_in(lang).to_owned())))
            .filter(|(s, _)| *s == ClaimStatus::Disputed)
            .count()
    };
    assert_eq!((disputed(Lang::En), disputed(Lang::Es)), (2, 2));
}

#[test]
fn short_or_mixed_messages_take_the_language_of_what_they_match() {
    let kb = load_dir(Path::new("knowledge")).unwrap();
    for (message, lang) in [
        ("que es MIRA", Lang::Es),
        ("what is MIRA", Lang::En),
        ("hola", Lang::Es),
        ("hi", Lang::En),
        ("¿qué puedes hacer?", Lang::Es),
        ("asdf qwerty", Lang::En),
    ] {
        let got = match ask(&kb, message) {
            Reply::Answer { lang, .. }
            | Reply::Suggest { lang, .. }
            | Reply::NoMatch { lang, .. }
            | Reply::SmallTalk { lang, .. } => lang,
            other => panic!("{other:?}"),
        };
        assert_eq!(got, lang, "{message}");
    }
    let Reply::NoMatch { topics, .. } = ask(&kb, "¿cómo hago tamales en casa?") else { panic!() };
    assert!(topics.contains(&"Ley estatal".to_owned()), "{topics:?}");
}

fn moderator() -> Sender {
    shipped::moderator("Mod")
}

#[test]
fn a_spanish_phrasing_added_from_chat_and_the_cli_is_written_in_place() {
    let dir = shipped_copy();
    let file = dir.path().join("mississippi-ice.toml");
    let before = std::fs::read_to_string(&file).unwrap();
    let bot = Bot::load(Config::default(), dir.path().to_path_buf()).unwrap();
    let command = |text: &str| Command::from_message(text, "!").unwrap();
    let phrasing = "¿me pueden parar solo para pedir mis papeles?";
    let done = bot.handle(&command(&format!("!alias add es current-policies {phrasing}")), &moderator(), "!");
    let said = done.render_plain("!");
    assert!(said.contains("(in Spanish)"), "{said}");
    let after = std::fs::read_to_string(&file).unwrap();
    // One line more, inside the Spanish aliases of that entry, nothing else.
    let added: Vec<&str> = after.lines().filter(|l| !before.lines().any(|b| b == *l)).collect();
    assert_eq!(added, [format!("  \"{phrasing}\",")]);
    assert_eq!(after.lines().count(), before.lines().count() + 1);
    let kb = bot.knowledge();
    let es = &kb.entry("current-policies").unwrap().translations[&Lang::Es].aliases;
    assert_eq!(es.last().map(String::as_str), Some(phrasing));
    let Reply::Answer { entry, lang: Lang::Es, .. } = bot.handle(&Command::Ask(phrasing.into()), &moderator(), "!")
    else {
        panic!()
    };
    assert_eq!(entry.id, "current-policies");

    // Refused: a translation that is not there, a claim per language; the
    // file stays byte-identical.
    let now = std::fs::read(&file).unwrap();
    let mut untranslated = dir.path().join("extra.toml");
    std::fs::write(
        &untranslated,
        "title = \"X\"\n[[entry]]\nid = \"plain\"\ntopic = \"X\"\nquestion = \"What is plain?\"\nanswer = \"Plain.\"\n",
    )
    .unwrap();
    let Reply::Reloaded(_) = bot.handle(&Command::Reload, &moderator(), "!") else { panic!() };
    let extra = std::fs::read(&untranslated).unwrap();
    let refused = bot.handle(&command("!alias add es plain ¿qué es plain?"), &moderator(), "!").render_plain("!");
    assert!(refused.contains("entry \"plain\" has no Spanish translation yet"), "{refused}");
    assert_eq!(std::fs::read(&untranslated).unwrap(), extra);
    assert_eq!(std::fs::read(&file).unwrap(), now);

    // The CLI, on the Spanish answer.
    let knowledge = dir.path().to_str().unwrap();
    let out = bin().args(["--knowledge", knowledge, "answer", "plain", "Sencillo.", "--lang", "es"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no Spanish translation yet"));
    untranslated = dir.path().join("mississippi-ice.toml");
    let out = bin()
        .args(["--knowledge", knowledge, "alias", "remove", "current-policies", phrasing, "--lang", "es"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(&untranslated).unwrap(), before);
}

/// A bot over a copy of the shipped knowledge that keeps records, with a
/// moderator and a member of one Matrix room (the directories live as long
/// as the first value).
fn keeping_records() -> ((tempfile::TempDir, tempfile::TempDir), Bot, Sender, Sender) {
    let dir = shipped_copy();
    let data = tempfile::tempdir().unwrap();
    let mut bot = Bot::load(Config::default(), dir.path().to_path_buf()).unwrap();
    let store = Store::open(data.path(), Duration::from_secs(86_400)).unwrap();
    bot.set_store(store, policybot::records::Keys::load_or_create(data.path()).unwrap());
    let origin = bot.origin(policybot::platform::Platform::Matrix, "!room:hs", "!room:hs");
    let moderator = Sender { is_moderator: true, origin, name: Some("Mod".into()) };
    let member = Sender { is_moderator: false, name: None, ..moderator.clone() };
    ((dir, data), bot, moderator, member)
}

#[test]
fn a_spanish_question_accepted_from_the_review_queue_becomes_a_spanish_asked_question() {
    let (_dirs, bot, moderator, member) = keeping_records();
    let origin = moderator.origin;
    let asked = "quien paga los gastos cuando ice detiene a alguien en la carcel del condado";
    let first = bot.handle(&Command::Ask(asked.into()), &member, "!");
    assert!(!matches!(first, Reply::Answer { .. }), "{}", first.render_plain("!"));
    bot.picked(origin, "recent-changes", Some(asked));
    let queue = bot.handle(&Command::from_message("!review", "!").unwrap(), &moderator, "!").render_plain("!");
    assert!(queue.contains(asked), "{queue}");
    let done = bot.handle(&Command::from_message("!accept 1 recent-changes", "!").unwrap(), &moderator, "!");
    assert!(done.render_plain("!").contains("added 1 phrasing"), "{}", done.render_plain("!"));
    let kb = bot.knowledge();
    let e = kb.entry("recent-changes").unwrap();
    assert!(e.translations[&Lang::Es].asked.iter().any(|a| a == asked), "{:?}", e.translations[&Lang::Es].asked);
    assert!(!e.asked.iter().chain(&e.aliases).chain(&e.translations[&Lang::Es].aliases).any(|a| a == asked));
    let Reply::Answer { lang: Lang::Es, .. } = bot.handle(&Command::Ask(asked.into()), &member, "!") else { panic!() };
}

#[test]
fn topics_and_claims_list_the_translations() {
    let out = bin().args(["--knowledge", "knowledge", "topics", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let topics: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries: Vec<&serde_json::Value> =
        topics.as_array().unwrap().iter().flat_map(|t| t["entries"].as_array().unwrap()).collect();
    assert_eq!(entries.len(), 20);
    assert!(entries.iter().all(|e| e["translations"]["es"].as_str().is_some_and(|q| q.starts_with('¿'))), "{topics:#}");
    let kb = load_dir(Path::new("knowledge")).unwrap();
    let plain = policybot::answer::handle(
        &kb,
        &Command::Claims("court-cases".into()),
        &Thresholds::default(),
        &ReplyConfig::default(),
        "/",
    )
    .render_plain("/");
    assert!(
        plain.contains("[disputed] SB 2710 was passed in 2019.\n      es: La SB 2710 se aprobó en 2019."),
        "{plain}"
    );
    // A topic named in Spanish is listed in Spanish; in English, in English.
    let topic = |name: &str| {
        let reply = policybot::answer::handle(
            &kb,
            &Command::Topic(name.into()),
            &Thresholds::default(),
            &ReplyConfig::default(),
            "/",
        );
        reply.render_plain("/")
    };
    let spanish = topic("ley estatal");
    assert!(spanish.starts_with("Ley estatal:\n  - ¿"), "{spanish}");
    assert!(topic("state law").starts_with("State law:\n  - What"), "{}", topic("state law"));
}

#[test]
fn spanish_questions_group_in_the_review_queue_like_english_ones() {
    let (_dirs, bot, moderator, member) = keeping_records();
    // The same question with and without accents and capitals, and another one.
    for asked in [
        "¿Quién paga la comida de los detenidos en la cárcel?",
        "quien paga la comida de los detenidos en la carcel",
        "¿a qué hora abre el consulado?",
    ] {
        let reply = bot.handle(&Command::Ask(asked.into()), &member, "!");
        assert!(!matches!(reply, Reply::Answer { .. }), "{asked}: {}", reply.render_plain("!"));
    }
    let queue = bot.handle(&Command::from_message("!review", "!").unwrap(), &moderator, "!").render_plain("!");
    assert!(queue.contains("(1–2 of 2)"), "{queue}");
    assert!(queue.contains("1. 2 asked: "), "{queue}");
}
