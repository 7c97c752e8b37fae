//! Our own SMPP client (`sms.gateway = "smpp"`): bound to the operator's
//! SMS centre as a transceiver, it hands texts over (`submit_sm`, UCS-2 for
//! Chinese, split and concatenated when long), takes the operator's
//! delivery receipts back, and passes the texts citizens send to the
//! hotline's number on to the inbox (`deliver_sm`). It keeps the link alive
//! with `enquire_link` and binds again when the link drops. The protocol
//! itself is rusmpp's; see `docs/sms.md`.

mod config;
mod gateway;
mod parts;
mod receipt;

pub use config::SmppConfig;
pub use gateway::Smpp;
pub use parts::{Assembler, Part};
pub use receipt::{Receipt, parse_receipt};
