//! Consultants' phones registering (RFC 3261 §10), directly or through an
//! edge proxy that adds itself to their Path (RFC 3327), and their
//! bindings kept in the database: the node running the call centre takes
//! them from there when it starts or takes over, so it rings every phone
//! at once, through the proxy the phone registered through, rather than
//! waiting for each to register again.

use super::{Core, source_ip, source_of};
use crate::registrar::Binding;
use hotline_app::calls::{PhoneBinding, agent_of, user_of};
use hotline_app::error::AppError;
use hotline_callcentre::engine::AgentId;
use rsipstack::sip::prelude::{HeadersExt, ToTypedHeader};
use rsipstack::sip::typed::Route;
use rsipstack::sip::{Header, Method, StatusCode};
use rsipstack::transaction::Transaction;
use rsipstack::transport::{SipAddr, SipConnection};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the gateway looks whether its node runs the call centre.
const OWNER_CHECK: Duration = Duration::from_millis(500);

impl Core {
    /// A phone registers, refreshes or removes its binding.
    pub(super) async fn register(&self, tx: &mut Transaction) -> rsipstack::Result<()> {
        let raw = tx.original.headers.iter().find_map(|h| match h {
            Header::Authorization(a) => Some(a.value().to_string()),
            _ => None,
        });
        let Some(raw) = raw else {
            let challenge = Header::WwwAuthenticate(self.registrar.challenge(false).into());
            return tx.reply_with(StatusCode::Unauthorized, vec![challenge], None).await;
        };
        let Ok(auth) = rsipstack::sip::typed::Authorization::parse(&raw) else {
            return tx.reply(StatusCode::BadRequest).await;
        };
        let uri = rsipstack::dialog::authenticate::extract_digest_uri_raw(&raw).unwrap_or_else(|| auth.uri.to_string());
        if !self.registrar.nonce_fresh(&auth.nonce) {
            // An old nonce (phones reuse one for their refreshes): a new
            // challenge marked stale, so the phone answers it without
            // doubting its password; not counted as a failure.
            let challenge = Header::WwwAuthenticate(self.registrar.challenge(true).into());
            return tx.reply_with(StatusCode::Unauthorized, vec![challenge], None).await;
        }
        let Ok(path) = path_of(tx) else {
            return tx.reply_with(StatusCode::BadRequest, vec![reason("the Path header is not readable")], None).await;
        };
        let Some(from) = self.phone_ip(tx, !path.is_empty()) else { return tx.reply(StatusCode::BadRequest).await };
        let proves = |secret: &str| self.registrar.verify(&auth, &uri, &Method::Register, secret);
        let phone = match self.phones.authenticate(&auth.username, from, proves).await {
            Ok(Some(phone)) => phone,
            // A wrong secret is refused without saying whether the account exists.
            Ok(None) => {
                tracing::info!(username = %auth.username, %from, "a phone's registration was refused");
                return tx.reply(StatusCode::Forbidden).await;
            }
            Err(AppError::TooManyRequests(why)) => {
                tracing::warn!(username = %auth.username, %from, %why, "phone registrations refused: too many failures");
                return tx.reply(StatusCode::Forbidden).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "a phone's account could not be read");
                return tx.reply(StatusCode::ServerInternalError).await;
            }
        };
        let Some((transport, source)) = source_of(tx) else { return tx.reply(StatusCode::BadRequest).await };
        let contact = tx.original.contact_header().ok().and_then(|c| c.typed().ok());
        let expires = tx.original.expires_header().and_then(|e| e.value().trim().parse::<u32>().ok());
        let contact_expires = contact.as_ref().and_then(|c| c.expires());
        let asked = contact_expires.or(expires).unwrap_or(3600);
        let Some(contact) = contact else {
            // A query of the bindings: none kept apart from the live one.
            return tx.reply(StatusCode::OK).await;
        };
        if asked == 0 {
            self.registrar.unbind(phone.agent);
            if let Err(e) = self.phones.unbound(phone.agent).await {
                tracing::warn!(error = %e, username = %phone.username, "a phone's removed binding could not be forgotten in the database");
            }
            return tx.reply(StatusCode::OK).await;
        }
        let granted = asked.clamp(60, self.config.max_register_secs);
        let destination = match path.first() {
            // Through the proxies it came by, the nearest first.
            Some(proxy) => match SipAddr::try_from(&proxy.uri) {
                Ok(addr) => addr,
                Err(_) => return tx.reply_with(StatusCode::BadRequest, vec![reason("the Path's first proxy is no address")], None).await,
            },
            // The Contact is where the phone listens, unless a NAT sits
            // between (its address is not the one the request came from):
            // then the source, which the NAT maps back to the phone.
            None => {
                let host = if contact.uri.host_with_port.host == source.host { contact.uri.host_with_port.clone() } else { source };
                SipAddr::new(transport, host)
            }
        };
        let binding = Binding {
            contact: contact.uri.clone(),
            destination,
            path: path.clone(),
            until: Instant::now() + Duration::from_secs(u64::from(granted)),
        };
        self.registrar.bind(phone.agent, binding.clone());
        // This node rings the phone from memory; the database copy is for
        // the next owner, so a failure to write it costs the phone nothing now.
        if let Err(e) = self.phones.bound(&kept(phone.agent, &binding, self.phones.until(granted))).await {
            tracing::warn!(error = %e, username = %phone.username, "a phone's binding could not be kept in the database");
        }
        tracing::info!(username = %phone.username, proxies = path.len(), "a consultant's phone registered");
        let mut headers =
            vec![Header::Contact(format!("<{}>;expires={granted}", contact.uri).into()), Header::Expires(granted.to_string().into())];
        // The registrar echoes the Path it stored (RFC 3327 §5.3).
        headers.extend(path.iter().map(|p| Header::Path(p.to_string().into())));
        tx.reply_with(StatusCode::OK, headers, None).await
    }

    /// The address a registration is counted against: where it came from,
    /// or, relayed by a trusted proxy (a trunk's address) that added
    /// itself to the Path, the phone's own (its Via, at the bottom), so
    /// one phone's failures do not lock every phone behind the proxy out.
    fn phone_ip(&self, tx: &Transaction, proxied: bool) -> Option<IpAddr> {
        let from = source_ip(tx)?;
        if !proxied || self.config.trunk_of(from).is_none() {
            return Some(from);
        }
        let first = tx
            .original
            .headers
            .iter()
            .filter_map(|h| match h {
                Header::Via(via) => Some(via),
                _ => None,
            })
            .last()?;
        match SipConnection::parse_target_from_via(first).ok()?.1.host {
            rsipstack::sip::Host::IpAddr(ip) => Some(ip),
            rsipstack::sip::Host::Domain(_) => Some(from),
        }
    }

    /// Takes the phones' bindings from the database whenever this node
    /// comes to run the call centre (at start too: a node restarting), and
    /// forgets them while it stands by.
    pub(super) async fn keep_bindings(self: Arc<Self>) {
        let (mut loaded, mut failing) = (false, false);
        let mut tick = tokio::time::interval(OWNER_CHECK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = self.cancel.cancelled() => return,
                _ = tick.tick() => {}
            }
            match (self.switchboard.is_owner(), loaded) {
                // Tried again every round while the database is away,
                // said once.
                (true, false) => match self.restore_bindings().await {
                    Ok(()) => (loaded, failing) = (true, false),
                    Err(e) if !failing => {
                        tracing::warn!(error = %e, "the phones' bindings could not be read from the database; trying again");
                        failing = true;
                    }
                    Err(_) => {}
                },
                (false, true) => {
                    self.registrar.clear();
                    loaded = false;
                }
                _ => {}
            }
        }
    }

    async fn restore_bindings(&self) -> Result<(), AppError> {
        let kept = self.phones.bindings().await?;
        let count = kept.len();
        let bindings = kept.into_iter().filter_map(|b| match self.binding_of(&b) {
            Some(binding) => Some((agent_of(b.user), binding)),
            None => {
                tracing::warn!(user = b.user.0, contact = %b.contact, "a phone's kept binding is unreadable: left until it registers");
                None
            }
        });
        let taken = self.registrar.restore(bindings);
        if count > 0 {
            tracing::info!(kept = count, taken, "the phones' bindings were taken from the database");
        }
        Ok(())
    }

    fn binding_of(&self, kept: &PhoneBinding) -> Option<Binding> {
        let contact = rsipstack::sip::Uri::try_from(kept.contact.as_str()).ok()?;
        let destination = SipAddr::try_from(&rsipstack::sip::Uri::try_from(kept.destination.as_str()).ok()?).ok()?;
        let path = kept.path.iter().map(|p| Route::parse(p)).collect::<Result<Vec<_>, _>>().ok()?;
        Some(Binding { contact, destination, path, until: Instant::now() + self.phones.left(kept.expires_at) })
    }
}

/// The Path headers of a request, each possibly listing several proxies,
/// in order.
fn path_of(tx: &Transaction) -> Result<Vec<Route>, rsipstack::sip::Error> {
    let mut path = Vec::new();
    for header in tx.original.headers.iter() {
        if let Header::Path(p) = header {
            path.extend(Route::parse_header_list(p.value())?);
        }
    }
    Ok(path)
}

/// The database's form of a binding.
fn kept(agent: AgentId, binding: &Binding, expires_at: chrono::DateTime<chrono::Utc>) -> PhoneBinding {
    PhoneBinding {
        user: user_of(agent),
        contact: binding.contact.to_string(),
        destination: rsipstack::sip::Uri::from(&binding.destination).to_string(),
        path: binding.path.iter().map(ToString::to_string).collect(),
        expires_at,
    }
}

fn reason(text: &str) -> Header {
    Header::Other("Reason".into(), format!("SIP;cause=400;text=\"{text}\""))
}
