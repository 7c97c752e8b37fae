//! Every channel besides the phone that a partner's system drives: API keys
//! and Open311 GeoReport v2.

pub mod keys;
pub mod open311;
pub mod records;

pub use keys::{ApiKeys, IssuedKey, NewApiKey, Partner};
pub use records::{ApiKeyRecord, ApiKeyStore};
