//! /api/v1/suggestions: the category and unit a request's words suggest,
//! for the desk and the dispatch screen, before anyone picks from 650
//! categories (`docs/intelligence.md`).

use super::{Handled, Json};
use crate::dto::UnitRef;
use crate::error::ErrorBody;
use crate::extract::{Caller, JsonBody};
use axum::extract::State;
use hotline_app::App;
use hotline_app::suggestions::SuggestionInput;
use hotline_domain::{CategoryId, FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const SUBJECT_MAX: usize = 200;
const DESCRIPTION_MAX: usize = 10_000;

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
    /// Which training answered (time and number of orders learned from).
    pub model: String,
    /// The likeliest leaf categories, best first (at most 5).
    pub categories: Vec<SuggestedCategoryDto>,
    /// The likeliest lead units, best first (at most 5).
    pub units: Vec<SuggestedUnitDto>,
    /// The dispatch catalogue's lead unit for the first category.
    pub catalogue_unit: Option<UnitRef>,
    /// The model's first unit is below 50 %: follow the catalogue.
    pub unsure: bool,
}

/// Categories and units suggested from a request's subject and
/// description, learned from the centre's dispatched orders, with
/// calibrated confidence. 503 until a model is trained.
#[utoipa::path(post, path = "/api/v1/suggestions", tag = "work orders", security(("bearer" = [])), request_body = SuggestionBody,
    responses((status = 200, body = SuggestionDto), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn suggest(State(app): State<App>, Caller(desk): Caller, JsonBody(body): JsonBody<SuggestionBody>) -> Handled<SuggestionDto> {
    let mut errors = ValidationErrors::default();
    for (field, value, max) in [("subject", &body.subject, SUBJECT_MAX), ("description", &body.description, DESCRIPTION_MAX)] {
        if value.chars().count() > max {
            errors.push(FieldError::new(field, format!("must be at most {max} characters")));
        }
    }
    errors.into_result()?;
    let input = SuggestionInput { subject: body.subject, description: body.description, town: body.town };
    let s = app.suggestions.suggest(&desk, &input)?;
    let org = app.directory.snapshot();
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
    }))
}
