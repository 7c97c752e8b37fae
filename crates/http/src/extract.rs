//! Request extractors: JSON bodies with field-precise errors, and the
//! caller's scoped desk.

use crate::error::{ApiError, ApiResult};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE};
use axum::http::request::Parts;
use hotline_app::access::Desk;
use hotline_app::{App, AppError};
use hotline_domain::{FieldError, WorkOrderNo};
use serde::de::DeserializeOwned;

pub const SESSION_COOKIE: &str = "hotline_session";

/// A JSON body. A body that is not JSON is a 400; JSON that does not fit
/// is a 422 naming the field (`caller.phone: not a Chinese mobile number…`).
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json")));
        if !is_json {
            return Err(AppError::UnsupportedMediaType("send the body as JSON with Content-Type: application/json".into()).into());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::App(AppError::TooLarge("the request body is larger than the 1 MiB allowed".into()))
            } else {
                ApiError::BadRequest(format!("the body could not be read: {e}"))
            }
        })?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// The query string parsed into `T`; a value that does not fit is a 422
/// naming the parameter, in the API's own error body (axum's would be text).
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(Query).map_err(|e| {
            let field = e.path().to_string();
            let message = e.into_inner().to_string();
            let field = if field == "." { "query".to_owned() } else { field };
            AppError::invalid(&field, message).into()
        })
    }
}

/// Path parameters; a segment that cannot be read (not UTF-8, not the type
/// wanted) is a 400 in the API's own error body.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(e) => Err(ApiError::BadRequest(format!("the address could not be read: {}", e.body_text()))),
        }
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(ApiError::BadRequest(format!("the body is not valid JSON: {inner}")));
            }
            Err(field_error(&path, &inner.to_string()).into())
        }
    }
}

/// Reads an already parsed JSON value into `T`, naming the field at fault.
pub fn parse_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, FieldError> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let path = e.path().to_string();
        field_error(&path, &e.into_inner().to_string())
    })
}

/// Turns a serde message into a field error: the field is the path, or
/// the name of the missing field.
fn field_error(path: &str, message: &str) -> FieldError {
    // serde appends " at line L column C"; the position is noise to a user.
    let message = message.split(" at line ").next().unwrap_or(message);
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        let field = if path == "." { name.to_owned() } else { format!("{path}.{name}") };
        return FieldError::coded(field, "required", "is required");
    }
    let field = if path == "." { String::new() } else { path.to_owned() };
    if message.starts_with("unknown field") {
        return FieldError::coded(field, "unknown_field", message);
    }
    if message.starts_with("unknown variant") {
        return FieldError::coded(field, "unknown_value", message);
    }
    if message.starts_with("invalid type") || message.starts_with("invalid value") || message.starts_with("invalid length") {
        return FieldError::coded(field, "wrong_type", message);
    }
    FieldError::from_message(field, message)
}

/// The authenticated caller's desk, scoped to their unit.
pub struct Caller(pub Desk);

/// Extractors that authenticate and check the role before anything reads
/// the body: a unit sending a malformed body to an administrator's
/// endpoint is told 403, not which fields were wrong.
macro_rules! gate {
    ($(#[$doc:meta])* $name:ident, $proof:ty, $method:ident) => {
        $(#[$doc])*
        pub struct $name(pub Desk, pub $proof);

        impl FromRequestParts<App> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
                let Caller(desk) = Caller::from_request_parts(parts, app).await?;
                let proof = desk.$method()?;
                Ok(Self(desk, proof))
            }
        }
    };
}

gate!(
    /// A system administrator.
    AsAdmin, hotline_app::access::AdminDesk, admin
);
gate!(
    /// A system administrator, or a unit administrator for their units.
    AsUserAdmin, hotline_app::access::AdminDesk, user_admin
);
gate!(
    /// A call-centre manager.
    AsCallCentreManager, hotline_app::access::CallCentreManager, call_centre_manager
);
gate!(
    /// A supervisor of the centre.
    AsSupervisor, hotline_app::access::SupervisorDesk, supervisor
);
gate!(
    /// Someone who writes knowledge articles.
    AsArticleEditor, hotline_app::access::ArticleEditor, article_editor
);
gate!(
    /// Someone with a phone line: a consultant or a supervisor.
    AsPhoneUser, hotline_app::access::PhoneUser, phone_user
);
gate!(
    /// Someone who makes callbacks.
    AsCallbackWorker, hotline_app::access::CallbackWorker, callback_worker
);

fn bearer_or_cookie(parts: &Parts) -> Option<String> {
    if let Some(token) = parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")) {
        return Some(token.trim().to_owned());
    }
    parts.headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == SESSION_COOKIE).then(|| value.to_owned())
    })
}

/// The session token of a request, if any.
pub fn session_token(parts: &Parts) -> Option<String> {
    bearer_or_cookie(parts)
}

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let token = bearer_or_cookie(parts).ok_or_else(|| {
            AppError::Unauthenticated("log in first: send Authorization: Bearer <token> from POST /api/v1/auth/login".into())
        })?;
        let principal = app.auth.authenticate(&token).await?;
        Ok(Caller(app.access.open(principal)))
    }
}

/// A work-order number from the path.
pub fn order_number(raw: &str) -> ApiResult<WorkOrderNo> {
    WorkOrderNo::parse(raw).map_err(|e| FieldError::new("number", e.message).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Outer {
        caller: Inner,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        phone: hotline_domain::PhoneNumber,
        name: String,
    }

    fn fields(json: &str) -> Vec<(String, String)> {
        match parse_json::<Outer>(json.as_bytes()) {
            Err(ApiError::App(AppError::Invalid(e))) => e.0.into_iter().map(|f| (f.field, f.message)).collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn names_the_field_at_fault() {
        let f = fields(r#"{"caller":{"phone":"12","name":"x"}}"#);
        assert_eq!(f[0].0, "caller.phone");
        assert!(f[0].1.contains("not a Chinese mobile"), "{f:?}");
        assert_eq!(fields(r#"{"caller":{"phone":"13812345678"}}"#), vec![("caller.name".into(), "is required".into())]);
        assert_eq!(fields(r#"{}"#)[0].0, "caller");
        assert!(matches!(parse_json::<Outer>(b"{not json"), Err(ApiError::BadRequest(_))));
    }
}
