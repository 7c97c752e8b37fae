//! Open311 GeoReport v2 under `/open311/v2/`: JSON or XML by the file's
//! suffix, the specification's error format, an `api_key` (parameter or
//! `X-Api-Key` header) to submit and to read beyond the published replies.
//! See `docs/open311.md`.

pub mod params;
pub mod wire;

use crate::ratelimit::RateLimiter;
use crate::security::Client;
use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, NaiveDate, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;
use hotline_app::partners::Partner;
use hotline_app::partners::open311::{Accepted, Attribute, Open311Submission, RequestQuery, Service, ServiceRequest, Status};
use hotline_app::{App, AppError};
use hotline_domain::{CategoryId, Coordinates, FieldError, MediaUrl, PhoneNumber, Subject, WorkOrderNo};
use params::Params;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use wire::{Format, Node};

/// What discovery tells clients about this endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Open311Config {
    /// The `jurisdiction_id` this endpoint serves; a request naming another is refused.
    pub jurisdiction_id: String,
    /// Who partners write to, shown in discovery.
    pub contact: String,
    /// Where a partner asks for an API key, shown in discovery.
    pub key_service: String,
    /// The endpoint's public address (`https://12345.example.gov.cn/open311/v2/`);
    /// empty: made from the request's `Host`.
    pub base_url: String,
}

impl Default for Open311Config {
    fn default() -> Self {
        Self {
            jurisdiction_id: "dongguan.gov.cn".into(),
            contact: "东莞市12345政务服务便民热线 接口对接".into(),
            key_service: "向热线系统管理员申请 API key".into(),
            base_url: String::new(),
        }
    }
}

/// When the service definition last changed, for discovery's `changeset`.
const CHANGESET: &str = "2026-12-03T00:00:00+08:00";
/// Requests without a key one client may make per minute.
const ANONYMOUS_PER_MINUTE: u32 = 60;
const DESCRIPTION_MAX: usize = 4000;

struct Settings {
    config: Open311Config,
    anonymous: RateLimiter,
}

pub fn router(config: Open311Config) -> Router<App> {
    let settings = Arc::new(Settings { config, anonymous: RateLimiter::new(ANONYMOUS_PER_MINUTE) });
    Router::new()
        .route("/open311/v2/{file}", get(top).post(submit))
        .route("/open311/v2/services/{file}", get(definition))
        .route("/open311/v2/requests/{file}", get(request))
        .route("/open311/v2/tokens/{file}", get(token))
        .layer(Extension(settings))
}

/// An answer in Open311's error format: `[{"code", "description"}]`.
struct Failure {
    status: StatusCode,
    descriptions: Vec<String>,
}

impl Failure {
    fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Self { status, descriptions: vec![description.into()] }
    }

    fn respond(self, format: Format) -> Response {
        let code = i64::from(self.status.as_u16());
        let errors = self
            .descriptions
            .into_iter()
            .map(|d| Node::Object(vec![("code", Node::Integer(code)), ("description", Node::Text(d))]))
            .collect();
        Node::List("error", errors).respond(self.status, format, "errors")
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        let message = e.to_string();
        let status = match e {
            AppError::Invalid(errors) => {
                let descriptions = errors.0.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
                return Self { status: StatusCode::BAD_REQUEST, descriptions };
            }
            AppError::Unauthenticated(_) | AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::NotAllowed { .. } | AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => {
                tracing::error!(error = %message, "backend unavailable");
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        Self::new(status, message)
    }
}

impl From<FieldError> for Failure {
    fn from(e: FieldError) -> Self {
        AppError::from(e).into()
    }
}

type Answer = Result<Response, Failure>;

/// A file of an unknown format, answered in JSON.
fn unknown_format(file: &str) -> Response {
    Failure::new(StatusCode::NOT_FOUND, format!("{file}: ask for .json or .xml")).respond(Format::Json)
}

fn finish(format: Format, answer: Answer) -> Response {
    answer.unwrap_or_else(|failure| failure.respond(format))
}

/// A request's parameters, its jurisdiction checked and its caller known.
struct Call {
    params: Params,
    partner: Option<Partner>,
}

async fn call(
    app: &App,
    settings: &Settings,
    client: &Client,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    params: Params,
) -> Result<Call, Failure> {
    if let Some(j) = params.one("jurisdiction_id")?
        && j != settings.config.jurisdiction_id
    {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            format!("jurisdiction_id {j:?} is not served here; this endpoint serves {:?}", settings.config.jurisdiction_id),
        ));
    }
    let header_key = headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim).filter(|k| !k.is_empty());
    let key = params.one("api_key")?.or(header_key);
    let partner = match key {
        Some(secret) => Some(app.api_keys.authenticate(secret, &format!("{method} {}", uri.path())).await?),
        None => {
            if let Err(wait) = settings.anonymous.check(client.address) {
                return Err(Failure::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("too many requests without an api_key from this address; try again in {wait} s"),
                ));
            }
            None
        }
    };
    Ok(Call { params, partner })
}

fn query_params(query: &Option<String>) -> Params {
    Params::parse(query.as_deref().unwrap_or("").as_bytes())
}

fn tz(app: &App) -> Tz {
    crate::routes::tz(app)
}

fn time(t: DateTime<Utc>, tz: Tz) -> Node {
    Node::Text(t.with_timezone(&tz).to_rfc3339_opts(SecondsFormat::Secs, false))
}

#[allow(clippy::too_many_arguments)]
async fn top(
    State(app): State<App>,
    Extension(settings): Extension<Arc<Settings>>,
    Extension(client): Extension<Client>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some((stem, format)) = Format::split(&file) else { return unknown_format(&file) };
    let answer = async {
        let call = call(&app, &settings, &client, &method, &uri, &headers, query_params(&query)).await?;
        match stem {
            "discovery" => Ok(discovery(&settings.config, &headers, client.https).respond(StatusCode::OK, format, "discovery")),
            "services" => Ok(services(&app.open311.services()).respond(StatusCode::OK, format, "services")),
            "requests" => {
                let view = app.open311.view(call.partner.as_ref());
                let found = app.open311.requests(request_query(&call.params, tz(&app))?, &view, app.clock.now()).await?;
                Ok(requests(&found, tz(&app)).respond(StatusCode::OK, format, "service_requests"))
            }
            other => Err(Failure::new(StatusCode::NOT_FOUND, format!("no {other}; see discovery.{}", extension(format)))),
        }
    };
    finish(format, answer.await)
}

fn extension(format: Format) -> &'static str {
    match format {
        Format::Json => "json",
        Format::Xml => "xml",
    }
}

#[allow(clippy::too_many_arguments)]
async fn submit(
    State(app): State<App>,
    Extension(settings): Extension<Arc<Settings>>,
    Extension(client): Extension<Client>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let Some((stem, format)) = Format::split(&file) else { return unknown_format(&file) };
    let answer = async {
        if stem != "requests" {
            return Err(Failure::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{file} takes GET; requests are submitted to requests.{}", extension(format)),
            ));
        }
        let form = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !body.is_empty() && !form.starts_with("application/x-www-form-urlencoded") {
            return Err(Failure::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "send the fields as application/x-www-form-urlencoded"));
        }
        let params = query_params(&query).and(Params::parse(&body));
        let call = call(&app, &settings, &client, &method, &uri, &headers, params).await?;
        let partner = call.partner.ok_or_else(|| Failure::new(StatusCode::FORBIDDEN, "api_key is required to submit a request"))?;
        let submission = submission(&call.params)?;
        let idempotency = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
        let accepted = app.open311.submit(&partner, submission, idempotency).await?;
        Ok(accepted_node(&accepted).respond(StatusCode::CREATED, format, "service_requests"))
    };
    finish(format, answer.await)
}

#[allow(clippy::too_many_arguments)]
async fn definition(
    State(app): State<App>,
    Extension(settings): Extension<Arc<Settings>>,
    Extension(client): Extension<Client>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some((code, format)) = Format::split(&file) else { return unknown_format(&file) };
    let answer = async {
        call(&app, &settings, &client, &method, &uri, &headers, query_params(&query)).await?;
        let category = service_code(code)?;
        let attributes = app.open311.definition(category)?;
        let node = Node::Object(vec![
            ("service_code", Node::text(code)),
            ("attributes", Node::List("attribute", attributes.iter().map(attribute).collect())),
        ]);
        Ok(node.respond(StatusCode::OK, format, "service_definition"))
    };
    finish(format, answer.await)
}

#[allow(clippy::too_many_arguments)]
async fn request(
    State(app): State<App>,
    Extension(settings): Extension<Arc<Settings>>,
    Extension(client): Extension<Client>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some((id, format)) = Format::split(&file) else { return unknown_format(&file) };
    let answer = async {
        let call = call(&app, &settings, &client, &method, &uri, &headers, query_params(&query)).await?;
        let number = WorkOrderNo::parse(id).map_err(|_| Failure::new(StatusCode::NOT_FOUND, format!("no request {id}")))?;
        let view = app.open311.view(call.partner.as_ref());
        let found = app.open311.request(&number, &view).await?;
        Ok(requests(std::slice::from_ref(&found), tz(&app)).respond(StatusCode::OK, format, "service_requests"))
    };
    finish(format, answer.await)
}

#[allow(clippy::too_many_arguments)]
async fn token(
    State(app): State<App>,
    Extension(settings): Extension<Arc<Settings>>,
    Extension(client): Extension<Client>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some((token, format)) = Format::split(&file) else { return unknown_format(&file) };
    let answer = async {
        let call = call(&app, &settings, &client, &method, &uri, &headers, query_params(&query)).await?;
        let view = app.open311.view(call.partner.as_ref());
        let number = app.open311.token(token, &view).await?;
        let node = Node::List(
            "request",
            vec![Node::Object(vec![("service_request_id", Node::text(number.as_str())), ("token", Node::text(token))])],
        );
        Ok(node.respond(StatusCode::OK, format, "service_requests"))
    };
    finish(format, answer.await)
}

fn discovery(config: &Open311Config, headers: &HeaderMap, https: bool) -> Node {
    let url = if config.base_url.is_empty() {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
        format!("{}://{host}/open311/v2/", if https { "https" } else { "http" })
    } else {
        config.base_url.clone()
    };
    let formats = Node::List("format", vec![Node::text("text/xml"), Node::text("application/json")]);
    Node::Object(vec![
        ("changeset", Node::text(CHANGESET)),
        ("contact", Node::text(config.contact.as_str())),
        ("key_service", Node::text(config.key_service.as_str())),
        (
            "endpoints",
            Node::List(
                "endpoint",
                vec![Node::Object(vec![
                    ("specification", Node::text("http://wiki.open311.org/GeoReport_v2")),
                    ("url", Node::Text(url)),
                    ("changeset", Node::text(CHANGESET)),
                    ("type", Node::text("production")),
                    ("formats", formats),
                ])],
            ),
        ),
    ])
}

fn services(list: &[Service]) -> Node {
    Node::List(
        "service",
        list.iter()
            .map(|s| {
                Node::Object(vec![
                    ("service_code", Node::text(s.code.as_str())),
                    ("service_name", Node::text(s.name.as_str())),
                    ("description", Node::text(s.description.as_str())),
                    ("metadata", Node::Bool(true)),
                    ("type", Node::text("realtime")),
                    ("keywords", Node::Text(s.keywords.join(","))),
                    ("group", Node::text(s.group.as_str())),
                ])
            })
            .collect(),
    )
}

fn attribute(a: &Attribute) -> Node {
    let values = a
        .values
        .iter()
        .map(|(key, name)| Node::Object(vec![("key", Node::text(key.as_str())), ("name", Node::text(name.as_str()))]))
        .collect();
    Node::Object(vec![
        ("variable", Node::Bool(true)),
        ("code", Node::text(a.code)),
        ("datatype", Node::text(a.datatype.as_str())),
        ("required", Node::Bool(a.required)),
        ("datatype_description", Node::text(a.datatype_description)),
        ("order", Node::Integer(i64::from(a.order))),
        ("description", Node::text(a.description)),
        ("values", Node::List("value", values)),
    ])
}

fn requests(list: &[ServiceRequest], tz: Tz) -> Node {
    Node::List(
        "request",
        list.iter()
            .map(|r| {
                let (lat, long) = r.coordinates.map_or((Node::Null, Node::Null), |c| (Node::Number(c.latitude), Node::Number(c.longitude)));
                Node::Object(vec![
                    ("service_request_id", Node::text(r.id.as_str())),
                    ("status", Node::text(r.status.as_str())),
                    ("status_notes", Node::text(r.status_notes.as_str())),
                    ("service_name", Node::text(r.service_name.as_str())),
                    ("service_code", Node::text(r.service_code.as_str())),
                    ("description", Node::opt_text(r.description.clone())),
                    ("agency_responsible", Node::opt_text(r.agency_responsible.clone())),
                    ("service_notice", Node::opt_text(r.service_notice.clone())),
                    ("requested_datetime", time(r.requested, tz)),
                    ("updated_datetime", time(r.updated, tz)),
                    ("expected_datetime", r.expected.map_or(Node::Null, |t| time(t, tz))),
                    ("address", Node::opt_text(r.address.clone())),
                    ("address_id", Node::Null),
                    ("zipcode", Node::Null),
                    ("lat", lat),
                    ("long", long),
                    ("media_url", Node::opt_text(r.media_url.clone())),
                ])
            })
            .collect(),
    )
}

fn accepted_node(a: &Accepted) -> Node {
    Node::List(
        "request",
        vec![Node::Object(vec![
            ("service_request_id", Node::text(a.id.as_str())),
            ("token", Node::text(a.token.as_str())),
            ("service_notice", Node::text(a.service_notice.as_str())),
            ("account_id", Node::Null),
        ])],
    )
}

fn service_code(raw: &str) -> Result<CategoryId, Failure> {
    raw.parse::<i64>()
        .map(CategoryId)
        .map_err(|_| Failure::new(StatusCode::NOT_FOUND, format!("no service with code {raw:?}; GET services lists them")))
}

/// A date and time with its offset, or a date (the start of that day, or
/// its end for `end_date`, in the centre's time zone).
fn instant(params: &Params, name: &str, tz: Tz, end_of_day: bool) -> Result<Option<DateTime<Utc>>, FieldError> {
    let Some(raw) = params.one(name)? else { return Ok(None) };
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        FieldError::new(name, format!("{raw:?} is neither a date and time with offset (2026-12-01T00:00:00+08:00) nor a date"))
    })?;
    let day = if end_of_day { day.succ_opt().unwrap_or(day) } else { day };
    let start = tz
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .earliest()
        .ok_or_else(|| FieldError::new(name, "that day has no midnight in the centre's time zone"))?
        .with_timezone(&Utc);
    Ok(Some(if end_of_day { start - chrono::Duration::microseconds(1) } else { start }))
}

fn request_query(params: &Params, tz: Tz) -> Result<RequestQuery, FieldError> {
    let ids = params
        .list("service_request_id")
        .into_iter()
        .map(|id| WorkOrderNo::parse(id).map_err(|_| FieldError::new("service_request_id", format!("{id:?} is not a request id"))))
        .collect::<Result<_, _>>()?;
    let service_codes = params
        .list("service_code")
        .into_iter()
        .map(|c| c.parse::<i64>().map(CategoryId).map_err(|_| FieldError::new("service_code", format!("{c:?} is not a service code"))))
        .collect::<Result<_, _>>()?;
    let statuses = params.list("status").into_iter().map(Status::parse).collect::<Result<_, _>>()?;
    Ok(RequestQuery {
        ids,
        service_codes,
        start: instant(params, "start_date", tz, false)?,
        end: instant(params, "end_date", tz, true)?,
        statuses,
        page: params.number("page")?.unwrap_or(1),
        page_size: params.number("page_size")?,
    })
}

fn submission(params: &Params) -> Result<Open311Submission, Failure> {
    let mut errors = hotline_domain::ValidationErrors::default();
    let mut take = |r: Result<Option<&str>, FieldError>| r.map_err(|e| errors.push(e)).ok().flatten().map(str::to_owned);
    let code = take(params.one("service_code"));
    let address = take(params.one("address_string"));
    let address_id = take(params.one("address_id"));
    let first_name = take(params.one("first_name"));
    let last_name = take(params.one("last_name"));
    let phone = take(params.one("phone"));
    let description = take(params.one("description"));
    let media = take(params.one("media_url"));
    let service_code = code.and_then(|c| {
        c.parse::<i64>()
            .map(CategoryId)
            .map_err(|_| errors.push(FieldError::new("service_code", format!("{c:?} is not a service code"))))
            .ok()
    });
    let coordinates = match (params.decimal("lat"), params.decimal("long")) {
        (Ok(None), Ok(None)) => None,
        (Ok(Some(lat)), Ok(Some(long))) => Coordinates::new(lat, long)
            .map_err(|e| errors.push(FieldError::new(if e.field == "latitude" { "lat" } else { "long" }, e.message)))
            .ok(),
        (Err(e), _) | (_, Err(e)) => {
            errors.push(e);
            None
        }
        _ => {
            errors.push(FieldError::new("lat", "give both lat and long, or neither"));
            None
        }
    };
    if address_id.is_some() && address.is_none() && coordinates.is_none() {
        errors.push(FieldError::new("address_id", "no address registry is kept here; send address_string or lat and long"));
    }
    let address = address.and_then(|a| Subject::parse(&a).map_err(|e| errors.push(FieldError::new("address_string", e.message))).ok());
    let phone = phone.and_then(|p| PhoneNumber::parse(&p).map_err(|e| errors.push(FieldError::new("phone", e.message))).ok());
    let media_url = media.and_then(|m| MediaUrl::parse(&m).map_err(|e| errors.push(e)).ok());
    if description.as_ref().is_some_and(|d| d.chars().count() > DESCRIPTION_MAX) {
        errors.push(FieldError::new("description", format!("at most {DESCRIPTION_MAX} characters")));
    }
    errors.into_result().map_err(AppError::from)?;
    Ok(Open311Submission {
        service_code,
        coordinates,
        address,
        first_name,
        last_name,
        phone,
        description,
        media_url,
        attributes: params.attributes(),
    })
}
