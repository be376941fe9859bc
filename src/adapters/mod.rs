//! Platform adapters: each turns its platform's events into commands for the
//! bot and renders replies within that platform's limits.

pub(crate) mod console;

#[cfg(any(feature = "discord", feature = "matrix"))]
pub(crate) mod cooldown;
#[cfg(feature = "discord")]
pub mod discord;
#[cfg(feature = "matrix")]
pub mod matrix;
#[cfg(any(feature = "discord", feature = "matrix"))]
pub(crate) mod recent;

/// Resolves once a stop has been asked for. Cheap to clone and to await
/// any number of times, so an adapter can watch it in every phase.
#[derive(Clone)]
pub struct Stop(tokio::sync::watch::Receiver<bool>);

impl Stop {
    pub fn new() -> (tokio::sync::watch::Sender<bool>, Stop) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        (tx, Stop(rx))
    }

    pub async fn wait(&self) {
        let mut rx = self.0.clone();
        // A dropped sender also means stop.
        let _ = rx.wait_for(|stop| *stop).await;
    }
}

/// Runs a moderator command (a reload reads and indexes files; the
/// unanswered list waits on the records database, seconds while another
/// process holds it) off the async workers, so everyone else keeps getting
/// answers meanwhile. The one way every platform runs them.
#[cfg(any(feature = "discord", feature = "matrix"))]
pub(crate) async fn off_load(
    bot: std::sync::Arc<crate::bot::Bot>,
    command: crate::command::Command,
    sender: crate::bot::Sender,
    prefix: &str,
) -> crate::reply::Reply {
    let prefix = prefix.to_owned();
    tokio::task::spawn_blocking(move || bot.handle(&command, &sender, &prefix))
        .await
        .unwrap_or_else(|e| crate::reply::Reply::error(format!("the command crashed: {e}; the knowledge in use stays")))
}

#[cfg(any(feature = "discord", feature = "matrix"))]
pub(crate) use crate::text::causes;

/// Waits between retries of a platform connection: 1 s doubling to a minute.
#[cfg(any(feature = "discord", feature = "matrix"))]
#[derive(Default)]
pub(crate) struct Backoff(u32);

#[cfg(any(feature = "discord", feature = "matrix"))]
impl Backoff {
    pub(crate) fn next(&mut self) -> std::time::Duration {
        let wait = std::time::Duration::from_secs(1 << self.0.min(6)).min(std::time::Duration::from_secs(60));
        self.0 += 1;
        wait
    }

    pub(crate) async fn wait(&mut self) {
        tokio::time::sleep(self.next()).await;
    }

    pub(crate) fn reset(&mut self) {
        self.0 = 0;
    }
}

#[cfg(all(test, any(feature = "discord", feature = "matrix")))]
mod tests {
    #[test]
    fn backoff_grows_to_a_minute() {
        let mut b = super::Backoff::default();
        let waits: Vec<u64> = (0..8).map(|_| b.next().as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
    }
}
