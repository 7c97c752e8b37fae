//! Request bodies of the call-centre, emergency and supervision routes as
//! the API documents them. Each is parsed here and handed on as the
//! application's own input type, so the document and the parser are one.

use chrono::{DateTime, NaiveDate, Utc};
use hotline_app::calls::{CertificationInput, TrainingInput};
use hotline_app::emergency::NewWarning;
use hotline_app::supervision::NewContact;
use hotline_domain::emergency::RuleSpec;
use hotline_domain::{CategoryId, CourseName, TrainingKind, UnitId};
use serde::Deserialize;
use utoipa::ToSchema;

/// A training a consultant took.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingBody {
    /// `basic` (岗前培训) or `professional` (for a skill).
    #[schema(value_type = String, example = "basic")]
    pub kind: TrainingKind,
    /// The skill of a professional training (e.g. 12333).
    #[serde(default)]
    pub skill: Option<String>,
    #[schema(value_type = String, max_length = 100)]
    pub course: CourseName,
    pub completed_on: NaiveDate,
    pub passed: bool,
}

impl From<TrainingBody> for TrainingInput {
    fn from(b: TrainingBody) -> Self {
        Self { kind: b.kind, skill: b.skill, course: b.course, completed_on: b.completed_on, passed: b.passed }
    }
}

/// A certification for a professional skill.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificationBody {
    pub skill: String,
    /// 1 (junior) to 3 (senior).
    pub level: u8,
    pub certified_on: NaiveDate,
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
}

impl From<CertificationBody> for CertificationInput {
    fn from(b: CertificationBody) -> Self {
        Self { skill: b.skill, level: b.level, certified_on: b.certified_on, expires_on: b.expires_on }
    }
}

/// One kind of danger and the ways callers say it, as an administrator writes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DangerKindBody {
    /// Its name on the desk, e.g. 燃气.
    pub name: String,
    /// `urgent` or `critical`: what a request saying it is suggested.
    pub urgency: hotline_domain::Urgency,
    /// Phrases of 2 to 20 characters, each in one kind only, e.g. 煤气味.
    pub phrases: Vec<String>,
}

/// The whole danger lexicon, replacing the one in force.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LexiconBody {
    pub kinds: Vec<DangerKindBody>,
}

impl LexiconBody {
    pub fn into_kinds(self) -> Vec<hotline_domain::danger::DangerKind> {
        self.kinds
            .into_iter()
            .map(|k| hotline_domain::danger::DangerKind { name: k.name, urgency: k.urgency, phrases: k.phrases })
            .collect()
    }
}

/// A linkage rule as an administrator writes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    /// E.g. 燃气泄漏.
    pub name: String,
    /// Words that, found in the subject or description, make an order match.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Category ids whose orders (with everything below them) match.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub categories: Vec<CategoryId>,
    /// Unit ids told: the emergency office, disease control …
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub partners: Vec<UnitId>,
    /// Also tell the town, subdistrict or park where the matter is.
    #[serde(default)]
    pub town: bool,
    /// Minutes a partner has to acknowledge before the alert escalates (default 15).
    #[serde(default)]
    pub ack_minutes: Option<u32>,
    /// The urgency a matching order gets at least (default `urgent`).
    #[serde(default)]
    pub urgency: Option<hotline_domain::Urgency>,
    /// Default true.
    #[serde(default)]
    pub active: Option<bool>,
}

impl From<RuleBody> for RuleSpec {
    fn from(b: RuleBody) -> Self {
        let defaults: RuleSpec = serde_json::from_str(r#"{"name": ""}"#).expect("a rule with defaults");
        Self {
            name: b.name,
            keywords: b.keywords,
            categories: b.categories,
            partners: b.partners,
            town: b.town,
            ack_minutes: b.ack_minutes.unwrap_or(defaults.ack_minutes),
            urgency: b.urgency.unwrap_or(defaults.urgency),
            active: b.active.unwrap_or(defaults.active),
        }
    }
}

/// A warning to the public.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarningBody {
    pub title: String,
    pub body: String,
    /// `blue`, `yellow`, `orange` or `red`.
    #[schema(value_type = String, example = "yellow")]
    pub level: hotline_app::emergency::WarningLevel,
    /// The town it concerns; none: the whole city.
    #[schema(value_type = Option<String>)]
    pub town: Option<UnitId>,
    pub expires_at: DateTime<Utc>,
}

impl From<WarningBody> for NewWarning {
    fn from(b: WarningBody) -> Self {
        Self { title: b.title, body: b.body, level: b.level, town: b.town, expires_at: b.expires_at }
    }
}

/// An address alerts are sent to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    /// `email` or `webhook`.
    #[schema(value_type = String, example = "email")]
    pub channel: hotline_app::supervision::ContactChannel,
    pub address: String,
    /// Also told of escalations (the unit's leaders).
    #[serde(default)]
    pub leader: bool,
}

impl From<ContactBody> for NewContact {
    fn from(b: ContactBody) -> Self {
        Self { channel: b.channel, address: b.address, leader: b.leader }
    }
}
