//! Electronic supervision: deadline alerts (with their live feed and
//! deliveries), the supervision desk's lists, notices and cards, and the
//! addresses alerts are sent to.

use super::orders::summaries;
use super::{Handled, Json, id, page};
use crate::dto::Page;
use crate::dto::all;
use crate::dto::orders::OrderSummaryDto;
use crate::dto::supervision::{
    AlertDto, CardDto, ContactDto, DeliveryDto, IncidentOrderDto, MergeIncidentBody, MergeOutcomeDto, RepeatDto, ScanDto,
    SupervisionNoticeDto,
};
use crate::error::ApiResult;
use crate::extract::AsUserAdmin;
use crate::extract::{Caller, JsonBody};
use crate::extract::{Path, Query};
use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use hotline_app::App;
use hotline_app::evaluation::Month;
use hotline_app::supervision::{LiveAlert, OrderList, RepeatBy};
use hotline_domain::watch::AlertLevel;
use hotline_domain::{FieldError, UnitId, WorkOrderNo};
use serde::Deserialize;
use std::convert::Infallible;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AlertsQuery {
    /// Only alerts nobody has read yet.
    pub unread: Option<bool>,
    /// yellow, red, reminder or escalation.
    pub level: Option<String>,
    /// The id of the last alert of the previous page.
    pub before: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<u32>,
}

/// The caller's alerts, newest first: the centre sees all, a unit its own.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "supervision", params(AlertsQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<AlertDto>), (status = 422, description = "a bad level or cursor")))]
pub async fn alerts(State(app): State<App>, Caller(desk): Caller, Query(q): Query<AlertsQuery>) -> Handled<Vec<AlertDto>> {
    let reader = desk.alert_reader()?;
    let level = match q.level.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(AlertLevel::parse(raw).map_err(|e| FieldError::new("level", e.message))?),
    };
    let before = q.before.as_deref().map(|raw| id("before", raw)).transpose()?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(FieldError::new("limit", "must be between 1 and 200").into());
    }
    Ok(Json(all(app.supervision.alerts(&reader, q.unread.unwrap_or(false), level, before, limit).await?)))
}

/// Marks an alert read (已阅).
#[utoipa::path(post, path = "/api/v1/alerts/{id}/read", tag = "supervision", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = AlertDto), (status = 404, description = "no such alert for the caller")))]
pub async fn read(State(app): State<App>, Caller(desk): Caller, Path(raw): Path<String>) -> Handled<AlertDto> {
    let reader = desk.alert_reader()?;
    Ok(Json(app.supervision.mark_read(&reader, id("id", &raw)?).await?.into()))
}

/// The orders an alert stands for, in the order they came: every report of
/// an emergency incident, the alike orders of a surge warning.
#[utoipa::path(get, path = "/api/v1/alerts/{id}/orders", tag = "supervision", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Vec<IncidentOrderDto>), (status = 404, description = "no such alert for the caller"),
        (status = 422, description = "not an alert id")))]
pub async fn incident_orders(State(app): State<App>, Caller(desk): Caller, Path(raw): Path<String>) -> Handled<Vec<IncidentOrderDto>> {
    let reader = desk.alert_reader()?;
    let orders = app.supervision.incident_orders(&reader, id("id", &raw)?).await?;
    let (org, zone) = (app.directory.snapshot(), super::tz(&app));
    Ok(Json(orders.iter().map(|o| IncidentOrderDto::of(o, &org, zone)).collect()))
}

/// Merges the orders an incident or surge warning stands for into one of
/// them (并单), in one step: each still waiting for dispatch (or returned)
/// is merged as by its own `merge` action; the others are left, each said
/// why. For dispatchers.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/merge", tag = "supervision", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = MergeIncidentBody,
    responses((status = 200, body = Vec<MergeOutcomeDto>), (status = 403, description = "the caller may not merge orders"),
        (status = 404, description = "no such alert for the caller"), (status = 422, description = "no master, or one outside the incident")))]
pub async fn merge_incident(
    State(app): State<App>,
    Caller(desk): Caller,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<MergeIncidentBody>,
) -> Handled<Vec<MergeOutcomeDto>> {
    let reader = desk.alert_reader()?;
    let master = WorkOrderNo::parse(&body.master).map_err(|e| FieldError::new("master", e.message))?;
    let orders = app.supervision.incident_orders(&reader, id("id", &raw)?).await?;
    if !orders.iter().any(|o| o.number == master) {
        return Err(FieldError::new("master", format!("{master} is not one of the orders this alert stands for")).into());
    }
    let numbers: Vec<_> = orders.into_iter().map(|o| o.number).collect();
    Ok(Json(all(app.orders.merge_all(&desk, &master, &numbers).await?)))
}

/// Where an alert was sent by e-mail and webhook, and how that went.
#[utoipa::path(get, path = "/api/v1/alerts/{id}/deliveries", tag = "supervision", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Vec<DeliveryDto>), (status = 404, description = "no such alert for the caller")))]
pub async fn deliveries(State(app): State<App>, Caller(desk): Caller, Path(raw): Path<String>) -> Handled<Vec<DeliveryDto>> {
    let reader = desk.alert_reader()?;
    Ok(Json(all(app.supervision.deliveries(&reader, id("id", &raw)?).await?)))
}

/// New alerts for the caller as server-sent `alert` events, and incidents
/// and surge warnings that counted more orders as `counted` events (the
/// alert as it stands, its `orders` grown).
#[utoipa::path(get, path = "/api/v1/alerts/stream", tag = "supervision", security(("bearer" = [])),
    responses((status = 200, description = "text/event-stream of alerts (`alert`) and grown counts (`counted`)")))]
pub async fn stream(State(app): State<App>, Caller(desk): Caller) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let reader = desk.alert_reader()?;
    let feed = app.supervision.subscribe();
    let events = stream::unfold((feed, reader), |(mut feed, reader)| async move {
        loop {
            match feed.recv().await {
                Ok(live) if reader.sees(live.alert().unit) => {
                    let name = match live {
                        LiveAlert::Raised(_) => "alert",
                        LiveAlert::Counted(_) => "counted",
                    };
                    let event = SseEvent::default().event(name).json_data(live.alert()).unwrap_or_else(|_| SseEvent::default());
                    return Some((Ok(event), (feed, reader)));
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// expiring, overdue, returned, extensions or unsatisfied.
    pub list: String,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// One of the supervision desk's order lists.
#[utoipa::path(get, path = "/api/v1/supervision/orders", tag = "supervision", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<OrderSummaryDto>), (status = 422, description = "an unknown list")))]
pub async fn orders(State(app): State<App>, Caller(desk): Caller, Query(q): Query<ListQuery>) -> Handled<Page<OrderSummaryDto>> {
    let desk = desk.supervisor()?;
    let list = OrderList::parse(q.list.trim())
        .ok_or_else(|| FieldError::new("list", "must be expiring, overdue, returned, extensions or unsatisfied"))?;
    let page = page(q.cursor.as_deref(), q.limit)?;
    let items = app.supervision.orders(&desk, list, page).await?;
    Ok(Json(summaries(&app, items, page.limit)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RepeatsQuery {
    /// caller (重复来电) or problem (same category and address, 重复诉求).
    pub by: String,
    pub limit: Option<u32>,
}

/// Callers and problems that came back `repeat_at` times or more in the window.
#[utoipa::path(get, path = "/api/v1/supervision/repeats", tag = "supervision", params(RepeatsQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<RepeatDto>), (status = 422, description = "an unknown grouping")))]
pub async fn repeats(State(app): State<App>, Caller(desk): Caller, Query(q): Query<RepeatsQuery>) -> Handled<Vec<RepeatDto>> {
    let desk = desk.supervisor()?;
    let by = RepeatBy::parse(q.by.trim()).ok_or_else(|| FieldError::new("by", "must be caller or problem"))?;
    Ok(Json(all(app.supervision.repeats(&desk, by, q.limit.unwrap_or(50)).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct NoticesQuery {
    /// Only notices not answered yet.
    pub open: Option<bool>,
    pub limit: Option<u32>,
}

/// Supervision notices (督办单) with their answers and whether they are late.
#[utoipa::path(get, path = "/api/v1/supervision/notices", tag = "supervision", params(NoticesQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<SupervisionNoticeDto>)))]
pub async fn notices(State(app): State<App>, Caller(desk): Caller, Query(q): Query<NoticesQuery>) -> Handled<Vec<SupervisionNoticeDto>> {
    let desk = desk.supervisor()?;
    Ok(Json(all(app.supervision.notices(&desk, q.open.unwrap_or(false), q.limit.unwrap_or(100)).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CardsQuery {
    /// YYYY-MM; default: this month.
    pub month: Option<String>,
}

/// The month's yellow and red cards (黄牌/红牌) per unit.
#[utoipa::path(get, path = "/api/v1/supervision/cards", tag = "supervision", params(CardsQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<CardDto>), (status = 422, description = "a bad month")))]
pub async fn cards(State(app): State<App>, Caller(desk): Caller, Query(q): Query<CardsQuery>) -> Handled<Vec<CardDto>> {
    let desk = desk.supervisor()?;
    let month = match q.month.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => app.evaluation.this_month(),
        Some(raw) => Month::parse(raw)?,
    };
    Ok(Json(all(app.supervision.cards(&desk, month, &app.evaluation).await?)))
}

/// Runs a deadline scan now (the server also scans every `scan_every_secs`).
#[utoipa::path(post, path = "/api/v1/supervision/scan", tag = "supervision", security(("bearer" = [])),
    responses((status = 200, body = ScanDto)))]
pub async fn scan(State(app): State<App>, Caller(desk): Caller) -> Handled<ScanDto> {
    desk.supervisor()?;
    Ok(Json(app.supervision.scan().await?.into()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ContactsQuery {
    /// The unit's id; absent: the centre's own addresses.
    pub unit: Option<String>,
}

fn contact_unit(q: &ContactsQuery) -> Result<Option<UnitId>, FieldError> {
    q.unit.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|raw| id("unit", raw).map(UnitId)).transpose()
}

/// The e-mail and webhook addresses alerts of a unit (or the centre) go to.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "supervision", params(ContactsQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<ContactDto>)))]
pub async fn contacts(State(app): State<App>, Caller(desk): Caller, Query(q): Query<ContactsQuery>) -> Handled<Vec<ContactDto>> {
    let admin = desk.user_admin()?;
    Ok(Json(all(app.supervision.contacts(&admin, contact_unit(&q)?).await?)))
}

/// Replaces those addresses: `[{"channel": "email"|"webhook", "address": …, "leader": false}]`.
#[utoipa::path(put, path = "/api/v1/contacts", tag = "supervision", params(ContactsQuery), security(("bearer" = [])), request_body = Vec<crate::dto::inputs::ContactBody>,
    responses((status = 200, body = Vec<ContactDto>), (status = 422, description = "a bad address")))]
pub async fn set_contacts(
    State(app): State<App>,
    AsUserAdmin(_desk, admin): AsUserAdmin,
    Query(q): Query<ContactsQuery>,
    JsonBody(body): JsonBody<Vec<crate::dto::inputs::ContactBody>>,
) -> Handled<Vec<ContactDto>> {
    Ok(Json(all(app.supervision.set_contacts(&admin, contact_unit(&q)?, body.into_iter().map(Into::into).collect()).await?)))
}
