//! /api/v1/audit: the audit log, for auditors and system admins.

use super::{Handled, Json, id, tz};
use crate::dto::org::{AuditEntryDto, VerifyDto};
use crate::dto::{Page, PageQuery};
use crate::error::ErrorBody;
use crate::extract::Caller;
use crate::extract::Query;
use axum::extract::State;
use hotline_app::App;
use hotline_domain::{FieldError, UserId};
use std::collections::HashMap;

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<AuditEntryDto>), (status = 403, body = ErrorBody)))]
pub async fn log(State(app): State<App>, Caller(desk): Caller, Query(q): Query<PageQuery>) -> Handled<Page<AuditEntryDto>> {
    desk.auditor()?;
    let before = q.cursor.as_deref().map(|c| id("cursor", c)).transpose()?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(FieldError::new("limit", "must be between 1 and 500").into());
    }
    let entries = app.store.audit_log(before, limit).await.map_err(hotline_app::AppError::from)?;
    let next = (entries.len() as u32 == limit).then(|| entries.last().map(|e| e.record.id.to_string())).flatten();
    // Auditors read names, not ids; a page names few distinct people.
    let mut names: HashMap<UserId, String> = HashMap::new();
    for actor in entries.iter().filter_map(|e| e.record.actor) {
        if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(actor)
            && let Some(user) = app.store.user(actor).await.map_err(hotline_app::AppError::from)?
        {
            slot.insert(format!("{} ({})", user.username, user.display_name));
        }
    }
    let zone = tz(&app);
    let items = entries
        .into_iter()
        .map(|e| {
            let actor = e.record.actor.and_then(|a| names.get(&a).cloned());
            AuditEntryDto::of(e, zone, actor)
        })
        .collect();
    Ok(Json(Page { items, next_cursor: next }))
}

/// Seals pending records and recomputes the whole hash chain.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = VerifyDto), (status = 403, body = ErrorBody)))]
pub async fn verify(State(app): State<App>, Caller(desk): Caller) -> Handled<VerifyDto> {
    desk.auditor()?;
    app.auditor.seal_all().await?;
    let r = app.auditor.verify().await?;
    Ok(Json(VerifyDto { ok: r.ok(), sealed: r.sealed, pending: r.pending, problem: r.problem }))
}
