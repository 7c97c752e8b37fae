//! An order's number in the system it came from (原系统工单号): a legacy
//! export today, a partner's case system later. Numbers of other systems
//! rarely look like ours, so they are kept beside our number rather than
//! forced into it; one source never holds the same number twice.

use crate::validation::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

pub const EXTERNAL_SOURCE_MAX: usize = 32;
pub const EXTERNAL_NUMBER_MAX: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ExternalRef {
    /// Which system: lower-case letters, digits, `-` and `_` (`legacy`, `sz-2019`).
    source: String,
    /// Its number there, as written (trimmed).
    number: String,
}

impl ExternalRef {
    /// A system's name as sources are written: trimmed, checked.
    pub fn check_source(source: &str) -> Result<String, FieldError> {
        let source = source.trim();
        let source_ok = !source.is_empty()
            && source.len() <= EXTERNAL_SOURCE_MAX
            && source.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !source_ok {
            return Err(FieldError::new(
                "source",
                format!("a source is 1 to {EXTERNAL_SOURCE_MAX} lower-case letters, digits, - or _, e.g. legacy"),
            ));
        }
        Ok(source.to_owned())
    }

    pub fn parse(source: &str, number: &str) -> Result<Self, FieldError> {
        let source = Self::check_source(source)?;
        let number = number.trim();
        if number.is_empty() || number.chars().count() > EXTERNAL_NUMBER_MAX || number.chars().any(char::is_control) {
            return Err(FieldError::new("number", format!("an external number is 1 to {EXTERNAL_NUMBER_MAX} printable characters")));
        }
        Ok(Self { source, number: number.to_owned() })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn number(&self) -> &str {
        &self.number
    }
}

impl fmt::Display for ExternalRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source, self.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_of_other_systems_are_kept_as_written() {
        let r = ExternalRef::parse("sz-2019", " 440300-2019-0000123 ").unwrap();
        assert_eq!((r.source(), r.number()), ("sz-2019", "440300-2019-0000123"));
        assert_eq!(r.to_string(), "sz-2019:440300-2019-0000123");
        assert!(ExternalRef::parse("", "1").is_err());
        assert!(ExternalRef::parse("Legacy", "1").is_err(), "sources are lower-case");
        assert!(ExternalRef::parse("legacy", " ").is_err());
        assert!(ExternalRef::parse("legacy", "a\nb").is_err());
        assert!(ExternalRef::parse("legacy", &"9".repeat(65)).is_err());
        assert_eq!(ExternalRef::parse("legacy", "工单-001").unwrap().number(), "工单-001");
    }
}
