//! Seeding: what a fresh database gets.
//!
//! [`seed_reference`] runs on every fresh install: Dongguan's 36 towns,
//! subdistricts and parks with their official codes, the city departments
//! and their hotlines, sub-units, the request taxonomy, the dispatch
//! catalogue and China's holiday calendar. It does nothing on a database
//! that already has units.
//!
//! [`demo::seed_demo`] adds what `hotline demo` shows: one user per role and
//! about ten thousand work orders across every state over the last 90 days.

pub mod demo;
mod reference;

pub use reference::{ReferenceReport, seed_reference};

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    App(#[from] hotline_app::AppError),
    #[error("reference data: {0}")]
    Data(#[from] hotline_reference_data::DataError),
    #[error("holiday file: {0}")]
    Holidays(#[from] hotline_domain::holiday_cn::HolidayFileError),
    #[error("{0}")]
    Inconsistent(String),
}

pub type SeedResult<T> = Result<T, SeedError>;
