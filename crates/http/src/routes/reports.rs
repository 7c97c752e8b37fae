//! Reports (日报、周报、月报) as JSON for charts and as .xlsx workbooks, and
//! the export of work orders as .xlsx or .csv.

use super::orders::filter;
use super::{Handled, Json};
use crate::dto::orders::ListQuery;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::extract::{Path, Query};
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use chrono::NaiveDate;
use futures_util::stream::{self, Stream};
use hotline_app::App;
use hotline_app::orders_export::EXPORT_HEADER;
use hotline_app::reports::{Period, Value};
use hotline_domain::FieldError;
use hotline_tabular::{Cell, Sheet};
use serde::Deserialize;
use std::convert::Infallible;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReportQuery {
    /// A date within the period (YYYY-MM-DD); default: today.
    pub date: Option<String>,
}

fn period(app: &App, kind: &str, q: &ReportQuery) -> Result<Period, ApiError> {
    let date = match q.date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => app.calendar.snapshot().local_date(app.clock.now()),
        Some(raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map_err(|_| FieldError::new("date", format!("{raw:?} is not a date like 2026-11-28")))?,
    };
    Ok(Period::parse(kind, date)?)
}

/// A report's sections, for charts on screen.
#[utoipa::path(get, path = "/api/v1/reports/{period}", tag = "reports", params(("period" = String, Path, description = "day, week or month"), ReportQuery),
    security(("bearer" = [])), responses((status = 200, body = crate::dto::reports::ReportDto), (status = 422, description = "a bad period or date")))]
pub async fn report(
    State(app): State<App>,
    Caller(desk): Caller,
    Path(kind): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Handled<crate::dto::reports::ReportDto> {
    let reader = desk.report_reader()?;
    Ok(Json(app.reports.report(&reader, period(&app, &kind, &q)?).await?.into()))
}

/// The same report as an .xlsx workbook, one formatted sheet per section.
#[utoipa::path(get, path = "/api/v1/reports/{period}/xlsx", tag = "reports", params(("period" = String, Path), ReportQuery),
    security(("bearer" = [])), responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn report_xlsx(
    State(app): State<App>,
    Caller(desk): Caller,
    Path(kind): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let reader = desk.report_reader()?;
    let period = period(&app, &kind, &q)?;
    let report = app.reports.report(&reader, period).await?;
    let sheets: Vec<Sheet> = report
        .sections
        .iter()
        .map(|s| Sheet {
            name: s.name.clone(),
            title: format!("{} · {}", report.title, s.name),
            header: s.header.clone(),
            rows: s.rows.iter().map(|r| r.iter().map(cell).collect()).collect(),
        })
        .collect();
    let bytes = hotline_tabular::workbook(&sheets).map_err(|e| hotline_app::AppError::Unavailable(e.to_string()))?;
    Ok(file(XLSX, &format!("{}.xlsx", period.file_stem()), bytes))
}

fn cell(v: &Value) -> Cell {
    match v {
        Value::Text(t) => Cell::Text(t.clone()),
        Value::Count(n) => Cell::Count(*n),
        Value::Rate(r) => Cell::Rate(*r),
        Value::Number(n) => Cell::Number(*n),
    }
}

fn file(content_type: &'static str, name: &str, bytes: Vec<u8>) -> impl IntoResponse + use<> {
    ([(CONTENT_TYPE, content_type.to_owned()), (CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))], bytes)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ExportFormat {
    /// xlsx (default) or csv.
    pub format: Option<String>,
}

/// Orders matching the list's filters as .xlsx or .csv (at most 20,000);
/// the caller's identity masked or withheld outside the centre.
#[utoipa::path(get, path = "/api/v1/work-orders/export", tag = "reports", params(ListQuery, ExportFormat), security(("bearer" = [])),
    responses((status = 200, description = "the file"), (status = 422, description = "a bad filter or format, or too many orders")))]
pub async fn export(
    State(app): State<App>,
    Caller(desk): Caller,
    Query(q): Query<ListQuery>,
    Query(f): Query<ExportFormat>,
) -> Result<impl IntoResponse, ApiError> {
    let format = f.format.as_deref().unwrap_or("xlsx");
    if !matches!(format, "xlsx" | "csv") {
        return Err(FieldError::new("format", "must be xlsx or csv").into());
    }
    let filter = filter(&app, &q)?;
    let rows = app.orders.export(&desk, &filter).await?;
    let failed = |e: hotline_tabular::TableError| ApiError::from(hotline_app::AppError::Unavailable(e.to_string()));
    let stem = format!("work-orders-{}", app.calendar.snapshot().local_date(app.clock.now()));
    if format == "csv" {
        return Ok(file(
            "text/csv; charset=utf-8",
            &format!("{stem}.csv"),
            hotline_tabular::csv_bytes(&EXPORT_HEADER, &rows).map_err(failed)?,
        ));
    }
    let sheet = Sheet {
        name: "工单".into(),
        title: format!("工单导出（{} 条）", rows.len()),
        header: EXPORT_HEADER.iter().map(|h| (*h).to_owned()).collect(),
        rows: rows.into_iter().map(|r| r.into_iter().map(Cell::Text).collect()).collect(),
    };
    Ok(file(XLSX, &format!("{stem}.xlsx"), hotline_tabular::workbook(&[sheet]).map_err(failed)?))
}

/// The big screen's snapshot: today's orders and calls, overdue now, the
/// satisfaction trend, hot topics, unread alerts.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "reports", security(("bearer" = [])),
    responses((status = 200, body = crate::dto::reports::SnapshotDto)))]
pub async fn dashboard(State(app): State<App>, Caller(desk): Caller) -> Handled<crate::dto::reports::SnapshotDto> {
    let reader = desk.report_reader()?;
    Ok(Json(app.dashboard.snapshot(&reader).await?.into()))
}

/// The snapshot as server-sent `dashboard` events, every 5 seconds.
#[utoipa::path(get, path = "/api/v1/dashboard/stream", tag = "reports", security(("bearer" = [])),
    responses((status = 200, description = "text/event-stream of snapshots")))]
pub async fn dashboard_stream(
    State(app): State<App>,
    Caller(desk): Caller,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let reader = desk.report_reader()?;
    let events = stream::unfold((app, reader, true), |(app, reader, first)| async move {
        if !first {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        }
        let snapshot = app.dashboard.snapshot(&reader).await.ok()?;
        let event = SseEvent::default().event("dashboard").json_data(&snapshot).unwrap_or_else(|_| SseEvent::default());
        Some((Ok(event), (app, reader, false)))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
