//! /api/v1/work-orders: register, list, read, act.

use super::{Handled, Json, boolean, id, instant, next_cursor, page, tz};
use crate::dto::Page;
use crate::dto::actions::ActionBody;
use crate::dto::orders::{HistoryDto, ListQuery, OrderDto, OrderSummaryDto, ProposalDto, RegisterBody, RevealedPhone};
use crate::dto::{PageQuery, UnitRef};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Caller, JsonBody, order_number};
use crate::extract::{Path, Query};
use axum::extract::State;
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use hotline_app::App;
use hotline_app::orders::OrderDetails;
use hotline_app::ports::{OrderFilter, OrderSummary, TextFilter};
use hotline_domain::{CategoryId, OrderType, State as OrderState, UnitId, Urgency, ValidationErrors};
use serde::Deserialize;

pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

pub(crate) fn dto(app: &App, details: OrderDetails) -> OrderDto {
    OrderDto::of(details, &app.directory.snapshot(), tz(app), app.clock.now(), &app.calendar.snapshot())
}

pub(crate) fn summaries(app: &App, items: Vec<OrderSummary>, limit: u32) -> Page<OrderSummaryDto> {
    let org = app.directory.snapshot();
    let (zone, now, calendar) = (tz(app), app.clock.now(), app.calendar.snapshot());
    let next = next_cursor(items.len(), limit, items.last().map(|s| s.id));
    Page { items: items.into_iter().map(|s| OrderSummaryDto::of(s, &org, zone, now, &calendar)).collect(), next_cursor: next }
}

/// Registers a work order (登记). With `Idempotency-Key`, a retry returns
/// the order the first attempt created (200) instead of a second one.
#[utoipa::path(post, path = "/api/v1/work-orders", tag = "work orders", request_body = RegisterBody, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, body = OrderDto), (status = 200, description = "A retry with a known Idempotency-Key", body = OrderDto),
        (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    Caller(desk): Caller,
    headers: HeaderMap,
    JsonBody(body): JsonBody<RegisterBody>,
) -> ApiResult<impl IntoResponse> {
    let key = match headers.get(IDEMPOTENCY_KEY) {
        Some(v) => Some(v.to_str().map_err(|_| hotline_domain::FieldError::new(IDEMPOTENCY_KEY, "must be printable ASCII"))?.to_owned()),
        None => None,
    };
    let request = body.into_request()?;
    let registered = app.orders.register(&desk, request, key.as_deref()).await?;
    let status = if registered.replayed { StatusCode::OK } else { StatusCode::CREATED };
    let order = dto(&app, registered.details);
    let location = HeaderValue::from_str(&format!("/api/v1/work-orders/{}", order.number)).expect("order numbers are ASCII");
    Ok((status, [(LOCATION, location)], Json(order)))
}

pub(crate) fn filter(app: &App, q: &ListQuery) -> Result<OrderFilter, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let mut f = OrderFilter::default();
    if let Some(states) = &q.state {
        for s in states.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if let Some(state) = errors.collect(OrderState::parse(s).map_err(|e| hotline_domain::FieldError::new("state", e.message))) {
                f.states.push(state);
            }
        }
    }
    if let Some(u) = &q.unit {
        f.unit = errors.collect(id("unit", u)).map(UnitId);
    }
    if let Some(t) = &q.order_type {
        f.order_type = errors.collect(OrderType::parse(t).map_err(|e| hotline_domain::FieldError::new("type", e.message)));
    }
    if let Some(u) = &q.urgency {
        f.urgency = errors.collect(Urgency::parse(u).map_err(|e| hotline_domain::FieldError::new("urgency", e.message)));
    }
    if let Some(c) = &q.category
        && let Some(cat) = errors.collect(id("category", c))
    {
        match app.orders.category_filter(CategoryId(cat)) {
            Ok(ids) => f.categories = ids,
            Err(hotline_app::AppError::Invalid(e)) => e.0.into_iter().for_each(|x| errors.push(x)),
            Err(_) => errors.push(hotline_domain::FieldError::new("category", "unknown category")),
        }
    }
    if let Some(code) = &q.town {
        match app.orders.town(code) {
            Ok(t) => f.town = Some(t),
            Err(hotline_app::AppError::Invalid(e)) => e.0.into_iter().for_each(|x| errors.push(x)),
            Err(_) => errors.push(hotline_domain::FieldError::new("town", "unknown town")),
        }
    }
    if let Some(t) = &q.created_from {
        f.created_from = errors.collect(instant("created_from", t));
    }
    if let Some(t) = &q.created_to {
        f.created_to = errors.collect(instant("created_to", t));
    }
    if let Some(b) = &q.overdue
        && errors.collect(boolean("overdue", b)) == Some(true)
    {
        f.overdue_at = Some(app.clock.now());
    }
    if let Some(b) = &q.extension_requested {
        f.extension_requested = errors.collect(boolean("extension_requested", b)).unwrap_or(false);
    }
    if let Some(text) = &q.q {
        f.text = errors.collect(TextFilter::parse(text)).flatten();
    }
    errors.into_result().map(|()| f)
}

/// Orders the caller may see, newest first, with filters.
#[utoipa::path(get, path = "/api/v1/work-orders", tag = "work orders", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<OrderSummaryDto>), (status = 422, body = ErrorBody)))]
pub async fn list(State(app): State<App>, Caller(desk): Caller, Query(q): Query<ListQuery>) -> Handled<Page<OrderSummaryDto>> {
    let page = page(q.cursor.as_deref(), q.limit)?;
    let filter = filter(&app, &q)?;
    let items = app.orders.list(&desk, &filter, page).await?;
    Ok(Json(summaries(&app, items, page.limit)))
}

/// What waits on the caller: a unit's pending orders, or for centre staff
/// the states their roles act on.
#[utoipa::path(get, path = "/api/v1/work-orders/pending", tag = "work orders", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<OrderSummaryDto>)))]
pub async fn pending(State(app): State<App>, Caller(desk): Caller, Query(q): Query<PageQuery>) -> Handled<Page<OrderSummaryDto>> {
    let page = page(q.cursor.as_deref(), q.limit)?;
    let items = app.orders.pending(&desk, page).await?;
    Ok(Json(summaries(&app, items, page.limit)))
}

/// One order. Centre reads of the caller's identity are audited.
#[utoipa::path(get, path = "/api/v1/work-orders/{number}", tag = "work orders", security(("bearer" = [])),
    params(("number" = String, Path, example = "DG20261128000123")),
    responses((status = 200, body = OrderDto), (status = 404, body = ErrorBody)))]
pub async fn get(State(app): State<App>, Caller(desk): Caller, Path(number): Path<String>) -> ApiResult<impl IntoResponse> {
    let details = app.orders.get(&desk, &order_number(&number)?).await?;
    let etag = format!("\"{}\"", details.order.version);
    Ok(([(axum::http::header::ETAG, etag)], Json(dto(&app, details))))
}

/// The order's full history.
#[utoipa::path(get, path = "/api/v1/work-orders/{number}/history", tag = "work orders", security(("bearer" = [])),
    params(("number" = String, Path)), responses((status = 200, body = Vec<HistoryDto>), (status = 404, body = ErrorBody)))]
pub async fn history(State(app): State<App>, Caller(desk): Caller, Path(number): Path<String>) -> Handled<Vec<HistoryDto>> {
    let lines = app.orders.history(&desk, &order_number(&number)?).await?;
    let (org, zone) = (app.directory.snapshot(), tz(&app));
    Ok(Json(lines.into_iter().map(|l| HistoryDto::of(l, &org, zone)).collect()))
}

/// Takes an action. 409 with `allowed_actions` when the state does not allow
/// it; 409 with `current_version` when someone else acted first.
#[utoipa::path(post, path = "/api/v1/work-orders/{number}/actions", tag = "work orders", request_body = ActionBody, security(("bearer" = [])),
    params(("number" = String, Path)),
    responses((status = 200, body = OrderDto), (status = 409, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act(
    State(app): State<App>,
    Caller(desk): Caller,
    Path(number): Path<String>,
    JsonBody(raw): JsonBody<serde_json::Value>,
) -> Handled<OrderDto> {
    act_with(&app, &desk, &number, raw).await
}

/// An action from a desk, whoever's: a person's or an external system's.
pub(crate) async fn act_with(app: &App, desk: &hotline_app::access::Desk, number: &str, raw: serde_json::Value) -> Handled<OrderDto> {
    let number = order_number(number)?;
    let body = ActionBody::from_value(raw)?;
    let version = body.version;
    let request = body.into_request()?;
    let details = app.orders.act(desk, &number, version, request).await?;
    Ok(Json(dto(app, details)))
}

/// A unit user reveals the caller's full number to call back (audited).
#[utoipa::path(post, path = "/api/v1/work-orders/{number}/reveal-phone", tag = "work orders", security(("bearer" = [])),
    params(("number" = String, Path)), responses((status = 200, body = RevealedPhone), (status = 403, body = ErrorBody)))]
pub async fn reveal_phone(State(app): State<App>, Caller(desk): Caller, Path(number): Path<String>) -> Handled<RevealedPhone> {
    let phone = app.orders.reveal_phone(&desk, &order_number(&number)?).await?;
    Ok(Json(RevealedPhone { phone }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProposalQuery {
    pub category_id: Option<String>,
    /// The town's official code.
    pub town_code: Option<String>,
}

/// The lead unit and co-handlers the dispatch catalogue proposes.
#[utoipa::path(get, path = "/api/v1/dispatch/proposal", tag = "work orders", params(ProposalQuery), security(("bearer" = [])),
    responses((status = 200, body = ProposalDto), (status = 422, body = ErrorBody)))]
pub async fn proposal(State(app): State<App>, Caller(_desk): Caller, Query(q): Query<ProposalQuery>) -> Handled<ProposalDto> {
    let raw = q.category_id.ok_or_else(|| hotline_domain::FieldError::new("category_id", "is required"))?;
    let category = CategoryId(id("category_id", &raw)?);
    let p = app.orders.propose(category, q.town_code.as_deref())?;
    let org = app.directory.snapshot();
    Ok(Json(ProposalDto {
        lead_unit: p.lead.map(|u| UnitRef::of(&org, u)),
        co_units: p.co_handlers.into_iter().map(|u| UnitRef::of(&org, u)).collect(),
    }))
}

/// Registrations and actions on the orders the caller may see, as they
/// happen (server-sent events named `order`), so queues refresh at once.
#[utoipa::path(get, path = "/api/v1/work-orders/stream", tag = "work orders", security(("bearer" = [])),
    responses((status = 200, description = "text/event-stream of {number, action, state, units}")))]
pub async fn stream(
    State(app): State<App>,
    Caller(desk): Caller,
) -> axum::response::Sse<impl futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use tokio::sync::broadcast::error::RecvError;
    let feed = app.orders.subscribe();
    let events = futures_util::stream::unfold((feed, desk), |(mut feed, desk)| async move {
        loop {
            match feed.recv().await {
                Ok(change) if change.visible_in(desk.scope()) => {
                    let event = Event::default().event("order").json_data(&change).unwrap_or_default();
                    return Some((Ok(event), (feed, desk)));
                }
                Ok(_) => continue,
                // Missed changes: any event makes the screen reload its list.
                Err(RecvError::Lagged(_)) => return Some((Ok(Event::default().event("order").data("{}")), (feed, desk))),
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}
