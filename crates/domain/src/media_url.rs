//! A link to a citizen's photo or video kept by the system that submitted
//! the request (Open311 `media_url`). The centre shows it to whoever handles
//! the order and never fetches it itself, so only its form is checked:
//! an absolute http(s) address of bounded length.

use crate::validation::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

pub const MEDIA_URL_MAX: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MediaUrl(String);

impl MediaUrl {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let url = raw.trim();
        let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
        let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
        let wrong = || FieldError::new("media_url", "must be an absolute http:// or https:// address, e.g. https://example.org/photo.jpg");
        match host {
            Some(h) if !h.is_empty() && !h.starts_with('@') => {}
            _ => return Err(wrong()),
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(wrong());
        }
        if url.len() > MEDIA_URL_MAX {
            return Err(FieldError::new("media_url", format!("at most {MEDIA_URL_MAX} characters")));
        }
        Ok(Self(url.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MediaUrl {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s).map_err(|e| e.message)
    }
}

impl From<MediaUrl> for String {
    fn from(u: MediaUrl) -> Self {
        u.0
    }
}

impl fmt::Display for MediaUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_web_addresses_of_bounded_length() {
        assert_eq!(MediaUrl::parse(" https://img.example.cn/a.jpg ").unwrap().as_str(), "https://img.example.cn/a.jpg");
        assert!(MediaUrl::parse("http://10.0.0.1:8080/x?y=1").is_ok());
        for bad in ["", "ftp://x/y", "https://", "https:///path", "javascript:alert(1)", "https://a b/c", "/relative.jpg"] {
            assert!(MediaUrl::parse(bad).is_err(), "{bad:?} accepted");
        }
        let long = format!("https://example.org/{}", "a".repeat(MEDIA_URL_MAX));
        assert!(MediaUrl::parse(&long).unwrap_err().message.contains("at most"));
    }
}
