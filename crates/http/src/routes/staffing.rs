//! /api/v1/callcentre/staffing and /seat-plan: the call-centre managers'
//! staffing mathematics (排班测算) on the screen, the same as
//! `hotline staffing` and `hotline seat-plan --from-db` at the command line.

use super::{Handled, Json};
use crate::error::ErrorBody;
use crate::extract::Caller;
use crate::extract::Query;
use axum::extract::State;
use hotline_app::App;
use hotline_callcentre::seatplan::{PlanSettings, SkillPlan};
use hotline_callcentre::staffing::{Patience, Question, StaffingError, Target};
use hotline_domain::{FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A number a planner typed; empty means "not given".
fn real(errors: &mut ValidationErrors, field: &str, raw: Option<&str>) -> Option<f64> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    errors.collect(
        raw.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| FieldError::new(field, format!("{raw:?} is not a number"))),
    )
}

fn whole(errors: &mut ValidationErrors, field: &str, raw: Option<&str>) -> Option<u32> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    errors.collect(raw.parse::<u32>().map_err(|_| FieldError::new(field, format!("{raw:?} is not a whole number of 0 or more"))))
}

/// `value`, or "is required" unless the field was already refused.
fn required<T>(errors: &mut ValidationErrors, field: &str, value: Option<T>) -> Option<T> {
    if value.is_none() && !errors.0.iter().any(|e| e.field == field) {
        errors.push(FieldError::new(field, "is required"));
    }
    value
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StaffingQuery {
    /// Calls offered in the interval.
    pub calls: Option<String>,
    /// Length of the interval in seconds; default 1800 (a half-hour).
    pub interval_secs: Option<String>,
    /// Average handle time (talk + wrap-up) in seconds.
    pub aht_secs: Option<String>,
    /// Target share answered within `target_secs` (0.8 for 80%); needed unless `agents` is given.
    pub target_sl: Option<String>,
    /// Seconds within which calls should be answered; default 15 (the national standard).
    pub target_secs: Option<String>,
    /// Mean caller patience in seconds: Erlang A instead of Erlang C.
    pub patience_secs: Option<String>,
    /// Share of rostered time off the phones; default 0.
    pub shrinkage: Option<String>,
    /// Evaluate this many agents instead of finding the number required.
    pub agents: Option<String>,
}

/// Agents needed for a service level, or how a number of agents does (Erlang C, or A with patience).
#[utoipa::path(get, path = "/api/v1/callcentre/staffing", tag = "call centre", params(StaffingQuery), security(("bearer" = [])),
    responses((status = 200, body = crate::dto::calls::StaffingDto),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn staffing(Caller(desk): Caller, Query(q): Query<StaffingQuery>) -> Handled<crate::dto::calls::StaffingDto> {
    desk.call_centre_manager()?;
    let mut errors = ValidationErrors::default();
    let calls = real(&mut errors, "calls", q.calls.as_deref());
    let aht_secs = real(&mut errors, "aht_secs", q.aht_secs.as_deref());
    let question = Question {
        calls: required(&mut errors, "calls", calls).unwrap_or(0.0),
        interval_secs: real(&mut errors, "interval_secs", q.interval_secs.as_deref()).unwrap_or(1800.0),
        aht_secs: required(&mut errors, "aht_secs", aht_secs).unwrap_or(0.0),
        target_sl: real(&mut errors, "target_sl", q.target_sl.as_deref()),
        target_secs: real(&mut errors, "target_secs", q.target_secs.as_deref()).unwrap_or(15.0),
        patience_secs: real(&mut errors, "patience_secs", q.patience_secs.as_deref()),
        shrinkage: real(&mut errors, "shrinkage", q.shrinkage.as_deref()).unwrap_or(0.0),
        agents: whole(&mut errors, "agents", q.agents.as_deref()),
    };
    errors.into_result()?;
    Ok(Json(question.answer().map_err(field_error)?.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SeatPlanQuery {
    /// Weeks of stored calls averaged (1–13); default 4.
    pub weeks: Option<String>,
    /// Default 0.8.
    pub target_sl: Option<String>,
    /// Default 15.
    pub target_secs: Option<String>,
    /// Mean caller patience in seconds: Erlang A instead of Erlang C.
    pub patience_secs: Option<String>,
    /// Default 0.3.
    pub shrinkage: Option<String>,
    /// Length of a shift in hours, on half-hours; default 8.
    pub shift_hours: Option<String>,
    /// Handling time assumed for a half-hour whose calls were all missed; default 180.
    pub default_aht_secs: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeatPlanDto {
    pub weeks: u32,
    /// Per skill: `needs` for each of the week's 336 half-hours (slot 0 is
    /// Monday 00:00), `shift_starts` as `[slot, shifts]`, `coverage` per
    /// slot and the week's `shifts`.
    #[schema(value_type = Vec<Object>)]
    pub plans: Vec<SkillPlan>,
}

/// Agents per skill for every half-hour of the week from the stored calls, and the shifts that cover them.
#[utoipa::path(get, path = "/api/v1/callcentre/seat-plan", tag = "call centre", params(SeatPlanQuery), security(("bearer" = [])),
    responses((status = 200, body = SeatPlanDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn seat_plan(State(app): State<App>, Caller(desk): Caller, Query(q): Query<SeatPlanQuery>) -> Handled<SeatPlanDto> {
    let manager = desk.call_centre_manager()?;
    let mut errors = ValidationErrors::default();
    let weeks = whole(&mut errors, "weeks", q.weeks.as_deref()).unwrap_or(4);
    let share = real(&mut errors, "target_sl", q.target_sl.as_deref()).unwrap_or(0.8);
    let within = real(&mut errors, "target_secs", q.target_secs.as_deref()).unwrap_or(15.0);
    let patience =
        real(&mut errors, "patience_secs", q.patience_secs.as_deref()).and_then(|p| errors.collect(Patience::new(p).map_err(field_error)));
    let shrinkage = real(&mut errors, "shrinkage", q.shrinkage.as_deref()).unwrap_or(0.3);
    let shift_hours = real(&mut errors, "shift_hours", q.shift_hours.as_deref()).unwrap_or(8.0);
    let default_aht_secs = real(&mut errors, "default_aht_secs", q.default_aht_secs.as_deref()).unwrap_or(180.0);
    errors.into_result()?;
    let target = Target::new(share, within).map_err(field_error)?;
    // Negative and NaN become 0 half-hours, which the planner refuses by name.
    let settings = PlanSettings { target, patience, shrinkage, shift_slots: (shift_hours * 2.0).round() as usize };
    let plans = app.calls.seat_plan(&manager, weeks, default_aht_secs, &settings).await?;
    Ok(Json(SeatPlanDto { weeks, plans }))
}

fn field_error(e: StaffingError) -> FieldError {
    FieldError::new(e.field(), e.message())
}
