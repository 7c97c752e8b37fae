//! The demo: one user per role and realistic work orders in every state.

mod calls;
mod knowledge;
mod orders;
pub mod requests;
pub mod texts;
mod users;

pub use users::{DEMO_USERS, DemoUser};

use crate::SeedResult;
use hotline_app::App;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub password: String,
    pub orders: usize,
    /// How far back orders start.
    pub days: i64,
    /// Makes the generated data repeatable.
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self { password: "demo".into(), orders: 10_000, days: 90, seed: 12345 }
    }
}

#[derive(Debug, Clone)]
pub struct DemoReport {
    pub users: usize,
    pub orders: usize,
    pub articles: usize,
    /// Finished calls of the last week, for the call-centre figures.
    pub calls: usize,
    /// Orders per state, for the summary printed at start-up.
    pub by_state: Vec<(hotline_domain::State, usize)>,
}

/// Adds the demo users and orders (on top of the reference data).
pub async fn seed_demo(app: &App, options: &DemoOptions) -> SeedResult<DemoReport> {
    let people = users::create(app, &options.password).await?;
    let by_state = orders::generate(app, &people, options).await?;
    let articles = knowledge::seed(app).await?;
    let calls = calls::seed(app, &people, options).await?;
    Ok(DemoReport { users: people.count, orders: options.orders, articles, calls, by_state })
}
