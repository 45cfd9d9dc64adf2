//! A string that must never reach a log line or a JSON event by accident.
//!
//! Tokens and certificate keys travel inside the configuration types; wrapping
//! them makes `{:?}` and `tracing` output safe by construction. The value is
//! still written where the user asked for it (a config file they save, the join
//! command they print), through `expose()` or serde.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        SecretString(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("\"\"")
        } else {
            f.write_str("<redacted>")
        }
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        SecretString(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = SecretString::new("abcdef.0123456789abcdef");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(s.expose(), "abcdef.0123456789abcdef");
    }
}
