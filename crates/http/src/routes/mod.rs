//! Handlers, one file per resource. Each handler parses, gets the caller's
//! desk, calls one application service and maps the result.

pub mod api_keys;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod calls;
pub mod deadlines;
pub mod desk;
pub mod emergency;
pub mod evaluation;
pub mod external;
pub mod kb;
pub mod meta;
pub mod orders;
pub mod org;
pub mod portal;
pub mod reports;
pub mod sms;
pub mod softphone;
pub mod staffing;
pub mod suggestions;
pub mod supervision;
pub mod topics;
pub mod users;

use crate::error::ApiResult;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use hotline_app::App;
use hotline_app::ports::PageRequest;
use hotline_domain::{FieldError, OrderId};

pub const DEFAULT_PAGE: u32 = 50;

pub(crate) fn tz(app: &App) -> Tz {
    app.calendar.snapshot().time_zone()
}

/// The page request from `cursor` and `limit`.
pub(crate) fn page(cursor: Option<&str>, limit: Option<u32>) -> Result<PageRequest, FieldError> {
    let before = match cursor {
        None | Some("") => None,
        Some(c) => Some(OrderId(c.parse().map_err(|_| FieldError::new("cursor", "not a cursor from a previous page"))?)),
    };
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=hotline_app::orders::MAX_PAGE).contains(&limit) {
        return Err(FieldError::new("limit", format!("must be between 1 and {}", hotline_app::orders::MAX_PAGE)));
    }
    Ok(PageRequest { before, limit })
}

/// A `limit` query value: `default` when absent, else 1 to `max`.
pub(crate) fn limit(raw: Option<&str>, default: usize, max: usize) -> Result<usize, FieldError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| FieldError::new("limit", format!("must be between 1 and {max}"))),
    }
}

pub(crate) fn instant(field: &str, raw: &str) -> Result<DateTime<Utc>, FieldError> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| FieldError::new(field, format!("{raw:?} is not an RFC 3339 time such as 2026-02-13T10:00:00+08:00")))
}

pub(crate) fn boolean(field: &str, raw: &str) -> Result<bool, FieldError> {
    match raw {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(FieldError::new(field, "must be true or false")),
    }
}

pub(crate) fn id(field: &str, raw: &str) -> Result<i64, FieldError> {
    raw.trim().parse().map_err(|_| FieldError::new(field, format!("{raw:?} is not an id")))
}

/// The next cursor when the page is full.
pub(crate) fn next_cursor(len: usize, limit: u32, last: Option<OrderId>) -> Option<String> {
    (len as u32 == limit).then_some(last).flatten().map(|id| id.to_string())
}

pub(crate) use axum::Json;
pub(crate) type Handled<T> = ApiResult<Json<T>>;
