//! Platform adapters: each turns its platform's events into commands for the
//! bot and renders replies within that platform's limits.

pub mod console;
#[cfg(feature = "discord")]
pub mod discord;
#[cfg(feature = "matrix")]
pub mod matrix;
#[cfg(any(feature = "discord", feature = "matrix"))]
pub mod recent;
