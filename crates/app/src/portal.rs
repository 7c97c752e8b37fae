//! The citizens' portal: submitting a request, tracking it by its number
//! and the last four digits of the phone, rating the answer, and the
//! published replies. Citizens have no accounts; what they submit is
//! registered by the portal's own service account (`portal`, a centre
//! dispatcher and reviewer that cannot log in: dispatchers enter web
//! requests, reviewers may record follow-ups), so the lifecycle, its roles
//! and its history stay the same as for every other channel.

use crate::access::{Access, Desk};
use crate::attempts::{Attempts, Limit};
use crate::auth::principal_of;
use crate::directory::Directory;
use crate::error::{AppError, AppResult};
use crate::orders::{ActionRequest, RegisterRequest, WorkOrders};
use crate::ports::{AttachmentRecord, OrderFilter, PageRequest, StoreScope, UserRecord};
use crate::{audit::Auditor, clock::Clock, ids::IdGenerator};
use chrono::{DateTime, Utc};
use hotline_domain::redact::redact_personal;
use hotline_domain::{
    Action, Affiliation, Caller, CategoryId, Channel, Command, Description, FollowUpOutcome, OrderType, PersonName, PhoneNumber, Reason,
    Role, RoleSet, Satisfaction, State, Subject, Urgency, UserId, WorkOrder, WorkOrderNo,
};
use std::sync::Arc;

/// The service account's username.
pub const PORTAL_ACCOUNT: &str = "portal";

/// Types a citizen may submit: the plain words of the form (咨询、求助、投诉、
/// 举报、建议、表扬). A report (举报) is always confidential: the unit never
/// learns who made it, and it is never published.
pub const PORTAL_TYPES: &[OrderType] =
    &[OrderType::Consultation, OrderType::Help, OrderType::Complaint, OrderType::Report, OrderType::Suggestion, OrderType::Praise];

/// Characters of a text's first line in the subject of the order it becomes.
const SMS_SUBJECT_CHARS: usize = 30;

/// Photos a citizen may add to one request from the portal…
pub const PORTAL_PHOTOS: usize = 3;
/// …within this long of submitting it.
pub const PORTAL_PHOTO_WINDOW: chrono::Duration = chrono::Duration::minutes(60);

/// A request from outside the centre, parsed at the edge: the portal's
/// form and partners' systems (Open311) send theirs down this one path.
#[derive(Debug, Clone)]
pub struct Submission {
    /// Web for the portal, Api for partners' systems.
    pub channel: Channel,
    pub order_type: OrderType,
    /// None: the centre classifies it (`待分类` until then).
    pub category: Option<CategoryId>,
    pub name: Option<PersonName>,
    /// The portal requires it (it is how the citizen tracks the request and
    /// is called back); a partner's app may not have it.
    pub phone: Option<PhoneNumber>,
    pub confidential: bool,
    pub town_code: Option<String>,
    pub address: Option<Subject>,
    pub coordinates: Option<hotline_domain::Coordinates>,
    pub subject: Subject,
    pub description: Description,
    /// The partner's reference for it.
    pub external_ref: Option<hotline_domain::ExternalRef>,
    pub media_url: Option<hotline_domain::MediaUrl>,
}

/// What the citizen is told after submitting.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub number: WorkOrderNo,
    pub completion_due: DateTime<Utc>,
}

/// One step of a request as the public sees it: what happened, when, and
/// which office did it; no notes, no names.
#[derive(Debug, Clone)]
pub struct PublicStep {
    pub at: DateTime<Utc>,
    pub action: Action,
    pub unit: Option<String>,
}

/// A request as its citizen sees it when tracking.
#[derive(Debug, Clone)]
pub struct Tracking {
    pub number: WorkOrderNo,
    pub order_type: OrderType,
    pub category: String,
    pub state: State,
    pub town: Option<String>,
    pub subject: String,
    pub created_at: DateTime<Utc>,
    pub completion_due: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The published reply (or the consultant's direct answer), personal data removed.
    pub reply: Option<String>,
    pub satisfaction: Option<Satisfaction>,
    /// The unit's answer was reviewed and waits for the citizen's verdict.
    pub can_rate: bool,
    pub steps: Vec<PublicStep>,
}

/// A published question and its reply.
#[derive(Debug, Clone)]
pub struct PublicReply {
    pub number: WorkOrderNo,
    pub order_type: OrderType,
    pub category: String,
    pub town: Option<String>,
    pub subject: String,
    pub reply: String,
    pub unit: Option<String>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// Wrong phone tails allowed per order number and hour before tracking
/// that number is refused for the rest of the hour: four digits are only
/// 10,000 guesses, so the per-address limit alone would not protect them.
pub const TRACKING_FAILURES_PER_HOUR: u32 = 5;
const TRACKING: Limit = Limit { most: TRACKING_FAILURES_PER_HOUR as i64, window: chrono::Duration::hours(1) };
/// Bytes of photos anonymous citizens may add through the portal, so
/// nobody fills the disk with uploads, whatever the addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoBudget {
    /// From one address in an hour.
    pub per_address_per_hour: i64,
    /// From everyone together in a day.
    pub per_day: i64,
}

impl Default for PhotoBudget {
    fn default() -> Self {
        Self { per_address_per_hour: 30 * 1024 * 1024, per_day: 2 * 1024 * 1024 * 1024 }
    }
}

/// Who runs the portal, for its header and footer: a citizen must see whose
/// site it is and how else to reach the hotline.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PortalIdentity {
    /// The city, e.g. 东莞市.
    pub city: String,
    /// Who runs the hotline and the site (主办单位).
    pub organiser: String,
    /// Where else to reach the centre: an address or an e-mail; empty: none shown.
    pub contact: String,
    /// The number citizens dial.
    pub hotline: String,
}

impl Default for PortalIdentity {
    fn default() -> Self {
        Self {
            city: "东莞市".into(), organiser: "东莞市12345政务服务便民热线".into(), contact: String::new(), hotline: "12345".into()
        }
    }
}

impl PortalIdentity {
    pub fn check(&self) -> Result<(), String> {
        let fits = |s: &str, most: usize| s.chars().count() <= most;
        if self.city.trim().is_empty() || self.organiser.trim().is_empty() || self.hotline.trim().is_empty() {
            return Err("city, organiser and hotline must not be empty".into());
        }
        if !(fits(&self.city, 30) && fits(&self.organiser, 60) && fits(&self.contact, 200) && fits(&self.hotline, 20)) {
            return Err("city (30), organiser (60), contact (200) and hotline (20 characters) are too long".into());
        }
        if !self.hotline.chars().all(|c| c.is_ascii_digit() || c == '-') {
            return Err(format!("hotline {:?}: digits only", self.hotline));
        }
        Ok(())
    }
}

pub struct Portal {
    /// Shown on every page of the portal.
    pub identity: PortalIdentity,
    pub(crate) orders: Arc<WorkOrders>,
    pub(crate) directory: Arc<Directory>,
    pub(crate) desk: Desk,
    pub(crate) clock: Arc<dyn Clock>,
    /// Phone tails tried per order number, counted before they are checked.
    attempts: Arc<Attempts>,
    pub(crate) photo_budget: PhotoBudget,
}

impl Portal {
    /// Finds or creates the service account and opens its desk.
    pub(crate) async fn open(
        orders: Arc<WorkOrders>,
        directory: Arc<Directory>,
        access: &Access,
        auditor: &Auditor,
        ids: &IdGenerator,
        clock: Arc<dyn Clock>,
        attempts: Arc<Attempts>,
    ) -> AppResult<Self> {
        let store = &orders.users;
        let user = match store.user_by_name(PORTAL_ACCOUNT).await? {
            Some(user) => user,
            None => {
                let user = UserRecord {
                    id: UserId(ids.next()),
                    username: PORTAL_ACCOUNT.to_owned(),
                    display_name: "市民服务门户".to_owned(),
                    password_hash: crate::auth::SERVICE_ACCOUNT_HASH.to_owned(),
                    affiliation: Affiliation::Centre,
                    roles: RoleSet::new([Role::Dispatcher, Role::Reviewer]),
                    active: false,
                    created_at: clock.now(),
                    phone_secret: None,
                };
                let audit =
                    auditor.record(None, "user.create", format!("user:{PORTAL_ACCOUNT}"), serde_json::json!({ "service_account": true }));
                match store.insert_user(&user, &audit).await {
                    Ok(()) => user,
                    // Another node starting at the same time created it first.
                    Err(crate::ports::StoreError::Duplicate(_)) => store
                        .user_by_name(PORTAL_ACCOUNT)
                        .await?
                        .ok_or_else(|| AppError::Unavailable("the portal's service account vanished while starting".into()))?,
                    Err(e) => return Err(e.into()),
                }
            }
        };
        ensure_unclassified(&orders, &directory, auditor, ids).await?;
        Ok(Self {
            identity: PortalIdentity::default(),
            orders,
            directory,
            desk: access.open(principal_of(&user)),
            clock,
            attempts,
            photo_budget: PhotoBudget::default(),
        })
    }

    /// Registers a request from outside. `idempotency_key` (already scoped
    /// to its sender) makes a retried submission answer with the same order.
    pub async fn submit(&self, submission: Submission, idempotency_key: Option<&str>) -> AppResult<Receipt> {
        if !PORTAL_TYPES.contains(&submission.order_type) {
            return Err(AppError::invalid(
                "type",
                "choose consultation, help, complaint, report, suggestion or praise; other matters are taken by phone on 12345",
            ));
        }
        self.register(submission, idempotency_key).await
    }

    /// A text a citizen sent to the hotline, registered as it came: the
    /// centre reads it, classifies it and types it (其他 until then).
    /// `idempotency_key` is the gateway's id for the text.
    pub async fn submit_text(&self, phone: PhoneNumber, text: &str, idempotency_key: &str) -> AppResult<Receipt> {
        let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
        let subject = Subject::parse(&format!("短信：{}", hotline_domain::sms::excerpt(first_line, SMS_SUBJECT_CHARS)))?;
        let description = Description::parse(text).map_err(|e| AppError::invalid("text", e.message))?;
        let submission = Submission {
            channel: Channel::Sms,
            order_type: OrderType::Other,
            category: None,
            name: None,
            phone: Some(phone),
            confidential: false,
            town_code: None,
            address: None,
            coordinates: None,
            subject,
            description,
            external_ref: None,
            media_url: None,
        };
        self.register(submission, Some(idempotency_key)).await
    }

    async fn register(&self, submission: Submission, idempotency_key: Option<&str>) -> AppResult<Receipt> {
        let category = match submission.category {
            Some(category) => category,
            None => self
                .directory
                .snapshot()
                .unclassified()
                .ok_or_else(|| AppError::Unavailable("the category of unclassified requests is missing; restart the server".into()))?,
        };
        let request = RegisterRequest {
            channel: submission.channel,
            order_type: submission.order_type,
            category,
            urgency: Urgency::Normal,
            caller: Caller {
                anonymous: submission.name.is_none(),
                name: submission.name,
                phone: submission.phone,
                confidential: submission.confidential || submission.order_type == OrderType::Report,
                sms_opt_out: false,
            },
            town_code: submission.town_code,
            address: submission.address,
            coordinates: submission.coordinates,
            subject: submission.subject,
            description: submission.description,
            call_id: None,
            direct_answer: None,
            external_ref: submission.external_ref,
            media_url: submission.media_url,
        };
        let registered = self.orders.register(&self.desk, request, idempotency_key).await?;
        let order = registered.details.order;
        Ok(Receipt { number: order.number, completion_due: order.deadlines.completion })
    }

    /// The order of this number if its phone ends in `last4`; anything else
    /// is "not found", so numbers cannot be probed.
    async fn owned(&self, number: &WorkOrderNo, last4: &str) -> AppResult<WorkOrder> {
        let missing = || AppError::not_found(format!("no request {number} with a phone ending in {last4}"));
        let valid = last4.len() == 4 && last4.bytes().all(|b| b.is_ascii_digit());
        if !valid {
            return Err(AppError::invalid("phone_last4", "give the last four digits of the phone number you left"));
        }
        let key = format!("track:{number}");
        if !self.attempts.spend(&key, TRACKING).await? {
            return Err(AppError::TooManyRequests(format!(
                "too many wrong phone digits for {number}; try again within the hour or call 12345"
            )));
        }
        let store = &self.orders.store;
        let order = match store.order_id(number).await? {
            Some(id) => store.order(id).await?,
            None => None,
        };
        match order {
            Some(order) if order.caller.phone.as_ref().is_some_and(|p| p.as_str().ends_with(last4)) => {
                self.attempts.refund(&key).await?;
                Ok(order)
            }
            _ => Err(missing()),
        }
    }

    /// A photo the citizen adds to a request just submitted from the portal
    /// (the pothole, the blocked lane): JPEG or PNG, at most
    /// [`PORTAL_PHOTOS`] per request, within [`PORTAL_PHOTO_WINDOW`] of
    /// submitting. Anything later goes through 12345, where a consultant
    /// adds it.
    pub async fn add_photo(
        &self,
        number: &WorkOrderNo,
        last4: &str,
        file_name: &str,
        bytes: Vec<u8>,
        from: std::net::IpAddr,
    ) -> AppResult<AttachmentRecord> {
        let order = self.owned(number, last4).await?;
        if order.channel != Channel::Web || self.clock.now() - order.created_at > PORTAL_PHOTO_WINDOW {
            return Err(AppError::invalid(
                "file",
                format!(
                    "photos are added within {} minutes of submitting on the portal; call 12345 to add more",
                    PORTAL_PHOTO_WINDOW.num_minutes()
                ),
            ));
        }
        let content_type = self.orders.attachment_policy.check(file_name, &bytes)?;
        if !matches!(content_type, "image/jpeg" | "image/png") {
            return Err(AppError::UnsupportedMediaType(format!("{file_name} is {content_type}; the portal takes JPEG or PNG photos")));
        }
        // Counted before anything is written, given back if nothing is.
        let size = bytes.len() as i64;
        let (by_address, city) = (format!("portal-bytes:{from}"), "portal-bytes".to_owned());
        let hourly = Limit { most: self.photo_budget.per_address_per_hour, window: chrono::Duration::hours(1) };
        let daily = Limit { most: self.photo_budget.per_day, window: chrono::Duration::days(1) };
        if !self.attempts.spend_amount(&by_address, size, hourly).await? {
            self.attempts.refund_amount(&by_address, size).await?;
            return Err(AppError::TooManyRequests(
                "this address has sent as many photos as the portal takes in an hour; try again later or call 12345".into(),
            ));
        }
        if !self.attempts.spend_amount(&city, size, daily).await? {
            self.attempts.refund_amount(&city, size).await?;
            self.attempts.refund_amount(&by_address, size).await?;
            return Err(AppError::TooManyRequests("the portal takes no more photos today; call 12345 to add one".into()));
        }
        let refusal = format!("a request takes at most {PORTAL_PHOTOS} photos from the portal");
        let added = self.orders.attach_capped(&self.desk, number, file_name, bytes, Some((PORTAL_PHOTOS, &refusal))).await;
        if added.is_err() {
            self.attempts.refund_amount(&city, size).await?;
            self.attempts.refund_amount(&by_address, size).await?;
        }
        added
    }

    pub async fn track(&self, number: &WorkOrderNo, last4: &str) -> AppResult<Tracking> {
        let order = self.owned(number, last4).await?;
        self.tracking(order).await
    }

    /// The citizen's verdict on a reviewed answer is the follow-up (回访):
    /// satisfied archives the order, unsatisfied sends it back for redo.
    pub async fn rate(
        &self,
        number: &WorkOrderNo,
        last4: &str,
        satisfaction: Satisfaction,
        comment: Option<Reason>,
    ) -> AppResult<Tracking> {
        let order = self.owned(number, last4).await?;
        let rated = self.rate_order(order, satisfaction, comment).await?;
        self.tracking(rated).await
    }

    /// Records the citizen's own verdict (from the portal or a text) as the
    /// follow-up of an order waiting for it.
    pub async fn rate_order(&self, order: WorkOrder, satisfaction: Satisfaction, comment: Option<Reason>) -> AppResult<WorkOrder> {
        let number = &order.number;
        if order.state != State::PendingFollowUp {
            return Err(AppError::Conflict {
                message: format!(
                    "request {number} cannot be rated now: it is {} (a request is rated once its answer has been reviewed)",
                    order.state.label_zh()
                ),
                current_version: None,
            });
        }
        let outcome = if satisfaction == Satisfaction::Unsatisfied { FollowUpOutcome::Redo } else { FollowUpOutcome::Archive };
        let command = Command::FollowUp {
            contacted: true,
            satisfaction: Some(satisfaction),
            solved: Some(satisfaction != Satisfaction::Unsatisfied),
            note: comment,
            outcome,
        };
        let details = self.orders.act(&self.desk, number, order.version, ActionRequest::Command(command)).await?;
        Ok(details.order)
    }

    async fn tracking(&self, order: WorkOrder) -> AppResult<Tracking> {
        let org = self.directory.snapshot();
        let name = |unit: Option<hotline_domain::UnitId>| unit.and_then(|u| org.unit(u)).map(|u| u.name.clone());
        let history = self.orders.store.history(order.id).await?;
        let steps = history
            .iter()
            .map(|h| PublicStep {
                at: h.at,
                action: h.action,
                unit: match h.actor_unit {
                    Some(unit) => name(Some(unit)),
                    None => Some("12345热线".to_owned()),
                },
            })
            .collect();
        let reply =
            order.result.as_ref().map(|r| r.public_reply.to_string()).or_else(|| order.direct_answer.as_ref().map(|a| a.to_string()));
        Ok(Tracking {
            number: order.number.clone(),
            order_type: order.order_type,
            category: org.category_path(order.category).display(),
            state: order.state,
            town: name(order.location.town),
            subject: public(order.subject.as_str(), &order),
            created_at: order.created_at,
            completion_due: order.deadlines.completion,
            closed_at: order.closed_at,
            reply: reply.map(|r| public(&r, &order)),
            satisfaction: order.follow_up.as_ref().and_then(|f| f.satisfaction),
            can_rate: order.state == State::PendingFollowUp,
            steps,
        })
    }

    /// The latest archived orders whose reply a reviewer decided to publish.
    /// Reports and confidential callers' orders are never published.
    pub async fn replies(&self, limit: u32) -> AppResult<Vec<PublicReply>> {
        let org = self.directory.snapshot();
        let filter = OrderFilter { states: vec![State::Archived], published: true, ..OrderFilter::default() };
        let mut out = Vec::new();
        let mut before = None;
        // Scan a bounded number of pages: every listed order should qualify.
        for _ in 0..5 {
            let page = self.orders.store.list_orders(&StoreScope::All, &filter, PageRequest { before, limit: limit * 2 }).await?;
            let Some(last) = page.last() else { break };
            before = Some(last.id);
            for summary in &page {
                if out.len() as u32 >= limit {
                    return Ok(out);
                }
                let Some(order) = self.orders.store.order(summary.id).await? else { continue };
                if order.order_type == OrderType::Report || order.caller.confidential {
                    continue;
                }
                let Some(result) = order.result.as_ref().filter(|r| r.published) else { continue };
                out.push(PublicReply {
                    number: order.number.clone(),
                    order_type: order.order_type,
                    category: org.category_path(order.category).display(),
                    town: order.location.town.and_then(|u| org.unit(u)).map(|u| u.name.clone()),
                    subject: public(order.subject.as_str(), &order),
                    reply: public(result.public_reply.as_str(), &order),
                    unit: org.unit(result.unit).map(|u| u.name.clone()),
                    created_at: order.created_at,
                    closed_at: order.closed_at,
                });
            }
        }
        Ok(out)
    }
}

/// Creates the level-1 category citizens' requests wait in until the centre
/// classifies them, the first time the portal opens.
async fn ensure_unclassified(orders: &WorkOrders, directory: &Directory, auditor: &Auditor, ids: &IdGenerator) -> AppResult<()> {
    if directory.snapshot().unclassified().is_some() {
        return Ok(());
    }
    let category = hotline_domain::Category {
        id: CategoryId(ids.next()),
        parent: None,
        level: 1,
        name: hotline_domain::category::UNCLASSIFIED.to_owned(),
        active: true,
    };
    let audit = auditor.record(
        None,
        "category.create",
        format!("category:{}", category.id),
        serde_json::json!({ "name": category.name, "system": true }),
    );
    orders.users.insert_categories(std::slice::from_ref(&category), &audit).await?;
    directory.reload(orders.users.as_ref()).await
}

/// Text of an order as the public sees it: numbers, addresses and the
/// caller's own name masked.
fn public(text: &str, order: &WorkOrder) -> String {
    let name = order.caller.name.as_ref().map(|n| n.as_str());
    redact_personal(text, name.as_slice())
}

#[cfg(test)]
mod identity_tests {
    use super::PortalIdentity;

    #[test]
    fn the_portal_names_a_city_an_organiser_and_a_number_to_dial() {
        assert_eq!(PortalIdentity::default().check(), Ok(()));
        let blank = PortalIdentity { city: " ".into(), ..PortalIdentity::default() };
        assert!(blank.check().unwrap_err().contains("must not be empty"));
        let letters = PortalIdentity { hotline: "12345abc".into(), ..PortalIdentity::default() };
        assert!(letters.check().unwrap_err().contains("digits only"));
        let long = PortalIdentity { organiser: "长".repeat(61), ..PortalIdentity::default() };
        assert!(long.check().unwrap_err().contains("too long"));
    }
}
