//! One file per subcommand.

pub mod audit;
pub mod calendar;
pub mod demo;
pub mod kb;
pub mod migrate;
pub mod serve;
pub mod simulate;
pub mod staffing;
pub mod user;
