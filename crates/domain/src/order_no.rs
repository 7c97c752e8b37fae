//! Human-readable work-order numbers: `DG20261128000123`.

use crate::validation::FieldError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The city's two-letter prefix (`DG` for Dongguan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrderNoPrefix(String);

impl OrderNoPrefix {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        if input.len() == 2 && input.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(input.to_owned()))
        } else {
            Err(FieldError::new("", "order number prefix must be two capital letters, e.g. DG"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OrderNoPrefix {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<OrderNoPrefix> for String {
    fn from(value: OrderNoPrefix) -> Self {
        value.0
    }
}

/// Prefix, registration date (local time) and a daily sequence of at least
/// six digits. Numbers of one prefix sort by registration day, then sequence.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WorkOrderNo(String);

impl WorkOrderNo {
    pub fn new(prefix: &OrderNoPrefix, date: NaiveDate, sequence: u64) -> Self {
        Self(format!("{}{}{:06}", prefix.as_str(), date.format("%Y%m%d"), sequence))
    }

    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let err = || {
            FieldError::coded(
                "",
                "order_number",
                format!("{} DG20261128000123: two letters, a date, a sequence", crate::validation::ORDER_NUMBER),
            )
        };
        let s = input.trim();
        let b = s.as_bytes();
        if b.len() < 16 || !b[..2].iter().all(u8::is_ascii_uppercase) || !b[2..].iter().all(u8::is_ascii_digit) {
            return Err(err());
        }
        NaiveDate::parse_from_str(&s[2..10], "%Y%m%d").map_err(|_| err())?;
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WorkOrderNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl TryFrom<String> for WorkOrderNo {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<WorkOrderNo> for String {
    fn from(value: WorkOrderNo) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_round_trip() {
        let prefix = OrderNoPrefix::parse("DG").unwrap();
        let no = WorkOrderNo::new(&prefix, NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(), 123);
        assert_eq!(no.as_str(), "DG20261128000123");
        assert_eq!(WorkOrderNo::parse("DG20261128000123").unwrap(), no);
        // A busy day past a million orders keeps sorting after the smaller ones.
        let big = WorkOrderNo::new(&prefix, NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(), 1_000_000);
        assert_eq!(big.as_str(), "DG202611281000000");
    }

    #[test]
    fn rejects_malformed_numbers() {
        for bad in ["", "DG2026112800012", "dg20261128000123", "DG20261328000123", "DG2026112800012X", "12345"] {
            assert!(WorkOrderNo::parse(bad).is_err(), "{bad}");
        }
        assert!(OrderNoPrefix::parse("D").is_err());
        assert!(OrderNoPrefix::parse("dg").is_err());
    }
}
