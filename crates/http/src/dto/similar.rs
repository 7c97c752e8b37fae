//! Orders related to a request (duplicates, repeats), with why they match.

use super::{UnitRef, local};
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use hotline_app::directory::OrgSnapshot;
use hotline_app::similar::SimilarOrder;
use hotline_domain::duplicate::Kinship;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarOrderDto {
    pub number: String,
    pub subject: String,
    pub state: String,
    /// Names from level 1 down.
    pub category: Vec<String>,
    pub town: Option<UnitRef>,
    pub created_at: DateTime<FixedOffset>,
    /// `repeat` (重复诉求: the same caller on the same matter), `duplicate`
    /// (疑似重复: merge it), `related` (相关: a similar case).
    #[schema(value_type = String)]
    pub kinship: Kinship,
    /// How alike the words are, 0 to 1 (rare words weigh most).
    pub likeness: f32,
    /// The rarest words both use, most telling first.
    pub shared_words: Vec<String>,
    pub same_town: bool,
    pub same_address: bool,
    pub same_category: bool,
    pub same_caller: bool,
    /// Still being handled: a duplicate can be merged into it.
    pub open: bool,
}

impl SimilarOrderDto {
    pub fn of(s: SimilarOrder, org: &OrgSnapshot, tz: Tz) -> Self {
        let open = s.open();
        Self {
            number: s.number.to_string(),
            subject: s.subject,
            state: s.state.as_str().to_owned(),
            category: org.category_path(s.category).names,
            town: s.town.map(|t| UnitRef::of(org, t)),
            created_at: local(tz, s.created_at),
            kinship: s.kinship,
            likeness: s.evidence.likeness,
            shared_words: s.shared,
            same_town: s.evidence.same_town,
            same_address: s.evidence.same_address,
            same_category: s.evidence.same_category,
            same_caller: s.evidence.same_caller,
            open,
        }
    }
}
