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
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
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
pub(crate) const ANONYMOUS_PER_MINUTE: u32 = 60;
const DESCRIPTION_MAX: usize = 4000;

struct Settings {
    config: Open311Config,
    anonymous: RateLimiter,
}

/// `anonymous`: the budget of requests without a key, per client
/// ([`ANONYMOUS_PER_MINUTE`] a minute).
pub fn router(config: Open311Config, anonymous: RateLimiter) -> Router<App> {
    let settings = Arc::new(Settings { config, anonymous });
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

/// What every Open311 handler starts from: the file asked for split into
/// its name and format (an unknown suffix is refused here, in JSON), the
/// query string's parameters, and what the caller sent.
struct Ask {
    settings: Arc<Settings>,
    client: Client,
    /// `GET /open311/v2/…`, for the key's audit record.
    request: String,
    headers: HeaderMap,
    file: String,
    stem: String,
    format: Format,
    query: Params,
}

impl FromRequestParts<App> for Ask {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Response> {
        let Path(file) = Path::<String>::from_request_parts(parts, app).await.map_err(IntoResponse::into_response)?;
        let Some((stem, format)) = Format::split(&file).map(|(stem, format)| (stem.to_owned(), format)) else {
            return Err(Failure::new(StatusCode::NOT_FOUND, format!("{file}: ask for .json or .xml")).respond(Format::Json));
        };
        let settings = parts.extensions.get::<Arc<Settings>>().cloned().expect("the Open311 router adds its settings");
        let client =
            parts.extensions.get::<Client>().copied().unwrap_or(Client { address: std::net::Ipv4Addr::UNSPECIFIED.into(), https: false });
        Ok(Self {
            settings,
            client,
            request: format!("{} {}", parts.method, parts.uri.path()),
            headers: parts.headers.clone(),
            query: Params::parse(parts.uri.query().unwrap_or("").as_bytes()),
            file,
            stem,
            format,
        })
    }
}

impl Ask {
    /// The caller behind `params` (the query's, or with a form's too), the
    /// jurisdiction checked; without a key, counted against its address.
    async fn caller(&self, app: &App, params: &Params) -> Result<Option<Partner>, Failure> {
        let served = &self.settings.config.jurisdiction_id;
        if let Some(j) = params.one("jurisdiction_id")?
            && j != served
        {
            return Err(Failure::new(
                StatusCode::NOT_FOUND,
                format!("jurisdiction_id {j:?} is not served here; this endpoint serves {served:?}"),
            ));
        }
        let header_key = self.headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim).filter(|k| !k.is_empty());
        match params.one("api_key")?.or(header_key) {
            Some(secret) => Ok(Some(app.api_keys.authenticate(secret, &self.request).await?)),
            None => match self.settings.anonymous.check(self.client.address).await {
                Ok(()) => Ok(None),
                Err(wait) => Err(Failure::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("too many requests without an api_key from this address; try again in {wait} s"),
                )),
            },
        }
    }

    fn finish(&self, answer: Answer) -> Response {
        answer.unwrap_or_else(|failure| failure.respond(self.format))
    }

    fn ok(&self, node: Node, root: &str) -> Answer {
        Ok(node.respond(StatusCode::OK, self.format, root))
    }
}

fn tz(app: &App) -> Tz {
    crate::routes::tz(app)
}

fn time(t: DateTime<Utc>, tz: Tz) -> Node {
    Node::Text(t.with_timezone(&tz).to_rfc3339_opts(SecondsFormat::Secs, false))
}

fn extension(format: Format) -> &'static str {
    match format {
        Format::Json => "json",
        Format::Xml => "xml",
    }
}

async fn top(State(app): State<App>, ask: Ask) -> Response {
    let answer = async {
        let partner = ask.caller(&app, &ask.query).await?;
        match ask.stem.as_str() {
            "discovery" => ask.ok(discovery(&ask.settings.config, &ask.headers, ask.client.https), "discovery"),
            "services" => ask.ok(services(&app.open311.services()), "services"),
            "requests" => {
                let view = app.open311.view(partner.as_ref());
                let found = app.open311.requests(request_query(&ask.query, tz(&app))?, &view, app.clock.now()).await?;
                ask.ok(requests(&found, tz(&app)), "service_requests")
            }
            other => Err(Failure::new(StatusCode::NOT_FOUND, format!("no {other}; see discovery.{}", extension(ask.format)))),
        }
    };
    ask.finish(answer.await)
}

async fn submit(State(app): State<App>, ask: Ask, body: Bytes) -> Response {
    let answer = async {
        if ask.stem != "requests" {
            return Err(Failure::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{} takes GET; requests are submitted to requests.{}", ask.file, extension(ask.format)),
            ));
        }
        let form = ask.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !body.is_empty() && !form.starts_with("application/x-www-form-urlencoded") {
            return Err(Failure::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "send the fields as application/x-www-form-urlencoded"));
        }
        let params = ask.query.clone().and(Params::parse(&body));
        let partner = ask
            .caller(&app, &params)
            .await?
            .ok_or_else(|| Failure::new(StatusCode::FORBIDDEN, "api_key is required to submit a request"))?;
        let submission = submission(&params)?;
        let idempotency = ask.headers.get("idempotency-key").and_then(|v| v.to_str().ok());
        let accepted = app.open311.submit(&partner, submission, idempotency).await?;
        Ok(accepted_node(&accepted).respond(StatusCode::CREATED, ask.format, "service_requests"))
    };
    ask.finish(answer.await)
}

async fn definition(State(app): State<App>, ask: Ask) -> Response {
    let answer = async {
        ask.caller(&app, &ask.query).await?;
        let attributes = app.open311.definition(service_code(&ask.stem)?)?;
        let node = Node::Object(vec![
            ("service_code", Node::text(ask.stem.as_str())),
            ("attributes", Node::List("attribute", attributes.iter().map(attribute).collect())),
        ]);
        ask.ok(node, "service_definition")
    };
    ask.finish(answer.await)
}

async fn request(State(app): State<App>, ask: Ask) -> Response {
    let answer = async {
        let partner = ask.caller(&app, &ask.query).await?;
        let id = &ask.stem;
        let number = WorkOrderNo::parse(id).map_err(|_| Failure::new(StatusCode::NOT_FOUND, format!("no request {id}")))?;
        let found = app.open311.request(&number, &app.open311.view(partner.as_ref())).await?;
        ask.ok(requests(std::slice::from_ref(&found), tz(&app)), "service_requests")
    };
    ask.finish(answer.await)
}

async fn token(State(app): State<App>, ask: Ask) -> Response {
    let answer = async {
        let partner = ask.caller(&app, &ask.query).await?;
        let token = &ask.stem;
        let number = app.open311.token(token, &app.open311.view(partner.as_ref())).await?;
        let node = Node::List(
            "request",
            vec![Node::Object(vec![("service_request_id", Node::text(number.as_str())), ("token", Node::text(token.as_str()))])],
        );
        ask.ok(node, "service_requests")
    };
    ask.finish(answer.await)
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
