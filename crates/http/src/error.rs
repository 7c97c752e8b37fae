//! The one place where application errors become HTTP responses.
//!
//! Every error body has the same shape: `{"code", "message", "fields"}`, plus
//! `allowed_actions` for a refused transition and `current_version` for a
//! lost race. Nothing the client sends produces a 500.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hotline_app::AppError;
use hotline_domain::{Action, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Machine-readable: `unauthenticated`, `forbidden`, `not_found`,
    /// `bad_request`, `invalid`, `transition_not_allowed`, `conflict`,
    /// `payload_too_large`, `unsupported_media_type`, `too_many_requests`,
    /// `unavailable`.
    pub code: &'static str,
    pub message: String,
    /// The fields at fault, for `invalid`.
    pub fields: Vec<FieldErrorBody>,
    /// For `transition_not_allowed`: what the order's state does allow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_actions: Option<Vec<Action>>,
    /// For `conflict` on an order: its version now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

/// One field at fault. `code` is stable, for a client to say what is wrong
/// in its own language: `required`, `empty`, `too_long` (with `limit`, the
/// most characters allowed), `control_character`, `phone`, `order_number`,
/// `unknown_value`, `unknown_field` (the body has a field the endpoint does
/// not take), `wrong_type`, `duplicate` (with `other`, the entry it
/// repeats), or `invalid` (then `message` is the only
/// explanation).
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// For `duplicate`: the position (from 1) of the entry this one repeats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<usize>,
    /// The same in English.
    pub message: String,
}

impl From<FieldError> for FieldErrorBody {
    fn from(e: FieldError) -> Self {
        Self { field: e.field, code: e.code, limit: e.limit, other: e.other, message: e.message }
    }
}

/// An error on its way to the client.
#[derive(Debug)]
pub enum ApiError {
    App(AppError),
    /// The request could not be read at all (malformed JSON, bad header).
    BadRequest(String),
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        Self::App(e.into())
    }
}

impl From<hotline_domain::ValidationErrors> for ApiError {
    fn from(e: hotline_domain::ValidationErrors) -> Self {
        Self::App(e.into())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

fn body(code: &'static str, message: String) -> ErrorBody {
    ErrorBody { code, message, fields: Vec::new(), allowed_actions: None, current_version: None }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Self::BadRequest(m) => (StatusCode::BAD_REQUEST, body("bad_request", m)),
            Self::App(e) => {
                let message = e.to_string();
                match e {
                    AppError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, body("unauthenticated", message)),
                    AppError::Forbidden(_) => (StatusCode::FORBIDDEN, body("forbidden", message)),
                    AppError::NotFound(_) => (StatusCode::NOT_FOUND, body("not_found", message)),
                    AppError::Invalid(errors) => {
                        let summary = errors.0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
                        let mut b = body("invalid", format!("invalid input: {summary}"));
                        b.fields = errors.0.into_iter().map(Into::into).collect();
                        (StatusCode::UNPROCESSABLE_ENTITY, b)
                    }
                    AppError::NotAllowed { allowed, .. } => {
                        let list: Vec<&str> = allowed.iter().map(|a| a.as_str()).collect();
                        let message = if list.is_empty() {
                            format!("{message}; the order is closed")
                        } else {
                            format!("{message}; allowed now: {}", list.join(", "))
                        };
                        let mut b = body("transition_not_allowed", message);
                        b.allowed_actions = Some(allowed);
                        (StatusCode::CONFLICT, b)
                    }
                    AppError::Conflict { current_version, .. } => {
                        let mut b = body("conflict", message);
                        b.current_version = current_version;
                        (StatusCode::CONFLICT, b)
                    }
                    AppError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, body("payload_too_large", message)),
                    AppError::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, body("unsupported_media_type", message)),
                    AppError::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, body("too_many_requests", message)),
                    AppError::Unavailable(_) => {
                        tracing::error!(error = %message, "backend unavailable");
                        (StatusCode::SERVICE_UNAVAILABLE, body("unavailable", message))
                    }
                }
            }
        };
        (status, axum::Json(body)).into_response()
    }
}
