//! Byte ranges of a download (RFC 9110 §14): what a browser's audio player
//! asks for when the listener seeks in a recording.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The part of a body of `len` bytes a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// No usable Range: the whole body (several ranges at once are served
    /// whole too, as RFC 9110 allows).
    All,
    /// Bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// A range that lies wholly past the end.
    Unsatisfiable,
}

impl Wanted {
    pub fn of(headers: &HeaderMap, len: u64) -> Self {
        let Some(spec) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else { return Self::All };
        let Some(set) = spec.trim().strip_prefix("bytes=") else { return Self::All };
        if set.contains(',') {
            return Self::All;
        }
        let Some((first, last)) = set.trim().split_once('-') else { return Self::All };
        let (first, last) = (first.trim(), last.trim());
        let number = |s: &str| s.parse::<u64>().ok();
        match (first.is_empty(), last.is_empty()) {
            // bytes=-500: the last 500 bytes.
            (true, false) => match number(last) {
                Some(0) => Self::Unsatisfiable,
                Some(n) if len > 0 => Self::Part { start: len.saturating_sub(n), end: len - 1 },
                Some(_) => Self::Unsatisfiable,
                None => Self::All,
            },
            (false, _) => {
                let Some(start) = number(first) else { return Self::All };
                let end = if last.is_empty() { Some(u64::MAX) } else { number(last) };
                match end {
                    None => Self::All,
                    Some(end) if end < start => Self::All,
                    Some(_) if start >= len => Self::Unsatisfiable,
                    Some(end) => Self::Part { start, end: end.min(len - 1) },
                }
            }
            (true, true) => Self::All,
        }
    }

    /// Whether this request starts the body from its beginning (a new
    /// play), rather than continuing or seeking within it.
    pub fn from_start(&self) -> bool {
        matches!(self, Self::All | Self::Part { start: 0, .. })
    }

    /// A part no longer than `max` bytes: the server may send less than
    /// asked (its Content-Range says what), and a player asks again.
    pub fn at_most(self, max: u64) -> Self {
        match self {
            Self::Part { start, end } if end - start >= max => Self::Part { start, end: start + max - 1 },
            other => other,
        }
    }

    /// Where the answer's bytes start and how many, of a body of `len`;
    /// `None` for none.
    pub fn bytes(self, len: u64) -> Option<(u64, u64)> {
        match self {
            Self::All => Some((0, len)),
            Self::Part { start, end } => Some((start, end - start + 1)),
            Self::Unsatisfiable => None,
        }
    }

    /// The answer to a body of `len` bytes: 200 with all of it, 206 with
    /// the part asked for, or 416; `body` is what [`Self::bytes`] named.
    /// Each says ranges are accepted.
    pub fn respond(self, mut headers: Vec<(header::HeaderName, String)>, len: u64, body: Vec<u8>) -> Response {
        headers.push((header::ACCEPT_RANGES, "bytes".into()));
        let (status, body) = match self {
            Self::All => (StatusCode::OK, body),
            Self::Part { start, end } => {
                headers.push((header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}")));
                (StatusCode::PARTIAL_CONTENT, body)
            }
            Self::Unsatisfiable => {
                headers.push((header::CONTENT_RANGE, format!("bytes */{len}")));
                (StatusCode::RANGE_NOT_SATISFIABLE, Vec::new())
            }
        };
        let mut response = (status, body).into_response();
        for (name, value) in headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(range: &str, len: u64) -> Wanted {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(range).unwrap());
        Wanted::of(&headers, len)
    }

    #[test]
    fn ranges_as_browsers_send_them() {
        assert_eq!(Wanted::of(&HeaderMap::new(), 100), Wanted::All);
        assert_eq!(wanted("bytes=0-", 100), Wanted::Part { start: 0, end: 99 });
        assert_eq!(wanted("bytes=40-", 100), Wanted::Part { start: 40, end: 99 });
        assert_eq!(wanted("bytes=10-19", 100), Wanted::Part { start: 10, end: 19 });
        assert_eq!(wanted("bytes=90-500", 100), Wanted::Part { start: 90, end: 99 }, "an end past the body stops at it");
        assert_eq!(wanted("bytes=-30", 100), Wanted::Part { start: 70, end: 99 });
        assert_eq!(wanted("bytes=-300", 100), Wanted::Part { start: 0, end: 99 });
        assert!(wanted("bytes=0-", 100).from_start() && !wanted("bytes=40-", 100).from_start());
    }

    #[test]
    fn ranges_past_the_end_are_unsatisfiable_and_nonsense_is_ignored() {
        assert_eq!(wanted("bytes=100-", 100), Wanted::Unsatisfiable);
        assert_eq!(wanted("bytes=-0", 100), Wanted::Unsatisfiable);
        assert_eq!(wanted("bytes=-5", 0), Wanted::Unsatisfiable);
        for ignored in ["items=0-5", "bytes=5-2", "bytes=a-", "bytes=0-5,10-20", "bytes=-", "bytes=5"] {
            assert_eq!(wanted(ignored, 100), Wanted::All, "{ignored}");
        }
    }

    #[test]
    fn a_part_is_answered_206_with_its_content_range() {
        let body: Vec<u8> = (0..10).collect();
        let part = Wanted::Part { start: 2, end: 4 };
        assert_eq!(part.bytes(10), Some((2, 3)));
        let r = part.respond(Vec::new(), 10, body[2..5].to_vec());
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(r.headers()[header::CONTENT_RANGE], "bytes 2-4/10");
        assert_eq!(r.headers()[header::ACCEPT_RANGES], "bytes");
        assert_eq!(Wanted::Unsatisfiable.bytes(10), None);
        let r = Wanted::Unsatisfiable.respond(Vec::new(), 10, Vec::new());
        assert_eq!((r.status(), r.headers()[header::CONTENT_RANGE].to_str().unwrap()), (StatusCode::RANGE_NOT_SATISFIABLE, "bytes */10"));
        assert_eq!(Wanted::All.bytes(10), Some((0, 10)));
        assert_eq!(Wanted::All.respond(Vec::new(), 10, body).status(), StatusCode::OK);
    }

    #[test]
    fn a_long_part_is_cut_and_a_short_one_kept() {
        assert_eq!(wanted("bytes=100-", 10_000).at_most(1_000), Wanted::Part { start: 100, end: 1_099 });
        assert_eq!(wanted("bytes=100-", 1_000).at_most(1_000), Wanted::Part { start: 100, end: 999 });
        assert_eq!(wanted("bytes=0-999", 10_000).at_most(1_000), Wanted::Part { start: 0, end: 999 }, "exactly the most");
        assert_eq!(Wanted::All.at_most(1_000), Wanted::All, "no range asked: everything");
    }
}
