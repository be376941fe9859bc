//! A [`Reply`] as a Matrix `m.notice`: a plain `body` and an HTML
//! `formatted_body` (the matched question in bold, the answer, the caveat
//! footer in a smaller quoted block). Pure, so the size limit is unit-tested:
//! the event stays under Matrix's 65,536 bytes whatever the knowledge holds,
//! and an answer that does not fit is shortened with a note.

use crate::reply::Reply;

/// Room left for `body` + `formatted_body` together; the rest of the event
/// (ids, relations, signatures the server adds) fits in what remains.
pub const CONTENT_BYTES: usize = 56_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub body: String,
    pub html: String,
}

impl Notice {
    pub fn bytes(&self) -> usize {
        self.body.len() + self.html.len()
    }
}

/// Escapes text for HTML and keeps its line breaks.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

/// Renders `reply` with commands shown with `prefix` ("!").
pub fn render(reply: &Reply, prefix: &str) -> Notice {
    render_within(reply, prefix, CONTENT_BYTES)
}

/// [`render`] in at most `limit` bytes of text (an edit carries it twice).
pub fn render_within(reply: &Reply, prefix: &str, limit: usize) -> Notice {
    match reply {
        Reply::Answer { entry, answer, footer, lead, .. } => {
            let answer = &Reply::led(lead, answer);
            let words = crate::reply::words(footer.lang);
            let footer = footer.render(&format!("{prefix}claims"), prefix);
            let build = |answer: &str| Notice {
                body: format!("{}\n\n{answer}\n\n{footer}", entry.question),
                html: format!(
                    "<p><b>{}</b></p><p>{}</p><blockquote><sub>{}</sub></blockquote>",
                    html(&entry.question),
                    html(answer),
                    html(&footer)
                ),
            };
            let mut notice = build(answer);
            // Shorten the answer (never the caveat) until the event fits.
            let mut room = answer.chars().count();
            while notice.bytes() > limit && room > 0 {
                room = room * 3 / 4;
                let values = [("platform", "Matrix"), ("id", entry.id.as_str()), ("prefix", prefix)];
                let note = format!("\n{}", crate::reply::fill(words.shortened, &values));
                let shortened = format!("{}{note}", crate::text::shorten(answer, room));
                notice = build(&shortened);
            }
            notice
        }
        Reply::Suggest { suggestions, lang, .. } => {
            let words = crate::reply::words(*lang);
            let mut body = String::from(words.not_sure_number);
            let mut list = String::new();
            for (i, s) in suggestions.iter().enumerate() {
                let question = crate::text::shorten(&s.question, 300);
                body.push_str(&format!("\n{}. {question}", i + 1));
                list.push_str(&format!("<li>{}</li>", html(&question)));
            }
            body.push('\n');
            body.push_str(words.zero_for_none);
            Notice {
                html: format!(
                    "<p>{}</p><ol>{list}</ol><p><sub>{}</sub></p>",
                    html(words.not_sure_number),
                    html(words.zero_for_none)
                ),
                body,
            }
        }
        other => {
            // These can echo what people typed (the unanswered list, an
            // unknown command): "@room" or a user id is defused with a word
            // joiner, so even a client that ignores `m.mentions: {}` and
            // scans the text pings nobody.
            let text = other.render_plain(prefix).replace('@', "@\u{2060}");
            let text = if text.len() > limit / 3 { crate::text::shorten(&text, limit / 8) } else { text };
            Notice { html: format!("<p>{}</p>", html(&text)), body: text }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::{EntryRef, Footer};

    fn answer(len: usize, claims: usize) -> Reply {
        Reply::Answer {
            entry: EntryRef { id: "big".into(), topic: "t".into(), question: "What <b>is</b> it?".into() },
            answer: "Words & more words <script>. ".repeat(len / 28 + 1),
            confidence: 1.0,
            claims: Vec::new(),
            footer: Footer {
                found: crate::reply::Found::Stored,
                disputed: Vec::new(),
                unverified: (0..claims).map(|_| "c".repeat(90)).collect(),
                more: 0,
                checked: Vec::new(),
                disclaimer: Some("Not legal advice.".into()),
                entry_id: "big".into(),
                lang: Default::default(),
                unreviewed_translation: false,
            },
            lang: Default::default(),
            lead: None,
        }
    }

    #[test]
    fn answers_of_any_size_fit_one_event_and_escape_html() {
        for (len, lang) in [10, 30_000, 200_000].into_iter().flat_map(|l| crate::language::Lang::ALL.map(|g| (l, g))) {
            let n = render(&answer(len, 50).for_test_in(lang), "!");
            assert!(n.bytes() <= CONTENT_BYTES, "{len}: {}", n.bytes());
            assert!(n.html.contains("<b>What &lt;b&gt;is&lt;/b&gt; it?</b>"));
            assert!(!n.html.contains("<script>"));
            assert!(n.body.contains("!claims big"), "the caveat survives");
            if len > 50_000 {
                let shortened = crate::reply::words(lang).shortened.split(' ').next().unwrap();
                assert!(n.body.contains(shortened), "{lang:?}");
            }
        }
    }

    #[test]
    fn echoed_text_cannot_ping() {
        let reply = Reply::error("unknown command !@room for @alice:example.org");
        let n = render(&reply, "!");
        assert!(!n.body.contains("@room") && !n.body.contains("@alice"), "{}", n.body);
        assert!(!n.html.contains("@room") && !n.html.contains("@alice"), "{}", n.html);
    }

    #[test]
    fn suggestions_are_numbered() {
        let s = |i: usize| crate::reply::Suggestion { id: format!("e{i}"), question: format!("Q{i}?"), score: 0.3 };
        let n = render(
            &Reply::Suggest { suggestions: (1..=3).map(s).collect(), confidence: 0.3, lang: Default::default() },
            "!",
        );
        assert!(n.body.contains("\n1. Q1?\n2. Q2?\n3. Q3?"), "{}", n.body);
        assert!(n.html.contains("<ol><li>Q1?</li>"));
    }
}
