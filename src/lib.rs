//! policybot: answers public-policy questions in chat from curated FAQ files.
//!
//! The core (knowledge, matcher, reply, commands) does no I/O beyond loading
//! files; adapters turn platform events into commands and render replies.

pub mod adapters;
pub mod answer;
pub mod bot;
pub mod cli;
pub mod command;
pub mod config;
pub mod embed;
pub mod knowledge;
pub mod language;
pub mod matcher;
pub mod metrics;
pub mod parallel;
pub mod platform;
pub mod records;
pub mod reply;
pub mod secrets;
pub mod serve;
pub mod text;
pub mod watch;
