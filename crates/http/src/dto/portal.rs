//! Bodies of the citizens' portal: no personal data goes out, and what
//! comes in is parsed into domain types here.

use super::{local, local_opt};
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use hotline_app::portal::{PublicReply, PublicStep, Receipt, Tracking};
use hotline_domain::{Action, CategoryId, Description, OrderType, PersonName, PhoneNumber, Reason, Satisfaction, State, Subject};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A citizen's request from the portal's form: a plain type and their own
/// words. The category is the centre's to decide; a partner client that
/// knows it may give it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    #[serde(rename = "type")]
    pub order_type: OrderType,
    #[schema(value_type = Option<String>)]
    pub category_id: Option<CategoryId>,
    #[schema(value_type = Option<String>)]
    pub name: Option<PersonName>,
    #[schema(value_type = String, example = "13800138000")]
    pub phone: PhoneNumber,
    #[serde(default)]
    pub confidential: bool,
    pub town_code: Option<String>,
    #[schema(value_type = Option<String>)]
    pub address: Option<Subject>,
    #[schema(value_type = String)]
    pub subject: Subject,
    #[schema(value_type = String)]
    pub description: Description,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptDto {
    pub number: String,
    /// The promised answer date.
    pub completion_due: DateTime<FixedOffset>,
}

impl ReceiptDto {
    pub fn of(r: Receipt, tz: Tz) -> Self {
        Self { number: r.number.to_string(), completion_due: local(tz, r.completion_due) }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TrackQuery {
    /// The last four digits of the phone number left with the request.
    /// Optional here so that its absence gets the same clear 422.
    pub phone_last4: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateBody {
    pub phone_last4: String,
    pub satisfaction: Satisfaction,
    #[schema(value_type = Option<String>)]
    pub comment: Option<Reason>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicStepDto {
    pub at: DateTime<FixedOffset>,
    pub action: Action,
    pub action_label: &'static str,
    pub unit: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrackingDto {
    pub number: String,
    #[serde(rename = "type")]
    pub order_type: OrderType,
    pub category: String,
    pub state: State,
    pub state_label: &'static str,
    pub town: Option<String>,
    pub subject: String,
    pub created_at: DateTime<FixedOffset>,
    pub completion_due: DateTime<FixedOffset>,
    pub closed_at: Option<DateTime<FixedOffset>>,
    pub reply: Option<String>,
    pub satisfaction: Option<Satisfaction>,
    pub can_rate: bool,
    pub steps: Vec<PublicStepDto>,
}

impl TrackingDto {
    pub fn of(t: Tracking, tz: Tz) -> Self {
        let step = |s: PublicStep| PublicStepDto { at: local(tz, s.at), action: s.action, action_label: s.action.label_zh(), unit: s.unit };
        Self {
            number: t.number.to_string(),
            order_type: t.order_type,
            category: t.category,
            state: t.state,
            state_label: t.state.label_zh(),
            town: t.town,
            subject: t.subject,
            created_at: local(tz, t.created_at),
            completion_due: local(tz, t.completion_due),
            closed_at: local_opt(tz, t.closed_at),
            reply: t.reply,
            satisfaction: t.satisfaction,
            can_rate: t.can_rate,
            steps: t.steps.into_iter().map(step).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicReplyDto {
    pub number: String,
    #[serde(rename = "type")]
    pub order_type: OrderType,
    pub category: String,
    pub town: Option<String>,
    pub subject: String,
    pub reply: String,
    pub unit: Option<String>,
    pub created_at: DateTime<FixedOffset>,
    pub closed_at: Option<DateTime<FixedOffset>>,
}

impl PublicReplyDto {
    pub fn of(r: PublicReply, tz: Tz) -> Self {
        Self {
            number: r.number.to_string(),
            order_type: r.order_type,
            category: r.category,
            town: r.town,
            subject: r.subject,
            reply: r.reply,
            unit: r.unit,
            created_at: local(tz, r.created_at),
            closed_at: local_opt(tz, r.closed_at),
        }
    }
}

/// What the portal's form offers: the types a citizen may choose, the
/// active categories and the towns.
#[derive(Debug, Serialize, ToSchema)]
pub struct FormOptions {
    pub types: Vec<Choice>,
    pub categories: Vec<CategoryChoice>,
    pub towns: Vec<Choice>,
    /// Whose site it is: every page's header and footer.
    pub site: SiteDto,
}

/// The city, organiser and contact the portal names (`[portal.identity]`).
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteDto {
    pub city: String,
    pub organiser: String,
    /// An address or e-mail; empty: none.
    pub contact: String,
    /// The number to dial, e.g. 12345.
    pub hotline: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryChoice {
    #[schema(value_type = String)]
    pub id: CategoryId,
    #[schema(value_type = Option<String>)]
    pub parent_id: Option<CategoryId>,
    pub name: String,
}
