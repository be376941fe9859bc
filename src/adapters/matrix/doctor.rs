//! `policybot doctor`'s Matrix lines: the homeserver reached, the user id
//! and credential (an access token, or the saved session's, asked of the
//! server: who it belongs to), and the store free for this process.

use super::*;
use crate::doctor::{Check, NETWORK, Status};
use matrix_sdk::config::RequestConfig;
use matrix_sdk::{Client, SessionMeta, SessionTokens, authentication::matrix::MatrixSession};

pub(crate) async fn doctor(cfg: &MatrixConfig, data_dir: &Path) -> Vec<Check> {
    let (Some(homeserver), Some(user)) = (&cfg.homeserver, &cfg.user_id) else {
        return vec![Check::new(Status::Fail, "matrix", "[matrix] needs both homeserver and user_id")];
    };
    let Ok(user) = UserId::parse(user.as_str()) else {
        return vec![Check::new(
            Status::Fail,
            "matrix user",
            format!("user_id = \"{user}\" is not a Matrix id like @bot:example.org"),
        )];
    };
    let once = RequestConfig::new().disable_retry().timeout(NETWORK);
    let client = match Client::builder().homeserver_url(homeserver).request_config(once).build().await {
        Ok(client) => client,
        Err(e) => return vec![Check::new(Status::Fail, "matrix", format!("homeserver = \"{homeserver}\": {e}"))],
    };
    let mut checks = Vec::new();
    match client.fetch_server_versions(Some(once)).await {
        Ok(_) => checks.push(Check::new(Status::Ok, "matrix server", format!("{homeserver} answers"))),
        Err(e) => {
            checks.push(Check::new(
                Status::Fail,
                "matrix server",
                format!(
                    "{homeserver} does not answer ({}); check [matrix] homeserver (the client-API URL) and that the server is up",
                    crate::adapters::causes(&e)
                ),
            ));
            return checks;
        }
    }
    let dir = session_dir(cfg, data_dir);
    checks.push(match credential(cfg, data_dir) {
        Err(e) => Check::new(Status::Fail, "matrix login", format!("{e:#}")),
        Ok(None) => Check::new(Status::Fail, "matrix login", "set MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN (or their *_FILE variants)"),
        Ok(Some(Credential::Password(_))) => Check::new(
            Status::Ok,
            "matrix login",
            "MATRIX_PASSWORD is set (not tried here: a login makes a new device; `run` logs in once and keeps the session)",
        ),
        Ok(Some(Credential::AccessToken(token))) => whoami(&client, &user, token.expose()).await,
        Ok(Some(Credential::Saved)) => {
            let saved = std::fs::read_to_string(dir.join(SESSION_FILE))
                .ok()
                .and_then(|t| serde_json::from_str::<MatrixSession>(&t).ok());
            match saved {
                Some(session) => whoami(&client, &user, &session.tokens.access_token).await,
                None => Check::new(Status::Fail, "matrix login", format!("{} is unreadable; set MATRIX_PASSWORD to log in again", dir.join(SESSION_FILE).display())),
            }
        }
    });
    checks.push(match crate::lock::take(&dir, "Matrix store") {
        Ok(_) => Check::new(Status::Ok, "matrix store", format!("{} is free for this process", dir.display())),
        Err(e) => Check::new(Status::Warn, "matrix store", format!("{e}: a bot is running on it now")),
    });
    checks
}

/// Who `token` belongs to, as the homeserver says.
async fn whoami(client: &Client, user: &UserId, token: &str) -> Check {
    let session = MatrixSession {
        meta: SessionMeta { user_id: user.to_owned(), device_id: "DOCTOR".into() },
        tokens: SessionTokens { access_token: token.to_owned(), refresh_token: None },
    };
    if let Err(e) = client.restore_session(session).await {
        return Check::new(Status::Fail, "matrix login", format!("cannot use the token: {e}"));
    }
    match client.whoami().await {
        Ok(me) if me.user_id == user => {
            Check::new(Status::Ok, "matrix login", format!("the token is {}'s", me.user_id))
        }
        Ok(me) => Check::new(
            Status::Fail,
            "matrix login",
            format!("the token is {}'s, not {user}'s; fix [matrix] user_id or the token", me.user_id),
        ),
        Err(e) => Check::new(
            Status::Fail,
            "matrix login",
            format!(
                "the homeserver refused the token ({}); get a new one, or set MATRIX_PASSWORD",
                crate::adapters::causes(&e)
            ),
        ),
    }
}
