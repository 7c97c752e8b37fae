//! The HTTP API end to end: one test binary (faster to link), one module per concern.

mod support;

mod access;
mod admin;
mod attachments;
mod auth;
mod calendar;
mod calls;
mod emergency;
mod evaluation;
mod external;
mod hardening;
mod import;
mod knowledge;
mod lifecycle;
mod open311;
mod operations;
mod portal;
mod reports;
mod similar;
mod smpp;
mod sms;
mod suggestions;
mod supervision;
mod topics;
mod validation;
