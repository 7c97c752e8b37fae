//! Free text with limits: trimmed, never blank, never longer than its field
//! allows, without control characters that break exports and screens.

use crate::validation::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One character folded as search and comparison read it: full-width
/// letters and digits to ASCII, the ideographic space to a space, Latin
/// letters to lower case.
pub fn fold_char(c: char) -> impl Iterator<Item = char> {
    let half = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    half.to_lowercase()
}

/// A text folded character by character ([`fold_char`]): ＥＴＣ and etc
/// read the same.
pub fn fold(text: &str) -> String {
    text.chars().flat_map(fold_char).collect()
}

/// Checks a piece of text against a maximum length in characters (not bytes:
/// Chinese text is three bytes per character in UTF-8).
pub fn bounded(input: &str, max_chars: usize, multiline: bool) -> Result<String, FieldError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(FieldError::coded("", "empty", crate::validation::EMPTY));
    }
    let count = trimmed.chars().count();
    if count > max_chars {
        return Err(
            FieldError::coded("", "too_long", format!("is {count} characters long; at most {max_chars} are allowed")).with_limit(max_chars)
        );
    }
    if let Some(c) = trimmed.chars().find(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'))) {
        return Err(FieldError::coded("", "control_character", format!("{} U+{:04X}", crate::validation::CONTROL, c as u32)));
    }
    Ok(trimmed.to_owned())
}

/// Declares a text type with a maximum length.
macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $max:expr, $multiline:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(input: &str) -> Result<Self, FieldError> {
                bounded(input, $max, $multiline).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl BoundedText for $name {
            fn as_text(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = FieldError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

/// Text types that can be read back as a `&str`.
pub trait BoundedText {
    fn as_text(&self) -> &str;
}

bounded_text!(
    /// The one-line subject of a work order (标题).
    Subject, 200, false
);
bounded_text!(
    /// The citizen's request as recorded (诉求内容), or any long answer,
    /// result or reply text.
    Description, 10_000, true
);
bounded_text!(
    /// Why something was done: a return, a rejection, an extension.
    Reason, 2_000, true
);
bounded_text!(
    /// A person's name as given (姓名).
    PersonName, 50, false
);
bounded_text!(
    /// The title of a knowledge-base article, usually the question it answers.
    ArticleTitle, 200, false
);
bounded_text!(
    /// The body of a knowledge-base article, in Markdown.
    ArticleBody, 50_000, true
);
bounded_text!(
    /// The short answer a consultant reads out on the phone (答复口径).
    AnswerScript, 2_000, true
);
bounded_text!(
    /// The policy document an article rests on, with its number
    /// (e.g. 东府〔2024〕12号).
    SourceDocument, 200, false
);

bounded_text!(
    /// The name of a training course a consultant took (培训课程).
    CourseName, 100, false
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_counts_characters_not_bytes() {
        assert_eq!(Subject::parse("  路灯不亮  ").unwrap().as_str(), "路灯不亮");
        let max = "灯".repeat(Subject::MAX_CHARS);
        assert!(Subject::parse(&max).is_ok());
        let e = Subject::parse(&format!("{max}灯")).unwrap_err();
        assert!(e.message.contains("201 characters"), "{}", e.message);
    }

    #[test]
    fn rejects_blank_and_control_characters() {
        assert!(Subject::parse("   ").unwrap_err().message.contains("empty"));
        assert!(Subject::parse("a\nb").is_err());
        assert!(Description::parse("第一行\n第二行").is_ok());
        assert!(Description::parse("bell\u{7}").unwrap_err().message.contains("U+0007"));
    }
}
