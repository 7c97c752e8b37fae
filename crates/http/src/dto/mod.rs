//! What travels over the wire. Responses are built from application values
//! with the caller's privacy already applied; requests are parsed into
//! domain types, so the inside never sees unchecked input.

pub mod actions;
pub mod articles;
pub mod auth;
pub mod calendar;
pub mod calls;
pub mod deadlines;
pub mod evaluation;
pub mod inputs;
pub mod kb;
pub mod orders;
pub mod org;
pub mod portal;
pub mod reports;
pub mod similar;
pub mod supervision;
pub mod topics;

use chrono::{DateTime, FixedOffset, Utc};
use chrono_tz::Tz;
use hotline_app::directory::OrgSnapshot;
use hotline_domain::UnitId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An instant as the centre's local time (`2026-02-24T18:00:00+08:00`).
pub fn local(tz: Tz, t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&tz).fixed_offset()
}

pub fn local_opt(tz: Tz, t: Option<DateTime<Utc>>) -> Option<DateTime<FixedOffset>> {
    t.map(|t| local(tz, t))
}

/// A unit as shown next to an order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitRef {
    #[schema(value_type = String)]
    pub id: UnitId,
    pub code: String,
    pub name: String,
}

impl UnitRef {
    pub fn of(org: &OrgSnapshot, id: UnitId) -> Self {
        match org.unit(id) {
            Some(u) => Self { id, code: u.code.clone(), name: u.name.clone() },
            None => Self { id, code: String::new(), name: format!("#{id}") },
        }
    }
}

/// A page of a list, newest first. Pass `next_cursor` as `cursor` for the next page.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Common paging parameters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// A list of application records as their DTOs.
pub fn all<A, D: From<A>>(items: Vec<A>) -> Vec<D> {
    items.into_iter().map(D::from).collect()
}
