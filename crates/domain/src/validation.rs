//! Errors that name the field at fault, so every client (the desk, the portal,
//! a partner system) can show the problem next to the input that caused it.

use serde::Serialize;
use std::fmt;

/// One invalid input: which field, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Path of the field in the request, e.g. `caller.phone`.
    pub field: String,
    /// What is wrong, stable for a client to say in its own language:
    /// one of [`CODES`]; `invalid` when only the message says what.
    pub code: &'static str,
    /// For `too_long`: the most characters allowed; for `too_many`, entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// For `duplicate`: the position (from 1) of the entry this one repeats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<usize>,
    /// What is wrong, in plain English.
    pub message: String,
}

/// Every code a field error may carry.
pub const CODES: &[&str] = &[
    "required",
    "empty",
    "too_long",
    "control_character",
    "phone",
    "order_number",
    "unknown_value",
    "unknown_field",
    "wrong_type",
    "duplicate",
    "too_many",
    "phrase",
    "invalid",
];

impl FieldError {
    /// An error whose message is the whole explanation (code `invalid`).
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::coded(field, "invalid", message)
    }

    /// An error of a kind clients name in their own words.
    pub fn coded(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        debug_assert!(CODES.contains(&code), "unknown field error code {code}");
        Self { field: field.into(), code, limit: None, other: None, message: message.into() }
    }

    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    pub fn with_other(mut self, position: usize) -> Self {
        self.other = Some(position);
        self
    }

    /// The error a message of this crate's parsers stands for when only the
    /// text came through (serde hands a type's parse error on as text).
    /// Each coded error of the parsers is recognised (tested below).
    pub fn from_message(field: impl Into<String>, message: &str) -> Self {
        let limit = || message.split("at most ").nth(1)?.split_whitespace().next()?.parse::<usize>().ok();
        let (code, limit) = if message == EMPTY {
            ("empty", None)
        } else if message.starts_with("is ") && message.contains(" characters long; at most ") {
            ("too_long", limit())
        } else if message.starts_with(CONTROL) {
            ("control_character", None)
        } else if PHONE_MESSAGES.iter().any(|m| message.starts_with(m)) {
            ("phone", None)
        } else if message.starts_with(ORDER_NUMBER) {
            ("order_number", None)
        } else if message.starts_with("unknown ") && message.contains("; expected one of ") {
            ("unknown_value", None)
        } else {
            ("invalid", None)
        };
        Self { field: field.into(), code, limit, other: None, message: message.to_owned() }
    }

    /// The same error reported under a parent path (`phone` → `caller.phone`).
    pub fn within(mut self, parent: &str) -> Self {
        self.field = if self.field.is_empty() { parent.to_owned() } else { format!("{parent}.{}", self.field) };
        self
    }
}

pub(crate) const EMPTY: &str = "must not be empty";
pub(crate) const CONTROL: &str = "contains the control character";
pub(crate) const ORDER_NUMBER: &str = "work order number looks like";
pub(crate) const PHONE_MESSAGES: [&str; 4] =
    ["phone number is empty", "phone number may contain only", "landline number needs its area code", "not a Chinese mobile number"];

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() { f.write_str(&self.message) } else { write!(f, "{}: {}", self.field, self.message) }
    }
}

impl std::error::Error for FieldError {}

/// Every field error found in one input, collected rather than stopping at
/// the first, so a form can be corrected in one go.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        write!(f, "invalid input: {}", parts.join("; "))
    }
}

impl ValidationErrors {
    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, message)])
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keeps the value when parsing succeeded; records the error otherwise.
    pub fn collect<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(error);
                None
            }
        }
    }

    /// `Ok(())` when nothing was collected.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl From<FieldError> for ValidationErrors {
    fn from(error: FieldError) -> Self {
        Self(vec![error])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Description, PhoneNumber, Subject, WorkOrderNo};

    #[test]
    fn a_parse_error_keeps_its_code_when_only_its_text_survives() {
        let errors = [
            Subject::parse(" ").unwrap_err(),
            Subject::parse(&"长".repeat(201)).unwrap_err(),
            Description::parse("a\u{7}b").unwrap_err(),
            PhoneNumber::parse("").unwrap_err(),
            PhoneNumber::parse("138-abc").unwrap_err(),
            PhoneNumber::parse("22831234").unwrap_err(),
            PhoneNumber::parse("99999999999").unwrap_err(),
            WorkOrderNo::parse("12345").unwrap_err(),
            crate::OrderType::parse("rumour").unwrap_err(),
        ];
        let codes: Vec<&str> = errors.iter().map(|e| e.code).collect();
        assert_eq!(codes, ["empty", "too_long", "control_character", "phone", "phone", "phone", "phone", "order_number", "unknown_value"]);
        assert_eq!(errors[1].limit, Some(200));
        for e in &errors {
            let again = FieldError::from_message("x", &e.message);
            assert_eq!((again.code, again.limit), (e.code, e.limit), "{}", e.message);
        }
        assert_eq!(FieldError::from_message("x", "something else").code, "invalid");
        assert!(errors.iter().all(|e| CODES.contains(&e.code)));
    }
}
