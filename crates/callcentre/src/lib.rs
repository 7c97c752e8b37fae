//! The call centre of a 12345 hotline, as plain Rust without I/O.
//!
//! - [`staffing`]: how many consultants a queue needs for a service level:
//!   Erlang C (callers wait as long as it takes) and Erlang A (callers hang
//!   up after an exponentially distributed patience), computed stably for
//!   centres of any realistic size.
//!
//! - [`engine`]: the call distribution engine: queues per skill, agents
//!   with skill levels, routing strategies, priorities and widening delays,
//!   ring timeouts, wrap-up, abandonment, callbacks; driven by events with
//!   their time, so it runs to the millisecond in tests.
//!
//! - [`stats`]: service-level figures from finished calls.
//! - [`quality`]: packet loss, jitter and an estimated MOS of a call's audio.
//! - [`profile`]: the hourly shape of a day and a roster that follows it.
//! - [`seatplan`]: agents per skill per half-hour of the week and the shifts
//!   that cover them.
//! - [`simulator`]: a seeded discrete-event simulation of the centre with the
//!   real engine routing, checked against Erlang C and Erlang A.
//!
//! The live switchboard that runs the engine against telephony and the
//! consultants' desks, and the call records in the database, live in
//! `hotline-app` (`calls/`); this crate stays free of I/O.

pub mod engine;
pub mod profile;
pub mod quality;
pub mod seatplan;
pub mod simulator;
pub mod staffing;
pub mod stats;
