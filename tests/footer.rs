//! The caveat footer as people read it, on all three renderings (plain text
//! for the console and CLI, a Discord embed, a Matrix notice), pinned by
//! snapshots: an answer with a disputed claim (and the other side named), an
//! unverified one and one too long for the footer; an answer whose claims
//! are all verified; a pick from "did you mean"; a question in Spanish
//! where the knowledge has no Spanish, one answered from a translation (its
//! claims, the dispute and the disclaimer in Spanish) and one about an
//! entry with no translation.

#![cfg(all(feature = "discord", feature = "matrix"))]

use policybot::answer;
use policybot::config::ReplyConfig;
use policybot::knowledge::{self, KnowledgeBase, Lang};
use policybot::matcher::Thresholds;
use policybot::reply::Reply;

const LONG_CLAIM: &str = "The permit office accepts renewals by post, in person at any branch, or online through the county portal, provided the applicant has no outstanding fines, holds a valid identity document and pays the fee within thirty days.";

/// Two files: one whose claims disagree about a year (and a long claim),
/// with its own disclaimer; one whose every claim is checked.
fn knowledge() -> (tempfile::TempDir, KnowledgeBase) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("permits.toml"),
        format!(
            r#"title = "Permits"
disclaimer = "Written by volunteers; not legal advice."

[[entry]]
id = "renewals"
topic = "Permits"
question = "How do I renew my parking permit?"
answer = "Renew at the permit office. The permit law SB 12 was passed in 2019 and set the fee."
claims = [
  {{ text = "SB 12 was passed in 2019.", status = "unverified" }},
  {{ text = "{LONG_CLAIM}", status = "unverified" }},
  {{ text = "Renewals are made at the permit office.", status = "unverified" }},
]

[[entry]]
id = "history"
topic = "Permits"
question = "When did the permit rules change?"
answer = "In 2017 the city council passed SB 12, which set the permit fee."
claims = [{{ text = "SB 12 was passed in 2017.", status = "unverified" }}]
"#
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("libraries.toml"),
        r#"title = "Libraries"

[[entry]]
id = "hours"
topic = "Libraries"
question = "When is the central library open?"
answer = "The central library is open 9 to 5 on weekdays."
claims = [
  { text = "The central library opens at 9 on weekdays.", status = "verified", source = "https://library.example.org/hours", checked = 2026-11-02 },
  { text = "The central library closes at 5 on weekdays.", status = "verified", source = "https://library.example.org/hours", checked = 2026-11-02 },
]
"#,
    )
    .unwrap();
    let kb = knowledge::load_dir(dir.path()).unwrap();
    (dir, kb)
}

fn ask(kb: &KnowledgeBase, question: &str) -> Reply {
    answer::ask(kb, question, &Thresholds::default(), &ReplyConfig::default())
}

/// The three renderings, one after the other.
fn renderings(reply: &Reply) -> String {
    let discord = policybot::adapters::discord::render::render(reply, 1, "");
    let embed = discord.embed.expect("an answer is an embed");
    let mut out = format!("== plain\n{}\n\n== discord\ntitle: {:?}\n", reply.render_plain("/"), embed.title);
    for (name, value) in &embed.fields {
        out.push_str(&format!("field {name:?}:\n{value}\n"));
    }
    out.push_str(&format!("footer:\n{}\n", embed.footer.unwrap_or_default()));
    let matrix = policybot::adapters::matrix::render::render(reply, "!");
    out.push_str(&format!("\n== matrix body\n{}\n\n== matrix html\n{}\n", matrix.body, matrix.html));
    out
}

#[test]
fn a_disputed_an_unverified_and_a_long_claim() {
    let (_dir, kb) = knowledge();
    let reply = ask(&kb, "How do I renew my parking permit?");
    let Reply::Answer { footer, .. } = &reply else { panic!("{}", reply.render_plain("/")) };
    // The other side of the dispute is named.
    let plain = reply.render_plain("/");
    assert!(
        plain.contains(
            "SB 12 was passed in 2019 — this answer says 2019; the answer \"history\" says 2017 (/claims history)"
        ),
        "{plain}"
    );
    // The long claim is cut at a clause, never inside a word.
    let long = footer.unverified.iter().find(|c| c.starts_with("The permit office")).unwrap();
    let kept = long.strip_suffix('…').unwrap();
    assert!(LONG_CLAIM.starts_with(kept), "{long}");
    assert!(!LONG_CLAIM[kept.len()..].starts_with(char::is_alphanumeric), "cut mid-word: {long}");
    // The file's own disclaimer, not the config's.
    assert!(plain.contains("Written by volunteers; not legal advice."));
    assert!(!plain.contains("unreviewed community FAQ"));
    insta::assert_snapshot!(renderings(&reply));
}

#[test]
fn a_fully_verified_answer_shows_its_checks_and_no_unreviewed_line() {
    let (_dir, kb) = knowledge();
    let reply = ask(&kb, "When is the central library open?");
    let plain = reply.render_plain("/");
    assert!(plain.contains("✓ Checked 2026-11-02: https://library.example.org/hours"), "{plain}");
    assert!(!plain.contains("not legal advice") && !plain.contains("Not verified"), "{plain}");
    // One check line for the one source and date the two claims share.
    assert_eq!(plain.matches("✓ Checked").count(), 1, "{plain}");
    insta::assert_snapshot!(renderings(&reply));
}

#[test]
fn the_footer_says_how_the_answer_was_found_in_words() {
    let (_dir, kb) = knowledge();
    // A stored question: nothing to say.
    let stored = ask(&kb, "When is the central library open?").render_plain("/");
    assert!(!stored.contains("Closest") && !stored.contains("confidence"), "{stored}");
    // Worded differently: the closest stored question, and what to do.
    let closest = ask(&kb, "what time does the central library open").render_plain("/");
    assert!(closest.contains("Closest stored question to what you asked — not it?"), "{closest}");
    assert!(!closest.contains("confidence"), "{closest}");
    // Picked from suggestions.
    let picked = answer::answer_entry(&kb, "hours", &ReplyConfig::default(), Lang::En).render_plain("/");
    assert!(picked.contains("You picked this from the suggestions."), "{picked}");
    insta::assert_snapshot!(picked);
}

#[test]
fn a_question_in_spanish_gets_the_notice_in_spanish() {
    let (_dir, kb) = knowledge();
    let reply = ask(&kb, "¿Dónde puedo renovar mi permiso de estacionamiento en la ciudad?");
    let plain = reply.render_plain("/");
    assert!(plain.starts_with("Por ahora solo respondo en inglés."), "{plain}");
    assert!(plain.contains("Libraries, Permits"), "{plain}");
    let discord = policybot::adapters::discord::render::render(&reply, 1, "");
    assert!(discord.embed.unwrap().description.starts_with("Por ahora solo respondo en inglés."));
    let matrix = policybot::adapters::matrix::render::render(&reply, "!");
    assert!(matrix.body.starts_with("Por ahora solo respondo en inglés."), "{}", matrix.body);
}

/// The permits file with the renewals entry (not the history one)
/// translated into Spanish, claims and disclaimer too.
fn translated() -> (tempfile::TempDir, KnowledgeBase) {
    let (dir, _) = knowledge();
    let path = dir.path().join("permits.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text
        .replace(
            r#"{ text = "SB 12 was passed in 2019.", status = "unverified" }"#,
            r#"{ text = "SB 12 was passed in 2019.", status = "unverified", translations = { es = "La SB 12 se aprobó en 2019." } }"#,
        )
        .replace(
            r#"{ text = "Renewals are made at the permit office.", status = "unverified" }"#,
            r#"{ text = "Renewals are made at the permit office.", status = "unverified", translations = { es = "Las renovaciones se hacen en la oficina de permisos." } }"#,
        )
        .replace(
            "\n[[entry]]\nid = \"history\"",
            r#"
[entry.translations.es]
topic = "Permisos"
question = "¿Cómo renuevo mi permiso de estacionamiento?"
aliases = ["¿Dónde se renueva el permiso para estacionar?"]
answer = "Renueve en la oficina de permisos. La ley de permisos SB 12 se aprobó en 2019 y fijó la tarifa."

[[entry]]
id = "history""#,
        );
    let text = text.replacen(
        "disclaimer = \"Written by volunteers; not legal advice.\"\n",
        "disclaimer = \"Written by volunteers; not legal advice.\"\nsynonyms = [[\"permit\", \"permiso\", \"permisos\"], [\"rules\", \"reglas\"], [\"change\", \"cambiaron\"]]\n[translations.es]\ndisclaimer = \"Escrito por voluntarios; no es asesoría legal.\"\n",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let kb = knowledge::load_dir(dir.path()).unwrap();
    (dir, kb)
}

#[test]
fn a_spanish_question_is_answered_from_the_translation_with_a_spanish_footer() {
    let (_dir, kb) = translated();
    let reply = ask(&kb, "¿Cómo renuevo mi permiso de estacionamiento?");
    let Reply::Answer { lang, entry, .. } = &reply else { panic!("{}", reply.render_plain("/")) };
    assert_eq!((*lang, entry.id.as_str()), (Lang::Es, "renewals"));
    let plain = reply.render_plain("/");
    assert!(plain.starts_with("Q: ¿Cómo renuevo mi permiso de estacionamiento?\nRenueve en la oficina"), "{plain}");
    // The dispute found in the English text is named in Spanish, its claim in Spanish.
    assert!(
        plain.contains("La SB 12 se aprobó en 2019 — esta respuesta dice 2019; la respuesta \"history\" dice 2017 (/claims history)"),
        "{plain}"
    );
    // A claim with no Spanish text is shown as written, not dropped.
    assert!(plain.contains("• The permit office accepts renewals"), "{plain}");
    assert!(
        plain
            .contains("Traducción sin revisar de un texto sin revisar. Escrito por voluntarios; no es asesoría legal."),
        "{plain}"
    );
    assert!(!plain.contains("Not verified") && !plain.contains("Written by volunteers"), "{plain}");
    insta::assert_snapshot!(renderings(&reply));
}

#[test]
fn a_spanish_question_about_an_untranslated_entry_gets_the_english_answer_after_a_spanish_line() {
    let (_dir, kb) = translated();
    let reply = ask(&kb, "¿Cuándo cambiaron las reglas de los permisos?");
    let Reply::Answer { lang, entry, .. } = &reply else { panic!("{}", reply.render_plain("/")) };
    assert_eq!((*lang, entry.id.as_str()), (Lang::Es, "history"));
    let plain = reply.render_plain("/");
    assert!(
        plain.starts_with("Q: When did the permit rules change?\nEsta respuesta todavía no está traducida al español; aquí está en inglés:\n\nIn 2017"),
        "{plain}"
    );
    assert!(!plain.contains("Traducción sin revisar"), "{plain}");
    // The file's disclaimer in Spanish, though the entry has no translation.
    assert!(
        plain.contains("Escrito por voluntarios; no es asesoría legal.") && !plain.contains("Written by"),
        "{plain}"
    );
    insta::assert_snapshot!(renderings(&reply));
    // The same entry asked in English: in English, with no Spanish word.
    let english = ask(&kb, "When did the permit rules change?").render_plain("/");
    assert!(
        english.starts_with("Q: When did the permit rules change?\nIn 2017") && !english.contains("inglés"),
        "{english}"
    );
}
