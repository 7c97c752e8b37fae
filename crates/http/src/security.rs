//! What every response and request passes through for the browser's sake:
//! who the client is (behind trusted proxies), the security headers, and
//! the refusal of cross-site writes and WebSocket upgrades.

use crate::error::ApiError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hotline_app::AppError;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// The client as the server sees it, resolved once per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    pub address: IpAddr,
    /// Reached over TLS (at a trusted proxy that says so).
    pub https: bool,
}

/// Who may speak for clients, and which other sites may write.
#[derive(Debug, Clone, Default)]
pub struct Boundary {
    /// Reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Origins besides the server's own allowed to send writes with the
    /// session cookie and to open the desk's WebSocket (`https://host:port`).
    pub allowed_origins: Vec<String>,
}

impl Boundary {
    /// The client behind `peer`: the last address in `X-Forwarded-For` that
    /// is not a trusted proxy, if `peer` is one; `peer` otherwise.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> Client {
        if !self.trusted_proxies.contains(&peer) {
            return Client { address: peer, https: false };
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map_while(|a| a.trim().parse().ok())
            .collect();
        let address = forwarded.iter().rev().find(|a| !self.trusted_proxies.contains(a)).copied().unwrap_or(peer);
        let https = headers.get("x-forwarded-proto").is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"));
        Client { address, https }
    }

    /// Whether a browser request from `origin` may write here.
    fn allows(&self, origin: &str, headers: &HeaderMap, https: bool) -> bool {
        let own = headers.get(header::HOST).and_then(|h| h.to_str().ok()).is_some_and(|host| match origin.split_once("://") {
            Some(("https", rest)) => rest.eq_ignore_ascii_case(host),
            Some(("http", rest)) => !https && rest.eq_ignore_ascii_case(host),
            _ => false,
        });
        own || self.allowed_origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
    }
}

/// Content Security Policy for the interface, the Swagger UI and every API
/// answer: scripts only from the server, no framing, no plugins. Styles may
/// be inline: Element Plus positions popovers with style attributes.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
                   font-src 'self' data:; connect-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'self'; \
                   form-action 'self'; frame-ancestors 'none'";

pub async fn guard(State(boundary): State<Arc<Boundary>>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    let client = boundary.client(peer, request.headers());
    request.extensions_mut().insert(client);
    if let Some(refusal) = cross_site(&boundary, &request, client) {
        return with_headers(refusal, client);
    }
    with_headers(next.run(request).await, client)
}

/// A browser write or WebSocket upgrade from another site, unless it carries
/// its own credentials (a bearer token or an API key, which a browser never
/// adds by itself).
fn cross_site(boundary: &Boundary, request: &Request, client: Client) -> Option<Response> {
    let headers = request.headers();
    let upgrade = headers.get(header::UPGRADE).is_some();
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if (safe && !upgrade) || headers.contains_key(header::AUTHORIZATION) || headers.contains_key("x-api-key") {
        return None;
    }
    let origin = match headers.get(header::ORIGIN).map(|o| o.to_str()) {
        Some(Ok(origin)) => origin,
        Some(Err(_)) => "(unreadable)",
        // No Origin: not a browser, or a same-origin request of an old one;
        // a browser that labels the request cross-site is refused anyway.
        None if headers.get("sec-fetch-site").is_some_and(|s| s == "cross-site" || s == "same-site") => "(another site)",
        None => return None,
    };
    if boundary.allows(origin, headers, client.https) {
        return None;
    }
    Some(
        ApiError::App(AppError::Forbidden(format!(
            "a request from {origin} may not change anything here or open the desk; use this site's own pages"
        )))
        .into_response(),
    )
}

fn with_headers(mut response: Response, client: Client) -> Response {
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name: &'static str, value: &'static str| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(headers, "content-security-policy", CSP);
    set(headers, "x-frame-options", "DENY");
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "referrer-policy", "same-origin");
    set(headers, "cross-origin-opener-policy", "same-origin");
    set(headers, "permissions-policy", "camera=(), geolocation=(self), microphone=(self)");
    if client.https {
        set(headers, "strict-transport-security", "max-age=31536000; includeSubDomains");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let boundary = Boundary { trusted_proxies: vec![proxy], ..Default::default() };
        let sent = headers(&[("x-forwarded-for", "1.2.3.4, 5.6.7.8"), ("x-forwarded-proto", "https")]);
        let direct: IpAddr = "9.9.9.9".parse().unwrap();
        assert_eq!(boundary.client(direct, &sent), Client { address: direct, https: false }, "a client cannot claim an address");
        assert_eq!(boundary.client(proxy, &sent), Client { address: "5.6.7.8".parse().unwrap(), https: true });
        let chained = headers(&[("x-forwarded-for", "5.6.7.8, 10.0.0.2")]);
        assert_eq!(boundary.client(proxy, &chained).address, "5.6.7.8".parse::<IpAddr>().unwrap());
        assert_eq!(boundary.client(proxy, &HeaderMap::new()).address, proxy);
    }

    #[test]
    fn only_the_own_origin_and_the_allowed_ones_may_write() {
        let boundary = Boundary { allowed_origins: vec!["https://portal.example.gov.cn".into()], ..Default::default() };
        let host = headers(&[("host", "hotline.example:8080")]);
        assert!(boundary.allows("http://hotline.example:8080", &host, false));
        assert!(!boundary.allows("http://hotline.example:8080", &host, true), "plain http is not the TLS site");
        assert!(boundary.allows("https://hotline.example:8080", &host, true));
        assert!(!boundary.allows("http://evil.example", &host, false));
        assert!(!boundary.allows("http://hotline.example:8080.evil.example", &host, false));
        assert!(boundary.allows("https://portal.example.gov.cn", &host, false));
    }
}
