//! /api/v1/public/requests: the citizens' side of a work order.

use super::{Handled, Json, tz};
use crate::dto::portal::{
    CategoryChoice, Choice, FormOptions, PublicReplyDto, RateBody, ReceiptDto, SiteDto, SubmitBody, TrackQuery, TrackingDto,
};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{JsonBody, order_number};
use crate::extract::{Path, Query};
use axum::Extension;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use hotline_app::App;
use hotline_app::portal::{PORTAL_TYPES, Submission};
use hotline_domain::Channel;

/// Submits a request (网上诉求). Limited per client address.
#[utoipa::path(post, path = "/api/v1/public/requests", tag = "portal", request_body = SubmitBody,
    responses((status = 201, body = ReceiptDto), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn submit(State(app): State<App>, JsonBody(body): JsonBody<SubmitBody>) -> ApiResult<impl IntoResponse> {
    let submission = Submission {
        channel: Channel::Web,
        order_type: body.order_type,
        category: body.category_id,
        name: body.name,
        phone: Some(body.phone),
        confidential: body.confidential,
        town_code: body.town_code.filter(|c| !c.trim().is_empty()),
        address: body.address,
        coordinates: None,
        subject: body.subject,
        description: body.description,
        external_ref: None,
        media_url: None,
    };
    let receipt = app.portal.submit(submission, None).await?;
    Ok((StatusCode::CREATED, Json(ReceiptDto::of(receipt, tz(&app)))))
}

/// Tracks a request by its number and the last four digits of the phone.
#[utoipa::path(get, path = "/api/v1/public/requests/{number}", tag = "portal",
    params(("number" = String, Path), ("phone_last4" = String, Query)),
    responses((status = 200, body = TrackingDto), (status = 404, body = ErrorBody)))]
pub async fn track(State(app): State<App>, Path(number): Path<String>, Query(q): Query<TrackQuery>) -> Handled<TrackingDto> {
    let number = order_number(&number)?;
    let last4 = q.phone_last4.unwrap_or_default();
    Ok(Json(TrackingDto::of(app.portal.track(&number, last4.trim()).await?, tz(&app))))
}

/// Adds a photo to a request just submitted (multipart field `file`; JPEG
/// or PNG, at most 3, within an hour of submitting).
#[utoipa::path(post, path = "/api/v1/public/requests/{number}/photos", tag = "portal",
    params(("number" = String, Path), ("phone_last4" = String, Query)), request_body(content_type = "multipart/form-data", content = String),
    responses((status = 201, body = PhotoDto), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn add_photo(
    State(app): State<App>,
    Extension(client): Extension<crate::security::Client>,
    Path(number): Path<String>,
    Query(q): Query<TrackQuery>,
    mut form: Multipart,
) -> ApiResult<(StatusCode, Json<PhotoDto>)> {
    let number = order_number(&number)?;
    let last4 = q.phone_last4.unwrap_or_default();
    let (file_name, bytes) = super::attachments::read_file(&mut form).await?;
    let added = app.portal.add_photo(&number, last4.trim(), &file_name, bytes, client.address).await?;
    Ok((StatusCode::CREATED, Json(PhotoDto { file_name: added.file_name, content_type: added.content_type, size: added.size })))
}

/// A photo the portal took.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PhotoDto {
    pub file_name: String,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
}

/// The citizen's satisfaction with a reviewed answer (their follow-up).
#[utoipa::path(post, path = "/api/v1/public/requests/{number}/rating", tag = "portal", request_body = RateBody,
    params(("number" = String, Path)),
    responses((status = 200, body = TrackingDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn rate(State(app): State<App>, Path(number): Path<String>, JsonBody(body): JsonBody<RateBody>) -> Handled<TrackingDto> {
    let number = order_number(&number)?;
    let tracking = app.portal.rate(&number, body.phone_last4.trim(), body.satisfaction, body.comment).await?;
    Ok(Json(TrackingDto::of(tracking, tz(&app))))
}

/// Published replies (公开答复), newest first, personal data removed.
#[utoipa::path(get, path = "/api/v1/public/replies", tag = "portal", responses((status = 200, body = Vec<PublicReplyDto>)))]
pub async fn replies(State(app): State<App>) -> Handled<Vec<PublicReplyDto>> {
    let zone = tz(&app);
    Ok(Json(app.portal.replies(20).await?.into_iter().map(|r| PublicReplyDto::of(r, zone)).collect()))
}

/// What the request form offers.
#[utoipa::path(get, path = "/api/v1/public/form", tag = "portal", responses((status = 200, body = FormOptions)))]
pub async fn form(State(app): State<App>) -> Handled<FormOptions> {
    let org = app.directory.snapshot();
    let types = PORTAL_TYPES.iter().map(|t| Choice { value: t.as_str().to_owned(), label: t.label_zh().to_owned() }).collect();
    let unclassified = org.unclassified();
    let categories = org
        .categories()
        .filter(|c| c.active && Some(c.id) != unclassified)
        .map(|c| CategoryChoice { id: c.id, parent_id: c.parent, name: c.name.clone() })
        .collect();
    let mut towns: Vec<Choice> = org
        .units()
        .filter(|u| u.active && u.kind.is_territorial())
        .map(|u| Choice { value: u.code.clone(), label: u.name.clone() })
        .collect();
    towns.sort_by(|a, b| a.value.cmp(&b.value));
    let id = &app.portal.identity;
    let site = SiteDto { city: id.city.clone(), organiser: id.organiser.clone(), contact: id.contact.clone(), hotline: id.hotline.clone() };
    Ok(Json(FormOptions { types, categories, towns, site }))
}
