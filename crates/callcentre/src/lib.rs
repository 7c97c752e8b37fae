//! The call centre of a 12345 hotline, as plain Rust without I/O.
//!
//! - [`staffing`]: how many consultants a queue needs for a service level:
//!   Erlang C (callers wait as long as it takes) and Erlang A (callers hang
//!   up after an exponentially distributed patience), computed stably for
//!   centres of any realistic size.
//!
//! The distribution engine (queues, skills, routing strategies) and the
//! simulator will join this crate (issue 4).

pub mod staffing;
