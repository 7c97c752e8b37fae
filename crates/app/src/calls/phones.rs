//! Consultants' SIP phones: the digest secret an administrator sets per
//! consultant, and the dialled number that picks a queue.
//!
//! The platform keeps HA1 = MD5(username:realm:password), as SIP
//! registrars do, so a REGISTER can be checked without the password being
//! stored. HA1 depends on the realm: changing `callcentre.phone_realm`
//! means setting every phone password again.

use super::config::GENERAL_QUEUE;
use super::records::CallStore;
use super::switchboard::agent_of;
use super::switchboard::user_of;
use crate::attempts::{Attempts, Limit};
use crate::audit::Auditor;
use crate::clock::Clock;
use crate::directory::Directory;
use crate::error::{AppError, AppResult};
use crate::ports::{HotlineRecord, OrgStore};
use chrono::{DateTime, Utc};
use hotline_callcentre::engine::AgentId;
use hotline_domain::{IntegrationMode, UserId};

pub use crate::access::PHONE_ROLES;
use md5::{Digest, Md5};
use std::net::IpAddr;
use std::sync::Arc;

/// The digest secret a phone registering as `username` in `realm` proves.
pub fn phone_secret(username: &str, realm: &str, password: &str) -> String {
    hex::encode(Md5::digest(format!("{username}:{realm}:{password}").as_bytes()))
}

/// The number citizens dial for the centre itself.
pub const CENTRE_NUMBER: &str = "12345";

/// The queue a call to `dialled` waits in: a hotline answered by
/// professional seats (12333 …) its own queue, the centre's number and
/// every hotline merged into it the general queue; `None` for a number
/// the centre does not answer (a sub-centre's, or a stranger's).
pub fn queue_for_dialled(dialled: &str, hotlines: &[HotlineRecord]) -> Option<String> {
    if dialled == CENTRE_NUMBER {
        return Some(GENERAL_QUEUE.to_owned());
    }
    let line = hotlines.iter().find(|h| h.number == dialled)?;
    match line.mode {
        IntegrationMode::ProfessionalSeat => Some(line.number.clone()),
        IntegrationMode::Merged => Some(GENERAL_QUEUE.to_owned()),
        IntegrationMode::SubCentre => None,
    }
}

/// A phone allowed to register: an active consultant's, with a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    pub agent: AgentId,
    pub username: String,
    /// HA1 for [`Phones::realm`].
    pub secret: String,
}

/// Where a consultant's registered phone takes calls, kept in the
/// database as well as in the gateway's memory: a node taking the call
/// centre over (or one restarting) rings the phones at once, through the
/// proxies on their Path, rather than waiting for each to register again.
/// The gateway writes its own forms: this layer only keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneBinding {
    pub user: UserId,
    /// The Contact the phone registered.
    pub contact: String,
    /// Where requests to it are sent (the address its REGISTER came from,
    /// or the first proxy of its Path).
    pub destination: String,
    /// The Path the proxies between added (RFC 3327), nearest first: the
    /// Route of every request to the phone.
    pub path: Vec<String>,
    pub expires_at: DateTime<Utc>,
}

/// Failed registrations allowed per account and address: a phone with a
/// mistyped password retries every few seconds, a guesser is stopped.
pub const REGISTER_PER_ACCOUNT_ADDRESS: Limit = Limit { most: 10, window: chrono::Duration::minutes(15) };
/// … and per address, whatever the accounts tried.
pub const REGISTER_PER_ADDRESS: Limit = Limit { most: 60, window: chrono::Duration::minutes(15) };

/// What a telephony adapter looks up: phones by username, queues by the
/// number dialled.
pub struct Phones {
    pub(crate) users: Arc<dyn OrgStore>,
    pub(crate) directory: Arc<Directory>,
    pub(crate) realm: String,
    pub(crate) attempts: Arc<Attempts>,
    pub(crate) auditor: Arc<Auditor>,
    pub(crate) bindings: Arc<dyn CallStore>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl Phones {
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The phone registering as `username`, if it may: a disabled account,
    /// someone of neither [`PHONE_ROLES`] or a user without a phone secret
    /// has none.
    pub async fn phone(&self, username: &str) -> AppResult<Option<Phone>> {
        let Some(user) = self.users.user_by_name(username).await? else { return Ok(None) };
        if !user.active || !user.roles.contains_any(&PHONE_ROLES) {
            return Ok(None);
        }
        Ok(user.phone_secret.map(|secret| Phone { agent: agent_of(user.id), username: user.username, secret }))
    }

    /// A registration from `from` claiming `username`: counted before it is
    /// checked (as logins are), so a burst of guesses cannot outrun the
    /// limits; `proves` checks the digest against the phone's secret. A
    /// failure is audited; `None` when the account has no phone or the
    /// proof is wrong, an error beyond the limits.
    pub async fn authenticate(&self, username: &str, from: IpAddr, proves: impl FnOnce(&str) -> bool) -> AppResult<Option<Phone>> {
        let by_address = format!("register-address:{from}");
        let by_account = format!("register:{}:{from}", &crate::auth::token_hash(&username.to_lowercase())[..32]);
        for (key, limit) in [(&by_address, REGISTER_PER_ADDRESS), (&by_account, REGISTER_PER_ACCOUNT_ADDRESS)] {
            if !self.attempts.spend(key, limit).await? {
                return Err(AppError::TooManyRequests(format!(
                    "too many failed phone registrations from {from}; try again in {} minutes",
                    limit.minutes()
                )));
            }
        }
        match self.phone(username).await?.filter(|p| proves(&p.secret)) {
            Some(phone) => {
                self.attempts.clear(&by_account).await?;
                self.attempts.refund(&by_address).await?;
                Ok(Some(phone))
            }
            None => {
                self.auditor
                    .append(None, "phone.register_failed", format!("user:{username}"), serde_json::json!({ "from": from.to_string() }))
                    .await?;
                Ok(None)
            }
        }
    }

    /// Keeps where a consultant's phone registered, until `expires_at`.
    pub async fn bound(&self, binding: &PhoneBinding) -> AppResult<()> {
        Ok(self.bindings.save_phone_binding(binding).await?)
    }

    /// Forgets `agent`'s phone: it unregistered.
    pub async fn unbound(&self, agent: AgentId) -> AppResult<()> {
        Ok(self.bindings.remove_phone_binding(user_of(agent)).await?)
    }

    /// The phones whose registration lasts now, wherever they registered.
    pub async fn bindings(&self) -> AppResult<Vec<PhoneBinding>> {
        Ok(self.bindings.phone_bindings(self.clock.now()).await?)
    }

    /// How long a registration lasting until `until` has left.
    pub fn left(&self, until: DateTime<Utc>) -> std::time::Duration {
        (until - self.clock.now()).to_std().unwrap_or_default()
    }

    /// The time a registration granted `secs` from now lasts until.
    pub fn until(&self, secs: u32) -> DateTime<Utc> {
        self.clock.now() + chrono::Duration::seconds(i64::from(secs))
    }

    /// The queue a call to `dialled` waits in, as the directory stands now.
    pub fn queue_for(&self, dialled: &str) -> Option<String> {
        queue_for_dialled(dialled, self.directory.snapshot().hotlines())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_rfc_2617_ha1() {
        // RFC 2617 §3.5's example user, realm and password.
        assert_eq!(phone_secret("Mufasa", "testrealm@host.com", "Circle Of Life"), "939e7578ed9e3c518a452acee763bce9");
    }
}
