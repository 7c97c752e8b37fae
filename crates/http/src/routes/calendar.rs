//! /api/v1/calendar: the promised date, and the holiday calendar.

use super::{Handled, Json, instant};
use crate::dto::calendar::{CalendarAlertDto, CalendarDayDto, CoverageDto, DueQuery, DueResponse, ImportResponse, SetDayBody, YearQuery};
use crate::dto::{local, local_opt};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::AsAdmin;
use crate::extract::Caller;
use crate::extract::{Path, Query};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Datelike, NaiveDate};
use hotline_app::App;
use hotline_domain::{CalendarDay, FieldError, ValidationErrors, holiday_cn};

/// The deadline `working_days` after `from`: counting starts the next day,
/// and ends at close of business (18:00 by default) of the last working day.
#[utoipa::path(get, path = "/api/v1/calendar/due", tag = "calendar", params(DueQuery), security(("bearer" = [])),
    responses((status = 200, body = DueResponse), (status = 422, body = ErrorBody)))]
pub async fn due(State(app): State<App>, Caller(_desk): Caller, Query(q): Query<DueQuery>) -> Handled<DueResponse> {
    let mut errors = ValidationErrors::default();
    let from = match q.from.as_deref() {
        Some(raw) => errors.collect(instant("from", raw)),
        None => {
            errors.push(FieldError::new("from", "is required"));
            None
        }
    };
    let days = match q.working_days.as_deref() {
        Some(raw) => errors
            .collect(raw.trim().parse::<u32>().map_err(|_| FieldError::new("working_days", "must be a whole number of days, 0 or more"))),
        None => {
            errors.push(FieldError::new("working_days", "is required"));
            None
        }
    };
    errors.into_result()?;
    let (Some(from), Some(days)) = (from, days) else { unreachable!("checked above") };
    let due = app.calendar.due(from, days)?;
    Ok(Json(DueResponse { due: local(app.calendar.snapshot().time_zone(), due) }))
}

/// Whether next year's holidays are loaded; from 1 November until they are,
/// `warn` asks administrators to load them.
#[utoipa::path(get, path = "/api/v1/calendar/coverage", tag = "calendar", security(("bearer" = [])),
    responses((status = 200, body = CoverageDto)))]
pub async fn coverage(State(app): State<App>, Caller(_desk): Caller) -> Handled<CoverageDto> {
    let c = app.calendar.coverage(app.clock.now());
    Ok(Json(CoverageDto { next_year: c.next_year, next_year_loaded: c.next_year_loaded, warn: c.warn }))
}

/// The open alerts that a year's holidays are missing (system administrators).
#[utoipa::path(get, path = "/api/v1/calendar/alerts", tag = "calendar", security(("bearer" = [])),
    responses((status = 200, body = Vec<CalendarAlertDto>), (status = 403, body = ErrorBody)))]
pub async fn alerts(State(app): State<App>, AsAdmin(_desk, _admin): AsAdmin) -> Handled<Vec<CalendarAlertDto>> {
    let zone = app.calendar.snapshot().time_zone();
    let open = app.calendar.open_alerts().await?;
    Ok(Json(
        open.into_iter()
            .map(|a| CalendarAlertDto { year: a.year, raised_at: local(zone, a.raised_at), read_at: local_opt(zone, a.read_at) })
            .collect(),
    ))
}

/// An administrator has seen the alert for `year` (audited).
#[utoipa::path(post, path = "/api/v1/calendar/alerts/{year}/read", tag = "calendar", security(("bearer" = [])),
    params(("year" = i32, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn read_alert(State(app): State<App>, AsAdmin(_desk, admin): AsAdmin, Path(raw): Path<String>) -> ApiResult<StatusCode> {
    let year: i32 = raw.trim().parse().map_err(|_| FieldError::new("year", "a year, e.g. 2027"))?;
    app.calendar.acknowledge_alert(&admin, year, app.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Holidays and make-up working days of a year (default: this year).
#[utoipa::path(get, path = "/api/v1/calendar/days", tag = "calendar", params(YearQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<CalendarDayDto>)))]
pub async fn days(State(app): State<App>, Caller(_desk): Caller, Query(q): Query<YearQuery>) -> Handled<Vec<CalendarDayDto>> {
    let year = q.year.unwrap_or_else(|| app.calendar.snapshot().local_date(app.clock.now()).year());
    let days = app.calendar.days_in_year(year);
    Ok(Json(days.into_iter().map(|d| CalendarDayDto { date: d.date, working: d.working, name: d.name }).collect()))
}

fn date(raw: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| FieldError::new("date", format!("{raw:?} is not a date YYYY-MM-DD")))
}

/// Marks a day as a holiday or a make-up working day (system admin).
#[utoipa::path(put, path = "/api/v1/calendar/days/{date}", tag = "calendar", request_body = SetDayBody, security(("bearer" = [])),
    params(("date" = String, Path, example = "2027-02-06")),
    responses((status = 200, body = CalendarDayDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_day(
    State(app): State<App>,
    AsAdmin(_desk, admin): AsAdmin,
    Path(raw): Path<String>,
    crate::extract::JsonBody(body): crate::extract::JsonBody<SetDayBody>,
) -> Handled<CalendarDayDto> {
    let date = date(&raw)?;
    let name = hotline_domain::text::bounded(&body.name, 50, false).map_err(|e| FieldError::new("name", e.message))?;
    app.calendar.set_day(&admin, CalendarDay { date, working: body.working, name: name.clone() }).await?;
    Ok(Json(CalendarDayDto { date, working: body.working, name }))
}

/// Removes a day's exception; it follows the weekly template again.
#[utoipa::path(delete, path = "/api/v1/calendar/days/{date}", tag = "calendar", security(("bearer" = [])),
    params(("date" = String, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn clear_day(State(app): State<App>, Caller(desk): Caller, Path(raw): Path<String>) -> ApiResult<StatusCode> {
    let date = date(&raw)?;
    app.calendar.clear_day(&desk.admin()?, date).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A year file in the holiday-cn format. The handler reads it with the
/// same parser as `hotline calendar import`; this describes that format.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct HolidayFile {
    pub year: i32,
    pub days: Vec<HolidayFileDay>,
}

/// A dated exception to the weekly template.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HolidayFileDay {
    /// The holiday's name, e.g. 春节.
    pub name: String,
    pub date: chrono::NaiveDate,
    /// true: a day off (法定节假日); false: a make-up working day (调休上班).
    pub is_off_day: bool,
}

/// Imports a year file in the holiday-cn format (system admin).
#[utoipa::path(post, path = "/api/v1/calendar/import", tag = "calendar", security(("bearer" = [])),
    request_body(content_type = "application/json", content = HolidayFile, description = "A holiday-cn year file, as NateScarlet/holiday-cn publishes it"),
    responses((status = 200, body = ImportResponse), (status = 422, body = ErrorBody)))]
pub async fn import(State(app): State<App>, Caller(desk): Caller, body: Bytes) -> Handled<ImportResponse> {
    let admin = desk.admin()?;
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::BadRequest("the file is not UTF-8".into()))?;
    let year = holiday_cn::parse(text).map_err(|e| FieldError::new("file", e.to_string()))?;
    let imported = app.calendar.import(&admin, year.days).await?;
    Ok(Json(ImportResponse { imported }))
}
