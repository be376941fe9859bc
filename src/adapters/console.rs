//! The console chat: a prompt loop over stdin and stdout on the same core.
//! The person at the console is the operator, so they are a moderator. Works
//! with piped input (no prompt is printed when stdin is not a terminal).

use std::io::{BufRead, IsTerminal, Write};

use crate::answer::Command;
use crate::bot::{Bot, Sender};
use crate::records::Origin;
use crate::reply::Reply;

const PREFIX: &str = "/";

/// What the console remembers between lines: the last suggestions and the
/// question they answer, so that typing "2" picks the second one and "0"
/// turns them all down.
#[derive(Default)]
pub(crate) struct Session {
    suggestions: Vec<String>,
    question: String,
}

impl Session {
    /// Handles one line; `None` means the user asked to quit.
    pub(crate) fn line(&mut self, bot: &Bot, line: &str) -> Option<String> {
        let line = line.trim();
        if line.is_empty() {
            return Some(String::new());
        }
        if matches!(line, "/quit" | "/exit" | "/q") {
            return None;
        }
        let origin = Origin::console(bot.keys());
        if let Ok(n) = line.parse::<usize>()
            && !self.suggestions.is_empty()
        {
            let (reply, done) = bot.pick(origin, n, &self.suggestions, &self.question, PREFIX);
            if done {
                self.suggestions.clear();
            }
            return Some(reply.render_plain(PREFIX));
        }
        let command = match Command::from_message(line, PREFIX) {
            Ok(c) => c,
            Err(message) => return Some(message),
        };
        let reply = bot.handle(&command, &Sender { is_moderator: true, origin, name: None }, PREFIX);
        self.suggestions = match &reply {
            Reply::Suggest { suggestions, .. } => suggestions.iter().map(|s| s.id.clone()).collect(),
            _ => Vec::new(),
        };
        line.clone_into(&mut self.question);
        Some(reply.render_plain(PREFIX))
    }
}

/// Runs the chat until end of input or /quit.
pub(crate) fn run(bot: &Bot) -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let mut out = std::io::stdout().lock();
    if interactive {
        let kb = bot.knowledge();
        writeln!(
            out,
            "policybot: {} questions on {} topics. Ask a question, or type /help. /quit leaves.",
            kb.entries.len(),
            kb.topics().len()
        )?;
    }
    let mut session = Session::default();
    let mut input = stdin.lock();
    let mut buf = Vec::new();
    loop {
        if interactive {
            write!(out, "> ")?;
            out.flush()?;
        }
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        // Invalid UTF-8 from a pipe is read leniently rather than ending the chat.
        let line = String::from_utf8_lossy(&buf);
        match session.line(bot, &line) {
            None => break,
            Some(text) if text.is_empty() => {}
            Some(text) => {
                writeln!(out, "{text}\n")?;
                out.flush()?;
            }
        }
    }
    Ok(())
}
