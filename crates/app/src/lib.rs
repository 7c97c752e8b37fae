//! The hotline's application layer: the use cases people perform, composed
//! from the pure domain and the storage ports.
//!
//! Adapters depend on this crate, never the other way round: the SQL store
//! implements [`Store`] (its parts in [`ports`]), the HTTP server calls the services, the
//! binary wires them together in [`App`].
//!
//! Access control is carried by types. A request becomes a [`access::Desk`]
//! only through [`access::Access::open`], which fixes the caller's scope (all
//! orders for the centre, the caller's unit and its sub-units otherwise);
//! every order query takes that desk, so a handler cannot forget to scope.

pub mod access;
pub mod app;
pub mod attachments;
pub mod attempts;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod calls;
pub mod clock;
pub mod dashboard;
pub mod directory;
pub mod emergency;
pub mod error;
pub mod evaluation;
pub mod external;
pub mod ids;
pub mod inbox;
pub mod knowledge;
pub mod leases;
pub mod legacy;
pub mod live;
pub mod numbering;
pub mod operations;
pub mod orders;
pub mod orders_export;
pub mod orders_merge;
pub mod org;
pub mod partners;
pub mod portal;
pub mod ports;
pub mod reports;
pub mod secret;
pub mod similar;
pub mod sms;
pub mod suggestions;
pub mod supervision;
pub mod topics;

pub use app::{Adapters, App, AppConfig, Store};
pub use error::AppError;
