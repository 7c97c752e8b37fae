//! Consultants' SIP phones: the digest secret an administrator sets per
//! consultant, and the dialled number that picks a queue.
//!
//! The platform keeps HA1 = MD5(username:realm:password), as SIP
//! registrars do, so a REGISTER can be checked without the password being
//! stored. HA1 depends on the realm: changing `callcentre.phone_realm`
//! means setting every phone password again.

use super::config::GENERAL_QUEUE;
use super::switchboard::agent_of;
use crate::directory::Directory;
use crate::error::AppResult;
use crate::ports::{HotlineRecord, OrgStore};
use hotline_callcentre::engine::AgentId;
use hotline_domain::{IntegrationMode, Role};
use md5::{Digest, Md5};
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

/// What a telephony adapter looks up: phones by username, queues by the
/// number dialled.
pub struct Phones {
    pub(crate) users: Arc<dyn OrgStore>,
    pub(crate) directory: Arc<Directory>,
    pub(crate) realm: String,
}

impl Phones {
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The phone registering as `username`, if it may: a disabled account,
    /// someone who is not a consultant or a user without a phone secret has none.
    pub async fn phone(&self, username: &str) -> AppResult<Option<Phone>> {
        let Some(user) = self.users.user_by_name(username).await? else { return Ok(None) };
        if !user.active || !user.roles.contains(Role::Consultant) {
            return Ok(None);
        }
        Ok(user.phone_secret.map(|secret| Phone { agent: agent_of(user.id), username: user.username, secret }))
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
