//! Passwords (argon2id) and bearer sessions.
//!
//! A login returns a random token; only its SHA-256 is stored, so a stolen
//! database holds no usable session. Browsers get the same token as an
//! HttpOnly cookie.

use crate::access::Principal;
use crate::attempts::{Attempts, Limit};
use crate::audit::Auditor;
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::ports::{OrgStore, SessionRecord, UserRecord};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hotline_domain::FieldError;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

pub const MIN_PASSWORD_CHARS: usize = 8;
const MAX_PASSWORD_CHARS: usize = 128;
/// Failed logins to one account from one address before that address is
/// refused for the account. Locking the account itself would let anyone lock
/// out anyone (an administrator in the middle of an incident); per address,
/// the holder still logs in from their own desk.
pub const LOGIN_PER_ACCOUNT_ADDRESS: Limit = Limit { most: 5, window: Duration::minutes(15) };
/// Failed logins from one address, whatever the account: a centre behind
/// one NAT address stays well below it, a password sprayer does not.
pub const LOGIN_PER_ADDRESS: Limit = Limit { most: 30, window: Duration::minutes(15) };

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> AppResult<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Unavailable(format!("password hashing failed: {e}")))
}

/// The password hash of service accounts (the portal's, external
/// systems'): not a PHC string, so no password ever verifies against it.
pub const SERVICE_ACCOUNT_HASH: &str = "!service-account";

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// The strength a new password needs unless configured otherwise: zxcvbn's
/// score 3, "safely unguessable" (about 10^10 guesses), which refuses
/// `password`, `12345678`, keyboard walks and the user's own name.
pub const DEFAULT_PASSWORD_SCORE: u8 = 3;

/// A new password must be long enough and hard enough to guess, judged with
/// zxcvbn against common passwords, patterns and the words in `context`
/// (the username, the display name, the hotline's own words).
pub fn check_new_password(password: &str, min_score: u8, context: &[&str]) -> Result<(), FieldError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(FieldError::new("password", format!("must have at least {MIN_PASSWORD_CHARS} characters")));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(FieldError::new("password", format!("must have at most {MAX_PASSWORD_CHARS} characters")));
    }
    let mut words: Vec<&str> = context.to_vec();
    words.extend(["hotline", "12345", "dongguan", "zhengwu"]);
    let estimate = zxcvbn::zxcvbn(password, &words);
    let score = u8::from(estimate.score());
    if score < min_score {
        let hint = estimate.feedback().and_then(|f| f.warning()).map(|w| format!(" ({w})")).unwrap_or_default();
        return Err(FieldError::new(
            "password",
            format!(
                "is too easy to guess{hint}: strength {score} of 4, at least {min_score} needed; use a longer phrase of unrelated words"
            ),
        ));
    }
    Ok(())
}

/// Whether a secret sent matches the one configured, compared through
/// their hashes so the time taken says nothing of where they differ.
pub fn same_secret(sent: &str, expected: &str) -> bool {
    token_hash(sent) == token_hash(expected)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> AppResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Unavailable(format!("no randomness for a session token: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

pub fn principal_of(user: &UserRecord) -> Principal {
    Principal {
        user: user.id,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        affiliation: user.affiliation,
        roles: user.roles,
    }
}

/// Recently authenticated sessions, so a request does not cost a database
/// read. Entries live a few seconds; logging out removes one, any change to
/// a user clears all. Another node learns of a logout or a disabled account
/// within [`SESSION_CACHE_SECONDS`].
pub struct SessionCache {
    entries: Mutex<HashMap<String, (Principal, DateTime<Utc>)>>,
}

/// How long an authenticated session is trusted without asking the database.
pub const SESSION_CACHE_SECONDS: i64 = 10;
const SESSION_CACHE_MAX: usize = 10_000;

impl Default for SessionCache {
    fn default() -> Self {
        Self { entries: Mutex::new(HashMap::new()) }
    }
}

impl SessionCache {
    fn get(&self, token_hash: &str, now: DateTime<Utc>) -> Option<Principal> {
        let entries = self.entries.lock().expect("session cache lock");
        entries.get(token_hash).filter(|(_, until)| *until > now).map(|(p, _)| p.clone())
    }

    fn put(&self, token_hash: String, principal: Principal, until: DateTime<Utc>) {
        let mut entries = self.entries.lock().expect("session cache lock");
        if entries.len() >= SESSION_CACHE_MAX {
            entries.clear();
        }
        entries.insert(token_hash, (principal, until));
    }

    fn remove(&self, token_hash: &str) {
        self.entries.lock().expect("session cache lock").remove(token_hash);
    }

    /// Forgets everything, after a user was changed or disabled.
    pub fn clear(&self) {
        self.entries.lock().expect("session cache lock").clear();
    }
}

/// A logged-in session.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub principal: Principal,
    pub expires_at: DateTime<Utc>,
}

pub struct Auth {
    store: Arc<dyn OrgStore>,
    auditor: Arc<Auditor>,
    clock: Arc<dyn Clock>,
    session_ttl: Duration,
    sessions: Arc<SessionCache>,
    /// Verified against when the username is unknown, so timing does not
    /// tell which usernames exist.
    decoy_hash: String,
    attempts: Arc<Attempts>,
}

impl Auth {
    pub fn new(
        store: Arc<dyn OrgStore>,
        auditor: Arc<Auditor>,
        clock: Arc<dyn Clock>,
        session_ttl: Duration,
        sessions: Arc<SessionCache>,
        attempts: Arc<Attempts>,
    ) -> AppResult<Self> {
        Ok(Self { store, auditor, clock, session_ttl, sessions, decoy_hash: hash_password("decoy password")?, attempts })
    }

    /// Logs in from `from`. The attempt is counted before the password is
    /// checked, so a burst of guesses cannot outrun the limits.
    pub async fn login(&self, username: &str, password: &str, from: IpAddr) -> AppResult<Session> {
        let now = self.clock.now();
        let by_address = format!("login-address:{from}");
        if !self.attempts.spend(&by_address, LOGIN_PER_ADDRESS).await? {
            return Err(AppError::TooManyRequests(format!(
                "too many failed logins from this address; try again in {} minutes",
                LOGIN_PER_ADDRESS.minutes()
            )));
        }
        // Hashed: the key stays short whatever was typed as a username.
        let by_account = format!("login:{}:{from}", &token_hash(&username.to_lowercase())[..32]);
        if !self.attempts.spend(&by_account, LOGIN_PER_ACCOUNT_ADDRESS).await? {
            return Err(AppError::TooManyRequests(format!(
                "too many failed logins for {username} from this address; try again in {} minutes",
                LOGIN_PER_ACCOUNT_ADDRESS.minutes()
            )));
        }
        let user = self.store.user_by_name(username).await?;
        let phc = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| self.decoy_hash.clone());
        let candidate = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || verify_password(&candidate, &phc))
            .await
            .map_err(|e| AppError::Unavailable(format!("password check failed: {e}")))?;
        let user = match user {
            Some(u) if matches && u.active => u,
            _ => {
                self.auditor.append(None, "auth.login_failed", format!("user:{username}"), json!({})).await?;
                return Err(AppError::Unauthenticated("wrong username or password, or the account is disabled".into()));
            }
        };
        self.attempts.clear(&by_account).await?;
        self.attempts.refund(&by_address).await?;
        let token = new_token()?;
        let expires_at = now + self.session_ttl;
        self.store.insert_session(&SessionRecord { token_hash: token_hash(&token), user: user.id, created_at: now, expires_at }).await?;
        self.auditor.append(Some(user.id), "auth.login", format!("user:{}", user.username), json!({})).await?;
        Ok(Session { token, principal: principal_of(&user), expires_at })
    }

    pub async fn authenticate(&self, token: &str) -> AppResult<Principal> {
        let now = self.clock.now();
        let hash = token_hash(token);
        if let Some(principal) = self.sessions.get(&hash, now) {
            return Ok(principal);
        }
        match self.store.session_user(&hash, now).await? {
            Some(user) if user.active => {
                let principal = principal_of(&user);
                self.sessions.put(hash, principal.clone(), now + Duration::seconds(SESSION_CACHE_SECONDS));
                Ok(principal)
            }
            _ => Err(AppError::Unauthenticated("the session is unknown or has expired; log in again".into())),
        }
    }

    pub async fn logout(&self, token: &str) -> AppResult<()> {
        let hash = token_hash(token);
        self.sessions.remove(&hash);
        self.store.delete_session(&hash).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = hash_password("correct horse").unwrap();
        let b = hash_password("correct horse").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &a));
        assert!(!verify_password("correct horse!", &a));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn guessable_passwords_are_refused_and_phrases_accepted() {
        let check = |p: &str| check_new_password(p, DEFAULT_PASSWORD_SCORE, &["wangqiang", "王强"]);
        for weak in ["password", "12345678", "qwertyuiop", "wangqiang", "wangqiang2026", "hotline12345", "abcdefgh"] {
            let refused = check(weak).expect_err(weak);
            assert!(refused.message.contains("too easy to guess"), "{weak}: {}", refused.message);
        }
        for strong in ["correct horse battery staple", "东莞热线 river kite 47", "a new long passphrase 7"] {
            assert!(check(strong).is_ok(), "{strong}");
        }
        assert!(check_new_password("password", 0, &[]).is_ok(), "the minimum is configurable");
    }

    #[test]
    fn new_passwords_need_eight_characters() {
        assert!(check_new_password("1234567", 0, &[]).is_err());
        assert!(check_new_password("12345678", 0, &[]).is_ok());
        assert_eq!(token_hash("t").len(), 64);
    }
}
