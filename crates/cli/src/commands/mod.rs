//! One file per subcommand.

pub mod apikey;
pub mod audit;
pub mod backup;
pub mod calendar;
pub mod demo;
pub mod import;
pub mod kb;
pub mod migrate;
pub mod model;
pub mod partitions;
pub mod seat_plan;
pub mod serve;
pub mod simulate;
pub mod staffing;
pub mod user;

/// A staffing input error as the command-line flag it came from
/// (`interval_secs` → `--interval-secs: …`).
pub(crate) fn flag(e: hotline_callcentre::staffing::StaffingError) -> anyhow::Error {
    match e {
        hotline_callcentre::staffing::StaffingError::Invalid { field, message } => {
            anyhow::anyhow!("--{}: {message}", field.replace('_', "-"))
        }
        other => anyhow::anyhow!("{other}"),
    }
}
