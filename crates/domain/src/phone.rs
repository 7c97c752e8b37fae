//! Chinese telephone numbers as a citizen gives them on the phone or a form.

use crate::validation::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A mobile number (`13812345678`) or a landline with its area code
/// (`0769-22831234`), normalised to digits only (`076922831234`).
///
/// Separators (spaces, `-`, parentheses) and the country prefix (`+86`,
/// `0086`) are accepted and dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let err = |message: &str| FieldError::coded("", "phone", message);
        if input.trim().is_empty() {
            return Err(err("phone number is empty"));
        }
        let mut digits = String::with_capacity(input.len());
        for (i, c) in input.trim().chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => {}
                ' ' | '-' | '(' | ')' => {}
                _ => return Err(err("phone number may contain only digits, spaces, '-', '(' ')' and a leading '+'")),
            }
        }
        let national =
            digits.strip_prefix("0086").or_else(|| (digits.len() == 13).then(|| digits.strip_prefix("86")).flatten()).unwrap_or(&digits);
        let bytes = national.as_bytes();
        let is_mobile = bytes.len() == 11 && bytes[0] == b'1' && (b'3'..=b'9').contains(&bytes[1]);
        // Area codes are 010/02x (3 digits) or 0xxx (4 digits); subscriber
        // numbers are 7 or 8 digits.
        let is_landline = bytes.first() == Some(&b'0') && bytes.get(1).is_some_and(|d| *d != b'0') && (10..=12).contains(&bytes.len());
        if is_mobile || is_landline {
            Ok(Self(national.to_owned()))
        } else if bytes.len() <= 8 && bytes.first() != Some(&b'0') && !bytes.is_empty() && bytes[0] != b'1' {
            Err(err("landline number needs its area code, e.g. 0769-22831234"))
        } else {
            Err(err("not a Chinese mobile number (11 digits starting 13–19) or a landline with area code"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_mobile(&self) -> bool {
        self.0.starts_with('1')
    }

    /// The form shown to those who may not see the number: `138****5678`
    /// for a mobile, the area code and the last four digits for a landline.
    pub fn masked(&self) -> String {
        let last4 = &self.0[self.0.len() - 4..];
        if self.is_mobile() {
            format!("{}****{last4}", &self.0[..3])
        } else {
            let area = if self.0.starts_with("01") || self.0.starts_with("02") { 3 } else { 4 };
            format!("{}****{last4}", &self.0[..area])
        }
    }

    /// The last four digits, which a citizen gives to track an order.
    pub fn last_four(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_mobiles_and_landlines_in_the_ways_people_write_them() {
        for (input, normalised) in [
            ("13812345678", "13812345678"),
            ("138 1234 5678", "13812345678"),
            ("+86 138-1234-5678", "13812345678"),
            ("008613812345678", "13812345678"),
            ("8613812345678", "13812345678"),
            ("0769-22831234", "076922831234"),
            ("(020) 8888 1234", "02088881234"),
            ("010-12345678", "01012345678"),
        ] {
            assert_eq!(PhoneNumber::parse(input).unwrap().as_str(), normalised, "{input}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_number_and_says_why() {
        for input in ["", "12345678901", "1381234567", "138123456789", "abc", "0012345678", "22831234", "138-1234-567x"] {
            let e = PhoneNumber::parse(input).unwrap_err();
            assert!(!e.message.is_empty(), "{input}");
        }
        assert!(PhoneNumber::parse("22831234").unwrap_err().message.contains("area code"));
    }

    #[test]
    fn masks_the_middle_digits() {
        assert_eq!(PhoneNumber::parse("13812341234").unwrap().masked(), "138****1234");
        assert_eq!(PhoneNumber::parse("0769-22831234").unwrap().masked(), "0769****1234");
        assert_eq!(PhoneNumber::parse("020-88881234").unwrap().masked(), "020****1234");
        assert_eq!(PhoneNumber::parse("13812345678").unwrap().last_four(), "5678");
    }
}
