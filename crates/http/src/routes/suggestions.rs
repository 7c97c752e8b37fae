//! /api/v1/suggestions: the category and unit a request's words suggest,
//! and the open orders it may repeat, for the desk and the dispatch screen,
//! before anyone picks from 650 categories (`docs/intelligence.md`).

use super::{Handled, Json, id, tz};
use crate::dto::UnitRef;
use crate::dto::similar::SimilarOrderDto;
use crate::error::ErrorBody;
use crate::extract::{Caller, JsonBody, order_number};
use axum::extract::{Path, State};
use hotline_app::App;
use hotline_app::similar::SimilarInput;
use hotline_app::suggestions::SuggestionInput;
use hotline_domain::{CategoryId, FieldError, PhoneNumber, Urgency, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const SUBJECT_MAX: usize = 200;
const DESCRIPTION_MAX: usize = 10_000;
const ADDRESS_MAX: usize = 200;

#[derive(Debug, Deserialize, ToSchema)]
pub struct SuggestionBody {
    #[serde(default)]
    #[schema(max_length = 200)]
    pub subject: String,
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub description: String,
    /// The official code of the town, subdistrict or park, when known.
    pub town: Option<String>,
    /// Where the matter is, when known: the same address makes a duplicate.
    #[schema(max_length = 200)]
    pub address: Option<String>,
    /// The caller's number, when known: the same caller on the same matter
    /// is a repeat (重复诉求). Never echoed back.
    pub caller_phone: Option<String>,
    /// The category already chosen, if any.
    pub category_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestedCategoryDto {
    #[schema(value_type = String)]
    pub id: CategoryId,
    /// Names from level 1 down, e.g. 城乡建设 / 市政设施 / 路灯.
    pub path: Vec<String>,
    /// Calibrated: right about this often.
    pub confidence: f32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestedUnitDto {
    #[serde(flatten)]
    pub unit: UnitRef,
    pub confidence: f32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionDto {
    /// Which training answered (time and number of orders learned from);
    /// null before the first training, when only `similar` is filled.
    pub model: Option<String>,
    /// The likeliest leaf categories, best first (at most 5).
    pub categories: Vec<SuggestedCategoryDto>,
    /// The likeliest lead units, best first (at most 5).
    pub units: Vec<SuggestedUnitDto>,
    /// The dispatch catalogue's lead unit for the first category.
    pub catalogue_unit: Option<UnitRef>,
    /// The model's first unit is below 50 %: follow the catalogue.
    pub unsure: bool,
    /// Open orders of the last 30 days it may repeat or relate to,
    /// repeats first, then duplicates, then related cases.
    pub similar: Vec<SimilarOrderDto>,
    /// What the words say of the urgency: dangers to life heard however
    /// put, and the emergency linkage rules registering would set off.
    pub urgency: UrgencyHintDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UrgencyHintDto {
    /// `urgent` or `critical` when the words call for it; null otherwise.
    #[schema(value_type = Option<String>)]
    pub suggested: Option<Urgency>,
    /// The dangers heard, gravest first.
    pub signals: Vec<DangerDto>,
    /// Names of the linkage rules it matches: registering alerts their partners.
    pub rules: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DangerDto {
    /// 燃气, 火情, 坍塌, 轻生, 食物中毒, 触电, 被困, 内涝.
    pub kind: String,
    /// The words that said it.
    pub phrase: String,
    #[schema(value_type = String)]
    pub urgency: Urgency,
}

/// Categories and units suggested from a request's subject and
/// description, learned from the centre's dispatched orders, with
/// calibrated confidence; and the orders of the last 30 days it may repeat,
/// with why they match. Before the first training only `similar` is filled.
#[utoipa::path(post, path = "/api/v1/suggestions", tag = "work orders", security(("bearer" = [])), request_body = SuggestionBody,
    responses((status = 200, body = SuggestionDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn suggest(State(app): State<App>, Caller(desk): Caller, JsonBody(body): JsonBody<SuggestionBody>) -> Handled<SuggestionDto> {
    let mut errors = ValidationErrors::default();
    for (field, value, max) in [("subject", &body.subject, SUBJECT_MAX), ("description", &body.description, DESCRIPTION_MAX)] {
        if value.chars().count() > max {
            errors.push(FieldError::new(field, format!("must be at most {max} characters")));
        }
    }
    if body.address.as_ref().is_some_and(|a| a.chars().count() > ADDRESS_MAX) {
        errors.push(FieldError::new("address", format!("must be at most {ADDRESS_MAX} characters")));
    }
    let caller = body.caller_phone.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(PhoneNumber::parse);
    let caller = errors.collect(caller.transpose().map_err(|e| FieldError::new("caller_phone", e.message))).flatten();
    let category = body.category_id.as_deref().map(|raw| id("category_id", raw)).transpose();
    let category = errors.collect(category).flatten().map(CategoryId);
    errors.into_result()?;
    let org = app.directory.snapshot();
    let town = body.town.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(|code| org.town(code).map(|u| u.id)).transpose()?;
    let s =
        app.suggestions.suggest(&desk, &SuggestionInput { subject: body.subject.clone(), description: body.description.clone(), town })?;
    let input = SimilarInput {
        subject: body.subject,
        description: body.description,
        town,
        address: body.address.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()),
        caller,
        category,
        exclude: None,
    };
    let similar = app.similar.find(&desk, &input).await?;
    let hint = app.emergency.hint(&format!("{}\n{}", input.subject, input.description), category, town);
    let zone = tz(&app);
    Ok(Json(SuggestionDto {
        model: s.model,
        categories: s
            .categories
            .into_iter()
            .map(|c| SuggestedCategoryDto { id: c.path.id, path: c.path.names, confidence: c.confidence })
            .collect(),
        units: s.units.into_iter().map(|u| SuggestedUnitDto { unit: UnitRef::of(&org, u.unit), confidence: u.confidence }).collect(),
        catalogue_unit: s.catalogue_unit.map(|u| UnitRef::of(&org, u)),
        unsure: s.unsure,
        similar: similar.into_iter().map(|o| SimilarOrderDto::of(o, &org, zone)).collect(),
        urgency: UrgencyHintDto {
            suggested: hint.suggested,
            signals: hint
                .signals
                .into_iter()
                .map(|d| DangerDto { kind: d.kind.to_owned(), phrase: d.phrase.to_owned(), urgency: d.urgency })
                .collect(),
            rules: hint.rules,
        },
    }))
}

/// The open orders of the last 30 days a registered order may repeat or
/// relate to, for its dispatcher: merging a duplicate takes one step from
/// this list.
#[utoipa::path(get, path = "/api/v1/work-orders/{number}/similar", tag = "work orders", security(("bearer" = [])),
    params(("number" = String, Path)),
    responses((status = 200, body = Vec<SimilarOrderDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn similar_to_order(State(app): State<App>, Caller(desk): Caller, Path(number): Path<String>) -> Handled<Vec<SimilarOrderDto>> {
    let found = app.similar.of_order(&desk, &order_number(&number)?).await?;
    let (org, zone) = (app.directory.snapshot(), tz(&app));
    Ok(Json(found.into_iter().map(|o| SimilarOrderDto::of(o, &org, zone)).collect()))
}
