//! Open311 GeoReport v2 as the centre speaks it: services from the
//! taxonomy and the dispatch catalogue, one service definition with an
//! attribute of every datatype, submissions down the portal's path, and
//! requests read through a view fixed by the caller's key. The wire formats
//! (JSON, XML) are the HTTP adapter's business.
//!
//! What leaves is never personal: no caller's name or phone, numbers and
//! e-mail addresses masked in text, the exact place only to the partner who
//! submitted the request or the unit handling it.

use super::keys::Partner;
use crate::directory::{Directory, OrgSnapshot};
use crate::error::{AppError, AppResult};
use crate::portal::{PORTAL_TYPES, Portal, Submission};
use crate::ports::{OrderFilter, OrderStore, StoreScope};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use hotline_domain::redact::redact_personal;
use hotline_domain::{
    ApiScope, CatalogueTarget, CategoryId, Channel, Coordinates, Description, ExternalRef, FieldError, MediaUrl, OrderType, PersonName,
    PhoneNumber, State, Subject, UnitId, ValidationErrors, WorkOrder, WorkOrderNo,
};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Requests one page holds at most (the specification's own ceiling).
pub const PAGE_SIZE_MAX: u32 = 1000;
pub const PAGE_SIZE_DEFAULT: u32 = 100;
/// The widest window of `start_date`/`end_date`, and the default one.
pub const WINDOW_DAYS: i64 = 90;
/// Ids one `service_request_id` list may name.
pub const IDS_MAX: usize = 100;

/// One service (request type): a category the citizen can choose.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub code: String,
    pub name: String,
    pub description: String,
    pub group: String,
    pub keywords: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datatype {
    String,
    Number,
    Datetime,
    Text,
    SingleValueList,
    MultiValueList,
}

impl Datatype {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Datetime => "datetime",
            Self::Text => "text",
            Self::SingleValueList => "singlevaluelist",
            Self::MultiValueList => "multivaluelist",
        }
    }
}

/// One attribute of the service definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub code: &'static str,
    pub datatype: Datatype,
    pub required: bool,
    pub datatype_description: &'static str,
    pub order: u32,
    pub description: &'static str,
    /// Key and name of each choice, for the list datatypes.
    pub values: Vec<(String, String)>,
}

/// The status of a request, as Open311 knows only two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    Closed,
}

impl Status {
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match s.trim() {
            "open" => Ok(Self::Open),
            "closed" => Ok(Self::Closed),
            other => Err(FieldError::new("status", format!("{other:?} is not a status; use open or closed"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    fn of(state: State) -> Self {
        if state.is_terminal() { Self::Closed } else { Self::Open }
    }

    fn states(self) -> Vec<State> {
        State::ALL.iter().copied().filter(|s| Self::of(*s) == self).collect()
    }
}

/// A request as Open311 shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRequest {
    pub id: WorkOrderNo,
    pub status: Status,
    pub status_notes: String,
    pub service_name: String,
    pub service_code: String,
    pub description: Option<String>,
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    pub requested: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub expected: Option<DateTime<Utc>>,
    pub address: Option<String>,
    pub coordinates: Option<Coordinates>,
    pub media_url: Option<String>,
}

/// What a submission answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    pub id: WorkOrderNo,
    /// The same request found by `tokens/{token}`.
    pub token: String,
    pub service_notice: String,
}

/// Filters of `GET requests`, parsed at the edge.
#[derive(Debug, Clone, Default)]
pub struct RequestQuery {
    /// Overrides every other filter, as the specification says.
    pub ids: Vec<WorkOrderNo>,
    pub service_codes: Vec<CategoryId>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub statuses: Vec<Status>,
    /// From 1.
    pub page: u32,
    pub page_size: Option<u32>,
}

/// What one caller may read. Built from the key, never from the request.
#[derive(Debug, Clone)]
pub enum View {
    /// No key (or a key that only submits): published replies in lists;
    /// by its id, any request but a report or a confidential caller's, its
    /// status without its text unless it was published.
    Public,
    /// A key with the read scope: what its partner submitted.
    Own { source: String },
    /// A key with the unit scope: orders of the unit and its sub-units.
    Unit { units: Arc<[UnitId]> },
}

impl View {
    fn scope(&self) -> StoreScope {
        match self {
            Self::Unit { units } => StoreScope::Units(units.clone()),
            _ => StoreScope::All,
        }
    }

    /// Whether this view finds the order when asked for it by id.
    fn admits(&self, order: &WorkOrder) -> bool {
        match self {
            Self::Public => order.order_type != OrderType::Report && !order.caller.confidential,
            Self::Own { source } => order.external_ref.as_ref().is_some_and(|r| r.source() == source),
            Self::Unit { units } => order.involvements().iter().any(|(u, _, _)| units.contains(u)),
        }
    }

    /// Whether this view lists the order among others.
    fn lists(&self, order: &WorkOrder) -> bool {
        match self {
            Self::Public => publishable(order),
            _ => self.admits(order),
        }
    }

    /// The exact place is for whoever submitted or handles the request.
    fn sees_place(&self) -> bool {
        !matches!(self, Self::Public)
    }

    /// The text (description, reply) is for them, and for everyone once published.
    fn sees_text(&self, order: &WorkOrder) -> bool {
        !matches!(self, Self::Public) || publishable(order)
    }
}

/// Published on the portal: archived with a reply a reviewer chose to
/// publish, never a report nor a confidential caller's.
fn publishable(order: &WorkOrder) -> bool {
    order.state == State::Archived
        && order.order_type != OrderType::Report
        && !order.caller.confidential
        && order.result.as_ref().is_some_and(|r| r.published)
}

/// A submission as Open311 sends it, its fields parsed at the edge; the
/// attributes are checked here, against the service definition.
#[derive(Debug, Clone, Default)]
pub struct Open311Submission {
    pub service_code: Option<CategoryId>,
    pub coordinates: Option<Coordinates>,
    pub address: Option<Subject>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<PhoneNumber>,
    pub description: Option<String>,
    pub media_url: Option<MediaUrl>,
    /// Attribute code → its values (one, or several for a multivaluelist).
    pub attributes: BTreeMap<String, Vec<String>>,
}

pub struct Open311 {
    directory: Arc<Directory>,
    store: Arc<dyn OrderStore>,
    portal: Arc<Portal>,
    time_zone: Tz,
}

const ATTR_TYPE: &str = "type";
const ATTR_TOWN: &str = "town";
const ATTR_SUBJECT: &str = "subject";
const ATTR_OCCURRED: &str = "occurred_at";
const ATTR_PEOPLE: &str = "people_affected";
const ATTR_EXPECTATION: &str = "expectation";
const ATTR_PRIVACY: &str = "privacy";
const PRIVACY_CONFIDENTIAL: &str = "confidential";
const PRIVACY_ANONYMOUS: &str = "anonymous";

impl Open311 {
    pub(crate) fn new(directory: Arc<Directory>, store: Arc<dyn OrderStore>, portal: Arc<Portal>, time_zone: Tz) -> Self {
        Self { directory, store, portal, time_zone }
    }

    /// The view a caller reads through: fixed by its key's scopes.
    pub fn view(&self, partner: Option<&Partner>) -> View {
        let Some(key) = partner.map(|p| &p.key) else { return View::Public };
        match key.unit {
            Some(unit) if key.allows(ApiScope::Unit) || key.allows(ApiScope::Update) => {
                View::Unit { units: self.directory.snapshot().unit_and_descendants(unit).into() }
            }
            _ if key.allows(ApiScope::Read) => View::Own { source: key.source.clone() },
            _ => View::Public,
        }
    }

    /// Every category a citizen can choose: the active leaves of the taxonomy.
    pub fn services(&self) -> Vec<Service> {
        let org = self.directory.snapshot();
        let parents = active_parents(&org);
        let mut out: Vec<Service> =
            org.categories().filter(|c| c.active && !parents.contains(&c.id)).map(|c| service_of(&org, c.id)).collect();
        out.sort_by(|a, b| (&a.group, &a.description).cmp(&(&b.group, &b.description)));
        out
    }

    fn leaf(&self, code: CategoryId) -> AppResult<Service> {
        let org = self.directory.snapshot();
        match org.category(code) {
            Some(c) if c.active && !active_parents(&org).contains(&code) => Ok(service_of(&org, code)),
            _ => Err(AppError::not_found(format!("no service with code {code}; GET services lists them"))),
        }
    }

    /// The attributes every service takes (one definition serves all: the
    /// centre asks the same of every request).
    pub fn definition(&self, code: CategoryId) -> AppResult<Vec<Attribute>> {
        self.leaf(code)?;
        let org = self.directory.snapshot();
        let mut towns: Vec<(String, String)> =
            org.units().filter(|u| u.active && u.kind.is_territorial()).map(|u| (u.code.clone(), u.name.clone())).collect();
        towns.sort();
        let types = PORTAL_TYPES.iter().map(|t| (t.as_str().to_owned(), t.label_zh().to_owned())).collect();
        Ok(vec![
            Attribute {
                code: ATTR_TYPE,
                datatype: Datatype::SingleValueList,
                required: true,
                datatype_description: "诉求类型之一",
                order: 1,
                description: "诉求类型：咨询、求助、投诉、举报、建议或表扬（举报人身份一律保密）",
                values: types,
            },
            Attribute {
                code: ATTR_TOWN,
                datatype: Datatype::SingleValueList,
                required: false,
                datatype_description: "镇街（园区）代码",
                order: 2,
                description: "事发镇街（园区），决定属地办理单位",
                values: towns,
            },
            Attribute {
                code: ATTR_SUBJECT,
                datatype: Datatype::String,
                required: false,
                datatype_description: "不超过200字",
                order: 3,
                description: "诉求标题；不填则取描述的第一句",
                values: vec![],
            },
            Attribute {
                code: ATTR_OCCURRED,
                datatype: Datatype::Datetime,
                required: false,
                datatype_description: "ISO 8601，带时区，如 2026-12-03T08:30:00+08:00",
                order: 4,
                description: "事情发生的时间",
                values: vec![],
            },
            Attribute {
                code: ATTR_PEOPLE,
                datatype: Datatype::Number,
                required: false,
                datatype_description: "0 至 1000000 的整数",
                order: 5,
                description: "受影响的人数（估计）",
                values: vec![],
            },
            Attribute {
                code: ATTR_EXPECTATION,
                datatype: Datatype::Text,
                required: false,
                datatype_description: "不超过2000字",
                order: 6,
                description: "希望怎样解决",
                values: vec![],
            },
            Attribute {
                code: ATTR_PRIVACY,
                datatype: Datatype::MultiValueList,
                required: false,
                datatype_description: "可多选",
                order: 7,
                description: "个人信息：保密（承办单位看不到诉求人）、匿名（不留姓名）",
                values: vec![
                    (PRIVACY_CONFIDENTIAL.into(), "保密：承办单位看不到诉求人".into()),
                    (PRIVACY_ANONYMOUS.into(), "匿名：不记录姓名".into()),
                ],
            },
        ])
    }

    /// Registers a request from a partner's system down the portal's path.
    /// `idempotency_key` (the client's own) makes a retry answer with the
    /// same request instead of a second one.
    pub async fn submit(&self, partner: &Partner, submission: Open311Submission, idempotency_key: Option<&str>) -> AppResult<Accepted> {
        if !partner.key.allows(ApiScope::Submit) {
            return Err(AppError::Forbidden("this api_key may not submit requests (it lacks the submit scope)".into()));
        }
        let code = submission.service_code.ok_or_else(|| AppError::invalid("service_code", "is required; GET services lists them"))?;
        // A wrong code in a submission is bad input, not a missing resource.
        let service = self
            .leaf(code)
            .map_err(|_| AppError::invalid("service_code", format!("no service with code {code}; GET services lists them")))?;
        let attributes = self.definition(code)?;
        let mut errors = ValidationErrors::default();
        let values = |code: &str| submission.attributes.get(code).cloned().unwrap_or_default();
        for given in submission.attributes.keys() {
            if !attributes.iter().any(|a| a.code == given) {
                errors.push(FieldError::new(format!("attribute[{given}]"), "no such attribute; GET services/{code} lists them"));
            }
        }
        let mut choice = |attr: &Attribute| -> Vec<String> {
            let given = values(attr.code);
            if attr.datatype == Datatype::SingleValueList && given.len() > 1 {
                errors.push(FieldError::new(format!("attribute[{}]", attr.code), "takes one value"));
            }
            for v in &given {
                if !attr.values.iter().any(|(key, _)| key == v) {
                    errors.push(FieldError::new(format!("attribute[{}]", attr.code), format!("{v:?} is not one of its values")));
                }
            }
            if attr.required && given.is_empty() {
                errors.push(FieldError::coded(format!("attribute[{}]", attr.code), "required", "is required"));
            }
            given
        };
        let by_code = |c: &str| attributes.iter().find(|a| a.code == c).expect("defined above");
        let order_type = choice(by_code(ATTR_TYPE)).first().and_then(|t| OrderType::parse(t).ok());
        let town = choice(by_code(ATTR_TOWN)).into_iter().next();
        let privacy = choice(by_code(ATTR_PRIVACY));
        let single = |code: &str, errors: &mut ValidationErrors| -> Option<String> {
            let given = submission.attributes.get(code).cloned().unwrap_or_default();
            if given.len() > 1 {
                errors.push(FieldError::new(format!("attribute[{code}]"), "takes one value"));
            }
            given.into_iter().next().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
        };
        let title = single(ATTR_SUBJECT, &mut errors).and_then(|s| {
            Subject::parse(&s).map_err(|e| errors.push(FieldError::new(format!("attribute[{ATTR_SUBJECT}]"), e.message))).ok()
        });
        let occurred = single(ATTR_OCCURRED, &mut errors).and_then(|s| {
            DateTime::parse_from_rfc3339(&s)
                .map_err(|_| {
                    errors.push(FieldError::new(
                        format!("attribute[{ATTR_OCCURRED}]"),
                        "a date and time with its offset, e.g. 2026-12-03T08:30:00+08:00",
                    ))
                })
                .ok()
        });
        let people = single(ATTR_PEOPLE, &mut errors).and_then(|s| {
            s.parse::<u32>()
                .ok()
                .filter(|n| *n <= 1_000_000)
                .ok_or_else(|| errors.push(FieldError::new(format!("attribute[{ATTR_PEOPLE}]"), "a whole number from 0 to 1000000")))
                .ok()
        });
        let expectation = single(ATTR_EXPECTATION, &mut errors);
        if expectation.as_ref().is_some_and(|e| e.chars().count() > 2000) {
            errors.push(FieldError::new(format!("attribute[{ATTR_EXPECTATION}]"), "at most 2000 characters"));
        }
        if submission.coordinates.is_none() && submission.address.is_none() && town.is_none() {
            errors.push(FieldError::new("lat", "give the place: lat and long, address_string, or attribute[town]"));
        }
        let anonymous = privacy.iter().any(|p| p == PRIVACY_ANONYMOUS);
        let name = if anonymous { None } else { person_name(&submission, &mut errors) };
        let text = submission.description.as_deref().map(str::trim).filter(|d| !d.is_empty()).unwrap_or(&service.name).to_owned();
        let mut lines = vec![text.clone()];
        if let Some(at) = occurred {
            lines.push(format!("发生时间：{}", at.with_timezone(&self.time_zone).format("%Y-%m-%d %H:%M")));
        }
        if let Some(n) = people {
            lines.push(format!("受影响人数：约{n}人"));
        }
        if let Some(e) = &expectation {
            lines.push(format!("诉求期望：{e}"));
        }
        let description = Description::parse(&lines.join("\n")).map_err(|e| errors.push(FieldError::new("description", e.message))).ok();
        let subject = title.or_else(|| Subject::parse(&first_sentence(&text)).ok());
        errors.into_result()?;
        // A retry under the same idempotency key must be the same request,
        // token included, for the replay to be recognised.
        let token = match idempotency_key {
            Some(key) => hex::encode(&Sha256::digest(format!("{}:{key}", partner.key.id))[..12]),
            None => new_token()?,
        };
        let submission = Submission {
            channel: Channel::Api,
            order_type: order_type.expect("checked above"),
            category: Some(code),
            name,
            phone: submission.phone,
            confidential: privacy.iter().any(|p| p == PRIVACY_CONFIDENTIAL),
            town_code: town,
            address: submission.address,
            coordinates: submission.coordinates,
            subject: subject.ok_or_else(|| AppError::invalid("description", "is empty"))?,
            description: description.expect("checked above"),
            external_ref: Some(ExternalRef::parse(&partner.key.source, &token)?),
            media_url: submission.media_url,
        };
        // A retry of one partner never collides with another's keys.
        let scoped_key = idempotency_key.map(|k| format!("open311:{}:{k}", partner.key.id));
        let receipt = self.portal.submit(submission, scoped_key.as_deref()).await?;
        let due = receipt.completion_due.with_timezone(&self.time_zone).format("%Y-%m-%d %H:%M");
        Ok(Accepted {
            id: receipt.number.clone(),
            token,
            service_notice: format!("已受理，工单号{}，承诺于{due}前办结；可凭工单号查询进度。", receipt.number),
        })
    }

    /// The request a token names, if this partner submitted it.
    pub async fn token(&self, token: &str, view: &View) -> AppResult<WorkOrderNo> {
        let missing = || AppError::not_found(format!("no request with token {token:?}"));
        let View::Own { source } = view else {
            return Err(AppError::Forbidden("tokens are looked up with the api_key (read scope) of the partner that submitted".into()));
        };
        let reference = ExternalRef::parse(source, token).map_err(|_| missing())?;
        let id = self.store.order_id_by_external(&reference).await?.ok_or_else(missing)?;
        let order = self.store.order(id).await?.ok_or_else(missing)?;
        Ok(order.number)
    }

    pub async fn request(&self, number: &WorkOrderNo, view: &View) -> AppResult<ServiceRequest> {
        let missing = || AppError::not_found(format!("no request {number}"));
        let order = self.store.order_by_number(number).await?.filter(|o| view.admits(o)).ok_or_else(missing)?;
        Ok(self.shown(&order, view))
    }

    pub async fn requests(&self, query: RequestQuery, view: &View, now: DateTime<Utc>) -> AppResult<Vec<ServiceRequest>> {
        if !query.ids.is_empty() {
            if query.ids.len() > IDS_MAX {
                return Err(AppError::invalid("service_request_id", format!("at most {IDS_MAX} ids at once")));
            }
            let mut out = Vec::new();
            for number in &query.ids {
                if let Some(order) = self.store.order_by_number(number).await?.filter(|o| view.admits(o)) {
                    out.push(self.shown(&order, view));
                }
            }
            return Ok(out);
        }
        let end = query.end.unwrap_or(now);
        let start = query.start.unwrap_or(end - Duration::days(WINDOW_DAYS));
        if start > end {
            return Err(AppError::invalid("start_date", "is after end_date"));
        }
        if end - start > Duration::days(WINDOW_DAYS) {
            return Err(AppError::invalid("end_date", format!("start_date and end_date may be at most {WINDOW_DAYS} days apart")));
        }
        let page_size = query.page_size.unwrap_or(PAGE_SIZE_DEFAULT);
        if !(1..=PAGE_SIZE_MAX).contains(&page_size) {
            return Err(AppError::invalid("page_size", format!("1 to {PAGE_SIZE_MAX}")));
        }
        if query.page == 0 {
            return Err(AppError::invalid("page", "pages count from 1"));
        }
        let org = self.directory.snapshot();
        let mut categories = Vec::new();
        for code in &query.service_codes {
            categories.extend(org.category_subtree(*code));
        }
        let mut states: Vec<State> = query.statuses.iter().flat_map(|s| s.states()).collect();
        let mut filter = OrderFilter {
            categories,
            created_from: Some(start),
            // The end is inclusive in the specification.
            created_to: Some(end + Duration::microseconds(1)),
            ..OrderFilter::default()
        };
        match view {
            View::Public => {
                filter.published = true;
                if states.is_empty() || states.contains(&State::Archived) {
                    states = vec![State::Archived];
                } else {
                    return Ok(Vec::new());
                }
            }
            View::Own { source } => filter.external_source = Some(source.clone()),
            View::Unit { .. } => {}
        }
        filter.states = states;
        let offset = (query.page - 1).saturating_mul(page_size);
        let orders = self.store.list_order_records(&view.scope(), &filter, offset, page_size).await?;
        Ok(orders.iter().filter(|o| view.lists(o)).map(|o| self.shown(o, view)).collect())
    }

    fn shown(&self, order: &WorkOrder, view: &View) -> ServiceRequest {
        let org = self.directory.snapshot();
        let service = service_of(&org, order.category);
        let names: Vec<&str> = order.caller.name.iter().map(|n| n.as_str()).collect();
        let private = |text: &str| redact_personal(text, &names);
        let reply =
            order.result.as_ref().map(|r| r.public_reply.to_string()).or_else(|| order.direct_answer.as_ref().map(|a| a.to_string()));
        let text = view.sees_text(order);
        let status_notes = match (&reply, order.resolved_at) {
            (Some(reply), Some(_)) if text => format!("{}：{}", order.state.label_zh(), private(reply)),
            _ => order.state.label_zh().to_owned(),
        };
        let town = order.location.town.and_then(|t| org.unit(t)).map(|u| u.name.clone());
        let address = if view.sees_place() {
            match (&town, &order.location.address) {
                (Some(town), Some(a)) if !a.as_str().starts_with(town.as_str()) => Some(format!("{town}{}", a.as_str())),
                (_, Some(a)) => Some(a.as_str().to_owned()),
                (town, None) => town.clone(),
            }
        } else {
            town
        };
        // A report's text may name whoever reported it; it is never shown outside the centre.
        let description = (text && order.order_type != OrderType::Report).then(|| private(order.description.as_str()));
        ServiceRequest {
            id: order.number.clone(),
            status: Status::of(order.state),
            status_notes,
            service_name: service.name,
            service_code: service.code,
            description,
            agency_responsible: order.lead_unit.and_then(|u| org.unit(u)).map(|u| u.name.clone()),
            service_notice: None,
            requested: order.created_at,
            updated: order.updated_at,
            expected: (!order.state.is_terminal()).then_some(order.deadlines.completion),
            address,
            coordinates: if view.sees_place() { order.location.coordinates } else { None },
            media_url: if view.sees_place() { order.media_url.as_ref().map(|u| u.to_string()) } else { None },
        }
    }
}

/// Categories with an active child: not services themselves.
fn active_parents(org: &OrgSnapshot) -> std::collections::HashSet<CategoryId> {
    org.categories().filter(|c| c.active).filter_map(|c| c.parent).collect()
}

fn service_of(org: &OrgSnapshot, category: CategoryId) -> Service {
    let path = org.category_path(category);
    let lineage = org.category_lineage(category);
    let mut keywords: Vec<String> = path.names.iter().rev().skip(1).cloned().collect();
    for record in org.catalogue() {
        if lineage.contains(&record.entry.category)
            && let CatalogueTarget::Unit(unit) = record.entry.target
            && let Some(u) = org.unit(unit)
            && !keywords.contains(&u.name)
        {
            keywords.push(u.name.clone());
        }
    }
    Service {
        code: category.to_string(),
        name: path.names.last().cloned().unwrap_or_default(),
        description: path.display(),
        group: path.names.first().cloned().unwrap_or_default(),
        keywords,
    }
}

fn person_name(submission: &Open311Submission, errors: &mut ValidationErrors) -> Option<PersonName> {
    let full: String = [submission.last_name.as_deref(), submission.first_name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(if submission.first_name.as_deref().is_some_and(|f| f.is_ascii()) { " " } else { "" });
    let full = full.trim();
    if full.is_empty() {
        return None;
    }
    PersonName::parse(full).map_err(|e| errors.push(FieldError::new("first_name", e.message))).ok()
}

/// The first sentence of a description, short enough for a subject.
fn first_sentence(text: &str) -> String {
    let end = text.find(['。', '！', '？', '\n', '.', '!', '?']).unwrap_or(text.len());
    let sentence = if end == 0 { text } else { &text[..end] };
    sentence.trim().chars().take(60).collect()
}

fn new_token() -> AppResult<String> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Unavailable(format!("no randomness for a token: {e}")))?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_is_the_first_sentence_of_at_most_sixty_characters() {
        assert_eq!(first_sentence("路灯不亮。已经一周了"), "路灯不亮");
        assert_eq!(first_sentence("\n第二行"), "第二行");
        assert_eq!(first_sentence(&"长".repeat(80)).chars().count(), 60);
    }

    #[test]
    fn only_terminal_states_are_closed() {
        assert_eq!(Status::Closed.states(), vec![State::Archived, State::Invalid, State::Merged]);
        assert!(Status::Open.states().contains(&State::PendingFollowUp));
        assert_eq!(Status::parse(" open ").unwrap(), Status::Open);
        assert!(Status::parse("pending").unwrap_err().message.contains("open or closed"));
    }
}
