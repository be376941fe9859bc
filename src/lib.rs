//! policybot: answers public-policy questions in chat from curated FAQ files.
//!
//! The core (knowledge, matcher, reply, commands) does no I/O beyond loading
//! files; adapters turn platform events into commands and render replies.
//! What the binary, the tests, benchmarks and fuzz targets use is public;
//! everything else is `pub(crate)`, which `unreachable_pub` keeps so.

#![warn(unreachable_pub)]

pub mod adapters;
pub mod answer;
pub mod bot;
pub mod cli;
pub(crate) mod command;
pub mod config;
pub mod doctor;
pub mod embed;
pub mod history;
pub mod knowledge;
pub(crate) mod language;
pub mod lock;
pub mod matcher;
pub mod metrics;
pub(crate) mod parallel;
pub mod platform;
pub mod records;
pub mod reply;
pub mod review;
pub(crate) mod secrets;
pub(crate) mod serve;
pub mod small_talk;
pub mod text;
pub mod timed;
pub mod watch;
