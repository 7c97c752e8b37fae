//! Texts to citizens: the delivery log, the templates, and the receipts
//! the SMS gateway (Kannel) reports. See `docs/sms.md`.

use super::{Handled, Json, tz};
use crate::dto::{local, local_opt};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AsAdmin, Caller, JsonBody, Query};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, FixedOffset};
use hotline_app::inbox::Incoming;
use hotline_app::ports::{IncomingText, SmsMessage};
use hotline_app::{App, AppError};
use hotline_domain::sms::{IncomingOutcome, SmsEvent, SmsState, UnmatchedReason, segments};
use hotline_domain::{FieldError, OrderId, PhoneNumber, Satisfaction, ValidationErrors};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct SmsDto {
    pub id: String,
    pub number: Option<String>,
    /// Masked (138****5678).
    pub phone: String,
    #[schema(value_type = String)]
    pub event: SmsEvent,
    pub text: String,
    /// Messages the text takes (70 Chinese characters in one, 67 per part beyond).
    pub segments: u32,
    #[schema(value_type = String)]
    pub state: SmsState,
    /// The state in Chinese.
    pub state_label: &'static str,
    pub attempts: i64,
    pub next_at: Option<DateTime<FixedOffset>>,
    pub sent_at: Option<DateTime<FixedOffset>>,
    pub delivered_at: Option<DateTime<FixedOffset>>,
    /// The operator's last receipt.
    pub receipt: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<FixedOffset>,
}

impl SmsDto {
    fn of(m: SmsMessage, zone: chrono_tz::Tz) -> Self {
        Self {
            id: m.id.to_string(),
            number: m.number.map(|n| n.as_str().to_owned()),
            phone: m.phone.masked(),
            event: m.event,
            text: m.text,
            segments: m.segments,
            state: m.state,
            state_label: m.state.label_zh(),
            attempts: m.attempts,
            next_at: local_opt(zone, m.next_at),
            sent_at: local_opt(zone, m.sent_at),
            delivered_at: local_opt(zone, m.delivered_at),
            receipt: m.receipt,
            last_error: m.last_error,
            created_at: local(zone, m.created_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Only the texts of this order (its id).
    pub order_id: Option<String>,
    /// At most this many, newest first (1–500, default 100).
    pub limit: Option<u32>,
}

/// The delivery log, newest first: for system administrators and supervisors of the centre.
#[utoipa::path(get, path = "/api/v1/sms/messages", tag = "sms", params(LogQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<SmsDto>), (status = 403, body = ErrorBody)))]
pub async fn log(State(app): State<App>, Caller(desk): Caller, Query(q): Query<LogQuery>) -> Handled<Vec<SmsDto>> {
    let order = match q.order_id.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(OrderId(super::id("order_id", raw)?)),
    };
    let texts = app.texts.log(&desk, order, q.limit.unwrap_or(100)).await?;
    let zone = tz(&app);
    Ok(Json(texts.into_iter().map(|m| SmsDto::of(m, zone)).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateDto {
    #[schema(value_type = String)]
    pub event: SmsEvent,
    /// The event in Chinese.
    pub label: &'static str,
    pub text: String,
    /// The placeholders it may use.
    pub placeholders: Vec<&'static str>,
    /// Messages it takes with the longest values.
    pub segments: u32,
}

fn templates(app: &App) -> Vec<TemplateDto> {
    app.texts
        .templates()
        .into_iter()
        .map(|(event, text)| {
            let known = hotline_domain::sms::placeholders(event);
            TemplateDto {
                event,
                label: event.label_zh(),
                segments: segments(&hotline_domain::sms::render(&text, known)).count,
                placeholders: known.iter().map(|(k, _)| *k).collect(),
                text,
            }
        })
        .collect()
}

#[utoipa::path(get, path = "/api/v1/sms/templates", tag = "sms", security(("bearer" = [])),
    responses((status = 200, body = Vec<TemplateDto>), (status = 403, body = ErrorBody)))]
pub async fn get_templates(State(app): State<App>, AsAdmin(_desk, _admin): AsAdmin) -> Handled<Vec<TemplateDto>> {
    Ok(Json(templates(&app)))
}

/// Templates to save; an event left out keeps its template.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatesBody {
    /// 受理回执, with `{number}`, `{due}` and `{hotline}`.
    pub registered: Option<String>,
    /// 办结告知, with `{number}`, `{reply}` (the public reply's first 60 characters) and `{hotline}`.
    pub closed: Option<String>,
    /// 短信回访, with `{number}`, `{hours}` (the reply window) and `{hotline}`.
    pub follow_up: Option<String>,
    /// 评价确认, with `{number}`, `{rating}` and `{hotline}`.
    pub rated: Option<String>,
}

/// Saves templates, each checked for its placeholders and its length (at
/// most 3 messages with the longest values).
#[utoipa::path(put, path = "/api/v1/sms/templates", tag = "sms", request_body = TemplatesBody, security(("bearer" = [])),
    responses((status = 200, body = Vec<TemplateDto>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_templates(
    State(app): State<App>,
    AsAdmin(_desk, admin): AsAdmin,
    JsonBody(body): JsonBody<TemplatesBody>,
) -> Handled<Vec<TemplateDto>> {
    let new: BTreeMap<SmsEvent, String> = [
        (SmsEvent::Registered, body.registered),
        (SmsEvent::Closed, body.closed),
        (SmsEvent::FollowUp, body.follow_up),
        (SmsEvent::Rated, body.rated),
    ]
    .into_iter()
    .filter_map(|(event, text)| text.map(|t| (event, t)))
    .collect();
    app.texts.set_templates(&admin, new).await?;
    Ok(Json(templates(&app)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceiptQuery {
    /// The text's id.
    pub id: String,
    /// Kannel's status: 1 delivered, 2 failed, 4 buffered, 8 accepted by the operator, 16 rejected.
    pub status: u32,
    /// The gateway's token (`sms.receipt_token`).
    pub token: String,
}

/// The operator's receipt for a text, called by the gateway (Kannel's `dlr-url`).
#[utoipa::path(get, path = "/api/v1/sms/receipts", tag = "sms", params(ReceiptQuery),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn receipt(State(app): State<App>, Query(q): Query<ReceiptQuery>) -> ApiResult<StatusCode> {
    let id = super::id("id", &q.id).map_err(AppError::from)?;
    app.texts.receipt(&q.token, id, q.status).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The most characters of a text from a citizen: 30 parts of a long text,
/// more than any phone sends.
const INCOMING_TEXT_MAX: usize = 2_000;

/// The most characters of a gateway's id for a text.
const GATEWAY_ID_MAX: usize = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncomingQuery {
    /// The gateway's token (`sms.receipt_token`).
    pub token: String,
    /// The gateway's id for the text (Kannel's `%I`): a text passed on twice is handled once.
    pub id: String,
    /// The citizen's number (Kannel's `%p`).
    pub from: String,
    /// The number the text was sent to (Kannel's `%P`).
    pub to: String,
    /// The text, UTF-8 (Kannel's `%b` with `mo-recode = true`).
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncomingDto {
    pub id: String,
    /// Masked (138****5678).
    pub phone: String,
    pub to: String,
    pub text: String,
    #[schema(value_type = String)]
    pub outcome: IncomingOutcome,
    /// The outcome in Chinese.
    pub outcome_label: &'static str,
    /// The order it rated or became.
    pub number: Option<String>,
    /// The rating it recorded.
    #[schema(value_type = Option<String>)]
    pub rating: Option<Satisfaction>,
    /// Why it did nothing: empty, no_follow_up, already_followed_up.
    #[schema(value_type = Option<String>)]
    pub reason: Option<UnmatchedReason>,
    pub received_at: DateTime<FixedOffset>,
}

impl IncomingDto {
    fn of(t: IncomingText, zone: chrono_tz::Tz) -> Self {
        Self {
            id: t.id.to_string(),
            phone: t.phone.masked(),
            to: t.to,
            text: t.text,
            outcome: t.outcome,
            outcome_label: t.outcome.label_zh(),
            number: t.number.map(|n| n.as_str().to_owned()),
            rating: t.rating,
            reason: t.reason,
            received_at: local(zone, t.received_at),
        }
    }
}

/// A text a citizen sent to the hotline, passed on by the gateway
/// (Kannel's `sms-service` `get-url`): a 1/2/3 reply to a follow-up text
/// is the follow-up; anything else becomes an order in the SMS channel.
#[utoipa::path(get, path = "/api/v1/sms/incoming", tag = "sms", params(IncomingQuery),
    responses((status = 200, body = IncomingDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn incoming(State(app): State<App>, Query(q): Query<IncomingQuery>) -> Handled<IncomingDto> {
    let mut errors = ValidationErrors::default();
    let id = q.id.trim();
    if id.is_empty() || id.len() > GATEWAY_ID_MAX || !id.bytes().all(|b| b.is_ascii_graphic()) {
        errors.push(FieldError::new("id", format!("must be 1 to {GATEWAY_ID_MAX} printable ASCII characters")));
    }
    let from = PhoneNumber::parse(&q.from).map_err(|e| errors.push(FieldError::new("from", e.message))).ok();
    let to = q.to.trim();
    if to.is_empty() || to.chars().count() > 21 {
        errors.push(FieldError::new("to", "must be the number the text was sent to (1 to 21 characters)"));
    }
    if q.text.chars().count() > INCOMING_TEXT_MAX {
        errors.push(FieldError::new("text", format!("at most {INCOMING_TEXT_MAX} characters")));
    }
    errors.into_result().map_err(AppError::from)?;
    let incoming = Incoming { gateway_id: id.to_owned(), from: from.expect("checked above"), to: to.to_owned(), text: q.text };
    let kept = app.inbox.receive(&q.token, incoming).await?;
    Ok(Json(IncomingDto::of(kept, tz(&app))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceivedQuery {
    /// At most this many, newest first (1–500, default 100).
    pub limit: Option<u32>,
}

/// The texts citizens sent, newest first, with what became of each: for
/// system administrators and supervisors of the centre.
#[utoipa::path(get, path = "/api/v1/sms/received", tag = "sms", params(ReceivedQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<IncomingDto>), (status = 403, body = ErrorBody)))]
pub async fn received(State(app): State<App>, Caller(desk): Caller, Query(q): Query<ReceivedQuery>) -> Handled<Vec<IncomingDto>> {
    let texts = app.texts.incoming_log(&desk, q.limit.unwrap_or(100)).await?;
    let zone = tz(&app);
    Ok(Json(texts.into_iter().map(|t| IncomingDto::of(t, zone)).collect()))
}
