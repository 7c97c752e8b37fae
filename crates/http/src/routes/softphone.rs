//! The browser as the user's phone (浏览器话机): one WebRTC connection per
//! shift, signalled here; calls are then connected to it at the desk.

use super::{Handled, Json};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AsPhoneUser, JsonBody};
use axum::extract::State;
use axum::http::StatusCode;
use hotline_app::App;
use hotline_app::calls::SoftphoneRequest;
use hotline_domain::{FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};

/// An SDP offer is a few kilobytes; anything far larger is not one.
const MAX_OFFER: usize = 64 * 1024;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SoftphoneOffer {
    /// The browser's SDP offer with its ICE candidates gathered
    /// (`RTCPeerConnection.createOffer`, then `localDescription.sdp`).
    pub sdp: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SoftphoneAnswer {
    /// The gateway's SDP answer: ICE-lite with one host candidate,
    /// DTLS-SRTP, G.711 A-law.
    pub sdp: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct HoldBody {
    /// true puts your call on hold (the caller hears music), false resumes it.
    pub held: bool,
}

fn offer(sdp: &str) -> Result<String, ValidationErrors> {
    let sdp = sdp.trim();
    if !sdp.starts_with("v=0") {
        return Err(FieldError::new("sdp", "is not a session description (it starts with v=0)").into());
    }
    if sdp.len() > MAX_OFFER {
        return Err(FieldError::new("sdp", format!("is {} bytes; an offer has at most {MAX_OFFER}", sdp.len())).into());
    }
    // SDP lines end in CRLF; a body that went through a text field may not.
    Ok(sdp.lines().map(|l| format!("{}\r\n", l.trim_end())).collect())
}

/// Connects your browser as your phone, or reconnects it (a reload, a new
/// network): the call you are in goes on. While connected, calls offered
/// at your desk are answered there and heard in the browser; your SIP
/// phone is not rung. For consultants and supervisors; audited.
#[utoipa::path(post, path = "/api/v1/callcentre/softphone", tag = "call centre", security(("bearer" = [])), request_body = SoftphoneOffer,
    responses((status = 200, body = SoftphoneAnswer), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the lines have no browser phones (no SIP gateway)"),
        (status = 503, body = ErrorBody, description = "no port is free for the browser's media"),
        (status = 422, body = ErrorBody, description = "not an SDP offer with audio in G.711 A-law")))]
pub async fn connect(
    State(app): State<App>,
    AsPhoneUser(_desk, user): AsPhoneUser,
    JsonBody(body): JsonBody<SoftphoneOffer>,
) -> Handled<SoftphoneAnswer> {
    let sdp = app.calls.softphone(&user, SoftphoneRequest::Offer(offer(&body.sdp)?)).await?.unwrap_or_default();
    Ok(Json(SoftphoneAnswer { sdp }))
}

/// Closes your browser phone: your registered SIP phone, if any, rings
/// again. A call you are in through the browser is hung up on your side.
#[utoipa::path(delete, path = "/api/v1/callcentre/softphone", tag = "call centre", security(("bearer" = [])),
    responses((status = 204, description = "closed"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "your browser phone is not connected"),
        (status = 409, body = ErrorBody, description = "the lines have no browser phones (no SIP gateway)")))]
pub async fn close(State(app): State<App>, AsPhoneUser(_desk, user): AsPhoneUser) -> ApiResult<StatusCode> {
    app.calls.softphone(&user, SoftphoneRequest::Close).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Holds or resumes the call you are in on your browser phone; the desk
/// is told (`held`).
#[utoipa::path(put, path = "/api/v1/callcentre/softphone/hold", tag = "call centre", security(("bearer" = [])), request_body = HoldBody,
    responses((status = 204, description = "held or resumed"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "no browser phone, or no call in conversation on it"),
        (status = 409, body = ErrorBody, description = "the lines have no browser phones (no SIP gateway)")))]
pub async fn hold(
    State(app): State<App>,
    AsPhoneUser(_desk, user): AsPhoneUser,
    JsonBody(body): JsonBody<HoldBody>,
) -> ApiResult<StatusCode> {
    app.calls.softphone(&user, SoftphoneRequest::Hold(body.held)).await?;
    Ok(StatusCode::NO_CONTENT)
}
