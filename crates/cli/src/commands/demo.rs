//! `hotline demo`: a seeded platform to try.

use crate::config::Config;
use crate::runtime;
use anyhow::Context;
use hotline_seed::demo::{DEMO_USERS, DemoOptions, seed_demo};

/// Calls per hour the demo's simulator places unless configured otherwise.
const DEMO_CALLS_PER_HOUR: f64 = 30.0;

pub async fn run(mut config: Config, password: String, orders: usize, seed_only: bool) -> anyhow::Result<()> {
    if config.callcentre.simulated_calls_per_hour == 0.0 {
        config.callcentre.simulated_calls_per_hour = DEMO_CALLS_PER_HOUR;
    }
    let app = runtime::open(&config, runtime::Index::Open).await?;
    let existing = app.store.count_orders().await.context("cannot count orders")?;
    // The portal's service account exists from the first start; people do not.
    let users = app.store.users().await.context("cannot list users")?;
    let has_users = users.iter().any(|u| u.username != hotline_app::portal::PORTAL_ACCOUNT);
    if existing == 0 && !has_users {
        let started = std::time::Instant::now();
        let options = DemoOptions { password: password.clone(), orders, ..DemoOptions::default() };
        let report = seed_demo(&app, &options).await.context("cannot generate demo data")?;
        app.auditor.seal_all().await?;
        println!(
            "Seeded {} users, {} work orders, {} knowledge articles and {} calls in {:.1} s:",
            report.users,
            report.orders,
            report.articles,
            report.calls,
            started.elapsed().as_secs_f64()
        );
        for (state, n) in &report.by_state {
            println!("  {:<10} {:<18} {n}", state.label_zh(), state.as_str());
        }
    } else {
        println!("The data directory already holds {existing} work orders; keeping them.");
    }
    println!();
    println!("hotline demo: http://{}/  (API docs: http://{}/api/docs)", config.listen, config.listen);
    println!("Logins (password \"{password}\" unless the directory was seeded with another):");
    for u in DEMO_USERS {
        println!("  {:<16} {:<14} {}", u.username, u.role.as_str(), u.display_name);
    }
    println!("  handler_<code>   handler        one per unit, e.g. handler_441900003 (东城街道), handler_hrss");
    println!(
        "Simulated calls: {:.0} an hour into the queues; open the consultant's desk to take them.",
        config.callcentre.simulated_calls_per_hour
    );
    if seed_only {
        return Ok(());
    }
    super::serve::serve(&config, app).await
}
