//! Where a message came from: the closed set of chat platforms the records,
//! the metrics and the adapters share, named once. A leaf: imports nothing
//! from the crate.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Discord,
    Matrix,
    /// The operator's own chat in a terminal: it sees the records of every
    /// community.
    Console,
}

impl Platform {
    /// The name the records, metrics labels and logs use.
    pub const fn as_str(self) -> &'static str {
        match self {
            Platform::Discord => "discord",
            Platform::Matrix => "matrix",
            Platform::Console => "console",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
