//! Carriers' trunks kept alive: an OPTIONS probe every `keepalive_secs`
//! tells the wallboard a trunk is down before a call or a transfer to 110
//! needs it, and a trunk sold as a registered account is registered and
//! refreshed (digest, at 3/4 of the lifetime granted).

use super::Core;
use crate::config::{SipConfig, TrunkConfig, TrunkRegistration};
use hotline_app::calls::{TrunkDirection, TrunkProblem, TrunkStatus};
use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::registration::{RefreshOutcome, Registration};
use rsipstack::sip::{Method, StatusCodeKind};
use rsipstack::transaction::key::{TransactionKey, TransactionRole};
use rsipstack::transaction::{Transaction, make_tag};
use rsipstack::transport::SipAddr;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a probe waits for an answer: longer means the trunk is
/// unusable for a caller waiting on the line anyway.
const PROBE_WAIT: Duration = Duration::from_secs(5);

/// Each trunk's state, in the configuration's order, the outbound one last.
pub(crate) struct Trunks(Mutex<Vec<TrunkStatus>>);

fn unknown(name: &str, direction: TrunkDirection, registers: bool) -> TrunkStatus {
    TrunkStatus { name: name.to_owned(), direction, reachable: None, registered: registers.then_some(false), problem: None, since: None }
}

impl Trunks {
    pub(crate) fn new(config: &SipConfig) -> Self {
        let mut states: Vec<TrunkStatus> =
            config.trunks.iter().map(|t| unknown(&t.name, TrunkDirection::Inbound, t.register.is_some())).collect();
        if config.outbound.is_some() {
            states.push(unknown("outbound", TrunkDirection::Outbound, false));
        }
        Self(Mutex::new(states))
    }

    pub(crate) fn snapshot(&self) -> Vec<TrunkStatus> {
        self.0.lock().expect("trunks lock").clone()
    }

    /// Notes what a probe or a registration found; `since` moves only when
    /// the trunk went up or down, so the wallboard says how long it has been.
    fn update(&self, slot: usize, name: &str, change: impl FnOnce(&mut TrunkStatus)) {
        let mut states = self.0.lock().expect("trunks lock");
        let Some(state) = states.get_mut(slot) else { return };
        let before = (state.reachable, state.registered);
        change(state);
        if before != (state.reachable, state.registered) {
            state.since = Some(chrono::Utc::now());
            match (state.reachable, state.registered) {
                (Some(false), _) | (_, Some(false)) => {
                    tracing::warn!(trunk = name, problem = ?state.problem, "a carrier's trunk is down")
                }
                _ => tracing::info!(trunk = name, "a carrier's trunk is up"),
            }
        }
    }

    fn probed(&self, slot: usize, name: &str, outcome: Result<(), TrunkProblem>) {
        self.update(slot, name, |s| {
            s.reachable = Some(outcome.is_ok());
            if s.registered != Some(false) {
                s.problem = outcome.err();
            }
        });
    }

    fn registered(&self, slot: usize, name: &str, outcome: Result<(), TrunkProblem>) {
        self.update(slot, name, |s| {
            s.registered = Some(outcome.is_ok());
            s.problem = outcome.err();
        });
    }
}

impl Core {
    /// Starts the probes and registrations the configuration asks for.
    pub(super) fn keep_trunks(self: &Arc<Self>) {
        for (slot, trunk) in self.config.trunks.iter().enumerate() {
            let Some(server) = trunk.server else { continue };
            if trunk.keepalive_secs > 0 {
                tokio::spawn(self.clone().probe_every(slot, trunk.name.clone(), server, trunk.keepalive_secs));
            }
            if let Some(register) = trunk.register.clone() {
                tokio::spawn(self.clone().stay_registered(slot, trunk.clone(), server, register));
            }
        }
        if let Some(outbound) = &self.config.outbound
            && outbound.keepalive_secs > 0
        {
            tokio::spawn(self.clone().probe_every(self.config.trunks.len(), "outbound".into(), outbound.address, outbound.keepalive_secs));
        }
    }

    async fn probe_every(self: Arc<Self>, slot: usize, name: String, server: SocketAddr, secs: u32) {
        loop {
            let outcome = self.probe(server).await;
            self.trunks.probed(slot, &name, outcome);
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(u64::from(secs))) => {}
                _ = self.cancel.cancelled() => return,
            }
        }
    }

    /// One OPTIONS to `server`: any final answer below 500 shows it alive
    /// (a carrier may well refuse OPTIONS from us with 403 or 405); 5xx and
    /// 6xx say it cannot take calls now.
    async fn probe(&self, server: SocketAddr) -> Result<(), TrunkProblem> {
        let endpoint = &self.dialogs.endpoint;
        let uri: rsipstack::sip::Uri = format!("sip:{server}").as_str().try_into().map_err(|_| TrunkProblem::Unreachable)?;
        let via = endpoint.get_via(None, None).map_err(|_| TrunkProblem::Unreachable)?;
        let from = rsipstack::sip::typed::From { display_name: None, uri: self.contact.clone(), params: vec![] }.with_tag(make_tag());
        let to = rsipstack::sip::typed::To { display_name: None, uri: uri.clone(), params: vec![] };
        let request = endpoint.make_request(Method::Options, uri, via, from, to, 1, None);
        let key = TransactionKey::from_request(&request, TransactionRole::Client).map_err(|_| TrunkProblem::Unreachable)?;
        let mut tx = Transaction::new_client(key, request, endpoint.clone(), None);
        tx.destination = Some(SipAddr::new(rsipstack::sip::Transport::Udp, server.into()));
        tx.send().await.map_err(|_| TrunkProblem::Unreachable)?;
        let answer = async {
            while let Some(message) = tx.receive().await {
                if let rsipstack::sip::SipMessage::Response(response) = message
                    && response.status_code.kind() != StatusCodeKind::Provisional
                {
                    return Some(u16::from(response.status_code));
                }
            }
            None
        };
        match tokio::time::timeout(PROBE_WAIT, answer).await {
            Ok(Some(status)) if status < 500 => Ok(()),
            Ok(Some(status)) => Err(TrunkProblem::Refused { status }),
            Ok(None) | Err(_) => Err(TrunkProblem::NoAnswer),
        }
    }

    /// Registers `sip:<username>@<domain>` with our address as Contact and
    /// refreshes it until the gateway stops (the binding then lapses at the
    /// end of its lifetime).
    async fn stay_registered(self: Arc<Self>, slot: usize, trunk: TrunkConfig, server: SocketAddr, register: TrunkRegistration) {
        let credential = Credential {
            username: register.username.clone(),
            password: register.password.clone(),
            realm: None,
            auth_username: register.auth_username.clone(),
        };
        let mut registration = Registration::new(self.dialogs.endpoint.clone(), Some(credential));
        let mut contact = self.contact.clone();
        contact.auth = Some(rsipstack::sip::Auth { user: register.username.clone(), password: None });
        registration.contact = Some(rsipstack::sip::typed::Contact { display_name: None, uri: contact, params: vec![] });
        let domain = register.domain.clone().unwrap_or_else(|| server.to_string());
        let Ok(aor) = rsipstack::sip::Uri::try_from(format!("sip:{domain}").as_str()) else {
            tracing::error!(trunk = %trunk.name, %domain, "sip.trunks.register.domain is not a SIP domain");
            self.trunks.registered(slot, &trunk.name, Err(TrunkProblem::Unreachable));
            return;
        };
        if register.domain.is_some() {
            registration.outbound_proxy = Some(server);
        }
        let trunks = &self.trunks;
        registration
            .keep_alive(aor, register.expires_secs, self.cancel.clone(), |outcome| {
                let result = match outcome {
                    RefreshOutcome::Registered(_) => Ok(()),
                    RefreshOutcome::Rejected(response) => Err(TrunkProblem::Refused { status: u16::from(response.status_code.clone()) }),
                    RefreshOutcome::Failed(rsipstack::Error::TransportLayerError(..)) => Err(TrunkProblem::Unreachable),
                    RefreshOutcome::Failed(_) => Err(TrunkProblem::NoAnswer),
                };
                trunks.registered(slot, &trunk.name, result);
            })
            .await;
    }
}
