//! The working-day calendar on the wire.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// When counting starts (RFC 3339), e.g. 2026-02-13T10:00:00+08:00.
    pub from: Option<String>,
    /// Working days to add, 0–400.
    pub working_days: Option<String>,
}

/// Whether next year's holidays are loaded.
/// The administrators' alert that a year's holidays are missing, open until
/// they are loaded.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarAlertDto {
    pub year: i32,
    pub raised_at: chrono::DateTime<chrono::FixedOffset>,
    /// When an administrator acknowledged it (it stays open until the year is loaded).
    pub read_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageDto {
    pub next_year: i32,
    pub next_year_loaded: bool,
    /// From 1 November until next year's holidays are loaded: deadlines
    /// running into next year count every weekday as a working day.
    pub warn: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DueResponse {
    /// Close of business of the last working day.
    pub due: DateTime<FixedOffset>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    pub year: Option<i32>,
}

/// A holiday (`working: false`) or a make-up working day (`working: true`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CalendarDayDto {
    pub date: NaiveDate,
    pub working: bool,
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetDayBody {
    pub working: bool,
    /// The holiday it belongs to, e.g. 春节.
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    pub imported: usize,
}
