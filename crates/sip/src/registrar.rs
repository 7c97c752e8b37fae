//! Consultants' phones registering (RFC 3261 §10) with digest
//! authentication (RFC 2617/7616, MD5 with qop=auth) against the secret an
//! administrator set, and where each consultant's phone can be reached.

use hotline_callcentre::engine::AgentId;
use md5::{Digest, Md5};
use rsipstack::sip::Method;
use rsipstack::sip::headers::auth::AuthQop;
use rsipstack::sip::typed::{Authorization, Route};
use rsipstack::transport::SipAddr;
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a challenge's nonce may be answered.
const NONCE_LIFE: Duration = Duration::from_secs(300);

/// Where a consultant's phone takes calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The Contact the phone registered.
    pub contact: rsipstack::sip::Uri,
    /// Where requests to it go: where its REGISTER came from (through NAT,
    /// not the Contact's address), or the first proxy of its Path.
    pub destination: SipAddr,
    /// The proxies it registered through (RFC 3327 Path), nearest first:
    /// the Route of every request to it.
    pub path: Vec<Route>,
    pub until: Instant,
}

/// Where a request to a phone or a trunk goes: the URI asked for, the
/// address it is sent to and the proxies on its way.
pub struct Reach {
    pub uri: rsipstack::sip::Uri,
    pub destination: SipAddr,
    pub route: Vec<Route>,
}

impl Reach {
    /// Sent straight to `destination`.
    pub fn direct(uri: rsipstack::sip::Uri, destination: SipAddr) -> Self {
        Self { uri, destination, route: Vec::new() }
    }
}

impl From<Binding> for Reach {
    fn from(b: Binding) -> Self {
        Self { uri: b.contact, destination: b.destination, route: b.path }
    }
}

pub struct Registrar {
    realm: String,
    /// Signs nonces, so challenges need no memory.
    key: [u8; 16],
    bindings: Mutex<HashMap<AgentId, Binding>>,
}

fn md5_hex(text: &str) -> String {
    hex::encode(Md5::digest(text.as_bytes()))
}

impl Registrar {
    pub fn new(realm: String) -> Self {
        Self { realm, key: rand::random(), bindings: Mutex::default() }
    }

    pub fn realm(&self) -> &str {
        &self.realm
    }

    fn seal(&self, stamp: &str) -> String {
        md5_hex(&format!("{}:{stamp}", hex::encode(self.key)))[..16].to_owned()
    }

    /// A fresh nonce: its time and a seal over it.
    pub fn nonce(&self) -> String {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let stamp = format!("{secs:x}");
        format!("{stamp}.{}", self.seal(&stamp))
    }

    /// Whether a nonce is ours and younger than its life.
    pub fn nonce_fresh(&self, nonce: &str) -> bool {
        let Some((stamp, seal)) = nonce.split_once('.') else { return false };
        let Ok(secs) = u64::from_str_radix(stamp, 16) else { return false };
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        seal == self.seal(stamp) && now.saturating_sub(secs) <= NONCE_LIFE.as_secs()
    }

    /// The `WWW-Authenticate` value of a challenge; `stale` when the
    /// answer was right but its nonce too old (RFC 2617 §3.2.1).
    pub fn challenge(&self, stale: bool) -> String {
        let stale = if stale { ", stale=TRUE" } else { "" };
        format!("Digest realm=\"{}\", nonce=\"{}\", algorithm=MD5, qop=\"auth\"{stale}", self.realm, self.nonce())
    }

    /// Whether `auth` proves the secret `ha1` for `method`; `uri` is the
    /// digest URI as the client wrote it (the parsed one may be normalised).
    pub fn verify(&self, auth: &Authorization, uri: &str, method: &Method, ha1: &str) -> bool {
        if auth.realm != self.realm || !self.nonce_fresh(&auth.nonce) {
            return false;
        }
        let ha2 = md5_hex(&format!("{method}:{uri}"));
        let expected = match &auth.qop {
            None => md5_hex(&format!("{ha1}:{}:{ha2}", auth.nonce)),
            Some(AuthQop::Auth { cnonce, nc }) => md5_hex(&format!("{ha1}:{}:{nc:08}:{cnonce}:auth:{ha2}", auth.nonce)),
            Some(AuthQop::AuthInt { .. }) => return false,
        };
        expected.eq_ignore_ascii_case(&auth.response)
    }

    pub fn bind(&self, agent: AgentId, binding: Binding) {
        self.bindings.lock().expect("bindings lock").insert(agent, binding);
    }

    /// Takes bindings kept in the database (another node's, or this one's
    /// before a restart), unless the phone has registered here since.
    pub fn restore(&self, restored: impl IntoIterator<Item = (AgentId, Binding)>) -> usize {
        let mut bindings = self.bindings.lock().expect("bindings lock");
        let mut taken = 0;
        for (agent, binding) in restored {
            if bindings.get(&agent).is_none_or(|b| b.until < binding.until) {
                bindings.insert(agent, binding);
                taken += 1;
            }
        }
        taken
    }

    /// Forgets every binding: this node stands by, and what it knew may be
    /// stale by the time it runs the call centre again.
    pub fn clear(&self) {
        self.bindings.lock().expect("bindings lock").clear();
    }

    pub fn unbind(&self, agent: AgentId) {
        self.bindings.lock().expect("bindings lock").remove(&agent);
    }

    /// The consultants whose registration lasts now.
    pub fn registered(&self) -> BTreeSet<AgentId> {
        let now = Instant::now();
        self.bindings.lock().expect("bindings lock").iter().filter(|(_, b)| b.until > now).map(|(agent, _)| *agent).collect()
    }

    /// Where the consultant's phone is, while its registration lasts.
    pub fn find(&self, agent: AgentId) -> Option<Binding> {
        let mut bindings = self.bindings.lock().expect("bindings lock");
        match bindings.get(&agent) {
            Some(b) if b.until > Instant::now() => Some(b.clone()),
            Some(_) => {
                bindings.remove(&agent);
                None
            }
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(registrar: &Registrar, nonce: &str, ha1: &str, qop: bool) -> Authorization {
        let uri = "sip:127.0.0.1:5060";
        let ha2 = md5_hex(&format!("REGISTER:{uri}"));
        let (response, qop_part) = if qop {
            (md5_hex(&format!("{ha1}:{nonce}:00000001:abc:auth:{ha2}")), ", qop=auth, nc=00000001, cnonce=\"abc\"")
        } else {
            (md5_hex(&format!("{ha1}:{nonce}:{ha2}")), "")
        };
        let header = format!(
            "Digest username=\"consultant\", realm=\"{}\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{response}\", algorithm=MD5{qop_part}",
            registrar.realm
        );
        Authorization::parse(&header).unwrap()
    }

    #[test]
    fn kept_bindings_are_taken_unless_the_phone_registered_here_since() {
        let registrar = Registrar::new("hotline".into());
        let binding = |port: u16, secs: u64| Binding {
            contact: rsipstack::sip::Uri::try_from(format!("sip:zhang@10.0.0.7:{port}").as_str()).unwrap(),
            destination: SipAddr::new(rsipstack::sip::Transport::Udp, format!("10.0.0.7:{port}").as_str().try_into().unwrap()),
            path: vec![],
            until: Instant::now() + Duration::from_secs(secs),
        };
        registrar.bind(AgentId(1), binding(5060, 600));
        let taken = registrar.restore([(AgentId(1), binding(5070, 300)), (AgentId(2), binding(5080, 300))]);
        assert_eq!(taken, 1, "the older kept binding of agent 1 gives way to its registration here");
        assert_eq!(registrar.find(AgentId(1)).unwrap().destination, binding(5060, 1).destination);
        assert_eq!(registrar.registered(), BTreeSet::from([AgentId(1), AgentId(2)]));
        assert_eq!(registrar.restore([(AgentId(1), binding(5090, 900))]), 1, "a newer one is taken");
        assert_eq!(registrar.find(AgentId(1)).unwrap().destination, binding(5090, 1).destination);
        registrar.clear();
        assert!(registrar.registered().is_empty());
    }

    #[test]
    fn a_challenge_for_an_old_nonce_says_stale() {
        let registrar = Registrar::new("hotline".into());
        assert!(registrar.challenge(true).ends_with(", stale=TRUE"));
        assert!(!registrar.challenge(false).contains("stale"));
        let nonce = registrar.nonce();
        assert!(registrar.nonce_fresh(&nonce));
        assert!(!registrar.nonce_fresh("abc.def"), "not ours");
    }

    #[test]
    fn the_right_secret_passes_with_and_without_qop() {
        let registrar = Registrar::new("hotline".into());
        let ha1 = hotline_app::calls::phone_secret("consultant", "hotline", "demo");
        let nonce = registrar.nonce();
        for qop in [true, false] {
            let auth = answer(&registrar, &nonce, &ha1, qop);
            assert!(registrar.verify(&auth, "sip:127.0.0.1:5060", &Method::Register, &ha1), "qop {qop}");
        }
    }

    #[test]
    fn a_wrong_secret_a_forged_or_old_nonce_and_another_realm_fail() {
        let registrar = Registrar::new("hotline".into());
        let ha1 = hotline_app::calls::phone_secret("consultant", "hotline", "demo");
        let wrong = hotline_app::calls::phone_secret("consultant", "hotline", "guess");
        let nonce = registrar.nonce();
        let uri = "sip:127.0.0.1:5060";
        assert!(!registrar.verify(&answer(&registrar, &nonce, &wrong, true), uri, &Method::Register, &ha1));
        let forged = format!("{}.0000000000000000", nonce.split_once('.').unwrap().0);
        assert!(!registrar.verify(&answer(&registrar, &forged, &ha1, true), uri, &Method::Register, &ha1));
        let old_stamp = format!("{:x}", SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() - 301);
        let old = format!("{old_stamp}.{}", registrar.seal(&old_stamp));
        assert!(!registrar.verify(&answer(&registrar, &old, &ha1, true), uri, &Method::Register, &ha1));
        let other = Registrar::new("elsewhere".into());
        assert!(!other.verify(&answer(&registrar, &nonce, &ha1, true), uri, &Method::Register, &ha1));
        assert!(!registrar.verify(&answer(&registrar, &nonce, &ha1, true), "sip:other", &Method::Register, &ha1), "uri bound");
    }
}
