//! `policybot doctor`'s Discord lines: the token asked of Discord, the
//! privileged intent the config needs switched on in the portal, and in
//! each server the bot is in, the permissions its invite granted.

use super::*;
use crate::doctor::{Check, NETWORK, Status};
use serenity::all::Permissions;

/// The permissions the README's invite asks for: View Channel, Send
/// Messages, Send Messages in Threads, Embed Links, Read Message History,
/// Add Reactions (274877992000).
const NEEDED: [(Permissions, &str); 6] = [
    (Permissions::VIEW_CHANNEL, "View Channel"),
    (Permissions::SEND_MESSAGES, "Send Messages"),
    (Permissions::SEND_MESSAGES_IN_THREADS, "Send Messages in Threads"),
    (Permissions::EMBED_LINKS, "Embed Links"),
    (Permissions::READ_MESSAGE_HISTORY, "Read Message History"),
    (Permissions::ADD_REACTIONS, "Add Reactions"),
];

pub(crate) async fn doctor(cfg: &DiscordConfig, token: Secret) -> Vec<Check> {
    let fail = |item: &str, said: String| vec![Check::new(Status::Fail, item, said)];
    if let Err(e) = check_token_format(&token) {
        return fail("discord token", format!("{e:#}"));
    }
    let http = match http_for(cfg, &token) {
        Ok(http) => http,
        Err(e) => return fail("discord", format!("{e:#}")),
    };
    let me = match tokio::time::timeout(NETWORK, http.get_current_user()).await {
        Ok(Ok(me)) => me,
        Ok(Err(serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(e))))
            if matches!(e.status_code.as_u16(), 401 | 403) =>
        {
            return fail(
                "discord token",
                format!("Discord rejected DISCORD_TOKEN ({}); {COPY_TOKEN_AGAIN}", e.status_code),
            );
        }
        Ok(Err(e)) => return fail("discord", format!("cannot reach Discord: {}", crate::adapters::causes(&e))),
        Err(_) => return fail("discord", format!("Discord did not answer within {} s", NETWORK.as_secs())),
    };
    let mut checks = vec![Check::new(Status::Ok, "discord token", format!("accepted: the bot is {}", me.name))];
    if cfg.message_content_intent {
        checks.push(Check::new(
            Status::Warn,
            "discord intent",
            "message_content_intent = true: switch Message Content Intent on under Bot in the developer portal, or Discord refuses the connection (4014)",
        ));
    }
    let guilds = match tokio::time::timeout(NETWORK, http.get_guilds(None, Some(200))).await {
        Ok(Ok(guilds)) => guilds,
        Ok(Err(e)) => {
            checks.push(Check::new(
                Status::Warn,
                "discord servers",
                format!("cannot list them: {}", crate::adapters::causes(&e)),
            ));
            return checks;
        }
        Err(_) => {
            checks.push(Check::new(Status::Warn, "discord servers", "Discord did not list them in time"));
            return checks;
        }
    };
    if guilds.is_empty() {
        checks.push(Check::new(
            Status::Warn,
            "discord servers",
            "the bot is in no server yet: invite it with the URL in the README (scopes bot applications.commands, permissions 274877992000)",
        ));
    }
    for guild in guilds {
        let item = format!("server {}", guild.id);
        if !cfg.allowed_guilds.is_empty() && !cfg.allowed_guilds.contains(&guild.id.get()) {
            checks.push(Check::new(
                Status::Warn,
                item,
                format!("{}: not in allowed_guilds, so the bot leaves it", guild.name),
            ));
            continue;
        }
        let granted = guild.permissions;
        let missing: Vec<&str> = NEEDED
            .iter()
            .filter(|(p, _)| !granted.administrator() && !granted.contains(*p))
            .map(|(_, name)| *name)
            .collect();
        checks.push(match missing.as_slice() {
            [] => Check::new(Status::Ok, item, format!("{}: the invite granted what the bot needs", guild.name)),
            missing => Check::new(
                Status::Fail,
                item,
                format!(
                    "{}: missing {}; grant them to the bot's role, or invite it again with the URL in the README",
                    guild.name,
                    missing.join(", ")
                ),
            ),
        });
    }
    checks
}
