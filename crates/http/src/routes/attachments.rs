//! Attachments: upload to an order, download by id.

use super::{Json, id, tz};
use crate::dto::orders::AttachmentDto;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Path;
use crate::extract::{Caller, order_number};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::IntoResponse;
use hotline_app::{App, AppError};
use hotline_domain::AttachmentId;

/// Uploads one file (multipart field `file`). Accepted: JPEG, PNG, GIF, PDF,
/// Office documents, WAV, AMR, MP3; the type is read from the content.
#[utoipa::path(post, path = "/api/v1/work-orders/{number}/attachments", tag = "work orders", security(("bearer" = [])),
    params(("number" = String, Path)), request_body(content_type = "multipart/form-data", content = String),
    responses((status = 201, body = AttachmentDto), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn upload(
    State(app): State<App>,
    Caller(desk): Caller,
    Path(number): Path<String>,
    mut form: Multipart,
) -> ApiResult<impl IntoResponse> {
    let number = order_number(&number)?;
    let (file_name, bytes) = read_file(&mut form).await?;
    let record = app.orders.attach(&desk, &number, &file_name, bytes).await?;
    Ok((StatusCode::CREATED, Json(AttachmentDto::of(tz(&app), record))))
}

/// The name and content of the multipart field `file`.
pub(crate) async fn read_file(form: &mut Multipart) -> ApiResult<(String, Vec<u8>)> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::App(AppError::TooLarge("the upload exceeds the attachment size limit".into()))
        } else {
            ApiError::BadRequest(format!("the multipart body could not be read: {e}"))
        }
    };
    while let Some(field) = form.next_field().await.map_err(bad)? {
        if field.name() != Some("file") {
            continue;
        }
        let file_name = field.file_name().unwrap_or("").to_owned();
        let bytes = field.bytes().await.map_err(bad)?;
        return Ok((file_name, bytes.to_vec()));
    }
    Err(AppError::invalid("file", "send the file in a multipart field named file").into())
}

/// Downloads an attachment the caller may see.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "work orders", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "The file"), (status = 404, body = ErrorBody)))]
pub async fn download(State(app): State<App>, Caller(desk): Caller, Path(raw): Path<String>) -> ApiResult<impl IntoResponse> {
    let (record, bytes) = app.orders.attachment(&desk, AttachmentId(id("id", &raw)?)).await?;
    // RFC 5987: the UTF-8 name, percent-encoded, for Chinese file names.
    let encoded: String = record
        .file_name
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    let disposition = format!("attachment; filename*=UTF-8''{encoded}");
    Ok(([(CONTENT_TYPE, record.content_type), (CONTENT_DISPOSITION, disposition)], bytes))
}
