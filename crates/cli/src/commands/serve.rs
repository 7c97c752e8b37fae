//! `hotline serve`.

use crate::config::Config;
use crate::runtime;
use anyhow::Context;
use hotline_app::App;
use hotline_http::HttpConfig;
use std::time::Duration;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let store = runtime::open_store(&config).await?;
    let app = runtime::open_seeded(&config, store.clone(), runtime::Index::Open).await?;
    let postgres = runtime::shared_database(&config)?;
    // Only PostgreSQL keeps plans that go stale with its statistics (`keep_statistics`).
    let statistics = postgres.then(|| tokio::spawn(hotline_store_sql::keep_statistics(store.clone(), app.leases.clone())));
    let partitions = postgres.then(|| tokio::spawn(keep_partitions(store, app.leases.clone(), config.database.partition_months_ahead)));
    let served = serve(&config, app).await;
    for task in [statistics, partitions].into_iter().flatten() {
        task.abort();
    }
    served
}

/// Keeps the monthly partitions made ahead, on a PostgreSQL database whose
/// tables were partitioned (`hotline partitions`; otherwise a look at the
/// catalogue each round), on the node holding the `partitions` lease: at
/// start, then every hour, so a month's partition is made about
/// `ahead` months before a row can need it.
async fn keep_partitions(
    store: std::sync::Arc<hotline_store_sql::SqlStore>,
    leases: std::sync::Arc<hotline_app::leases::Leases>,
    ahead: u32,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        if !leases.hold("partitions", chrono::Duration::hours(2)).await {
            continue;
        }
        match store.add_partitions(chrono::Utc::now(), ahead).await {
            Ok(made) if !made.is_empty() => tracing::info!(partitions = made.join(","), "monthly partitions made ahead"),
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "monthly partitions could not be made: a row of a month without its partition is refused")
            }
        }
    }
}

/// Serves until SIGINT or SIGTERM, sealing the audit chain in the background.
pub async fn serve(config: &Config, app: App) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    // Among several nodes, one runs the call centre; the first to start
    // takes it before answering anything, the others stand by.
    let lease = chrono::Duration::seconds(i64::from(config.callcentre.lease_seconds));
    let ownership = app.calls.clone().contend(app.leases.clone(), lease).await;
    let sealer = tokio::spawn(seal_forever(app.clone()));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let refresh = Duration::from_secs(config.search.refresh_seconds.max(1));
    let knowledge = tokio::spawn(hotline_app::knowledge::maintain(app.knowledge.clone(), app.search.clone(), refresh, stopped));
    // Deadline and emergency rules another node's administrator saved reach this node.
    let rules = tokio::spawn(follow_rules(app.clone(), refresh));
    let http = HttpConfig {
        max_upload_bytes: config.attachments.max_bytes,
        public_search_per_minute: config.search.public_per_minute,
        public_submissions_per_hour: config.portal.submissions_per_hour,
        boundary: hotline_http::security::Boundary {
            trusted_proxies: config.http.trusted_proxies.clone(),
            allowed_origins: config.http.allowed_origins.clone(),
        },
        open311: config.open311.clone(),
        metrics_token: Some(config.http.metrics_token.clone()).filter(|t| !t.is_empty()),
        // Only PostgreSQL is shared by several nodes; one node on SQLite
        // counts exactly in memory without a write per request.
        shared_limits: runtime::shared_database(config)?,
        ..HttpConfig::default()
    };
    let readiness = http.readiness.clone();
    let simulator = simulated_calls(config, &app);
    // Deadlines that passed while the server was down fire at the first scan.
    let notifier = hotline_notify::Outbound::new(&config.notify).map_err(anyhow::Error::msg).context("[notify]")?;
    let supervision = app.supervision.clone().spawn(std::sync::Arc::new(notifier));
    // Changes made while the server was down go out at the first round.
    let pusher = hotline_notify::PushWebhook::new(config.external.timeout_secs).map_err(anyhow::Error::msg).context("[external]")?;
    let pushes = app.external.clone().spawn(std::sync::Arc::new(pusher));
    // Texts queued while the server was down go out at the first round (within the sending hours).
    let texts = match config.sms.gateway {
        hotline_app::sms::GatewayKind::None => None,
        hotline_app::sms::GatewayKind::Kannel => {
            let kannel = hotline_notify::Kannel::new(&config.kannel, &config.sms.receipt_token, config.sms.timeout_secs)
                .map_err(anyhow::Error::msg)
                .context("[kannel]")?;
            Some(app.texts.clone().spawn(std::sync::Arc::new(kannel)))
        }
        hotline_app::sms::GatewayKind::Smpp => {
            let smpp = hotline_smpp::Smpp::new(config.smpp.clone(), app.texts.clone(), app.inbox.clone())
                .map_err(anyhow::Error::msg)
                .context("[smpp]")?;
            // Binds and stays bound, binding again whenever the link drops.
            drop(smpp.clone().spawn());
            Some(app.texts.clone().spawn(smpp))
        }
    };
    // Orders whose screening at registration failed still alert their partners.
    let screening = app.emergency.clone().spawn_catch_up(Duration::from_secs(30), chrono::Duration::minutes(15), app.leases.clone());
    // Hot topics feed the surge warning at each of their refreshes.
    let topic_surges = app.topics.clone().spawn_surge_watch(
        app.emergency.clone(),
        Duration::from_secs(u64::from(config.topics.refresh_seconds)),
        app.leases.clone(),
    );
    let purge = tokio::spawn(purge_recordings(app.clone()));
    let calendar = tokio::spawn(watch_calendar(app.clone()));
    let suggestions = tokio::spawn(train_suggestions(app.clone()));
    // Live screens on every node hear what happens on any.
    let relay = match config.cluster.nats_url.trim() {
        "" => None,
        _ => Some(hotline_nats::join(&config.cluster, &app).await.context("[cluster]")?),
    };
    let (calls, leases) = (app.calls.clone(), app.leases.clone());
    let hand_over = async move {
        ownership.abort();
        calls.hand_over(&leases).await;
    };
    let router = hotline_http::router(app.clone(), http);
    tracing::info!(address = %listener.local_addr()?, database = %runtime::redact(&config.database_url()), "hotline is serving");
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(drain(readiness, Duration::from_secs(config.http.drain_seconds), hand_over))
        .await
        .context("server error")?;
    sealer.abort();
    rules.abort();
    supervision.abort();
    pushes.abort();
    if let Some(texts) = texts {
        texts.abort();
    }
    screening.abort();
    topic_surges.abort();
    purge.abort();
    calendar.abort();
    suggestions.abort();
    if let Some(relay) = relay {
        relay.abort();
    }
    if let Some(simulator) = simulator {
        simulator.abort();
    }
    let _ = stop.send(true);
    let _ = knowledge.await;
    // Whatever was written before the shutdown gets onto the chain.
    app.auditor.seal_all().await.context("sealing the audit log at shutdown")?;
    app.auditor.checkpoint().await.context("the audit checkpoint at shutdown")?;
    tracing::info!("hotline stopped");
    Ok(())
}

/// Starts the in-process call simulator when calls per hour are configured:
/// two calls in three to the general queue, the rest spread over the
/// professional seats.
fn simulated_calls(config: &Config, app: &App) -> Option<tokio::task::JoinHandle<()>> {
    let c = &config.callcentre;
    if c.simulated_calls_per_hour <= 0.0 {
        return None;
    }
    let Ok(simulator) = app.calls.simulator() else {
        tracing::warn!("callcentre.simulated_calls_per_hour is set but the telephony is not the simulator; no calls are simulated");
        return None;
    };
    let org = app.directory.snapshot();
    let professional = hotline_app::calls::CallCentreConfig::professional_skills(org.hotlines());
    let share = if professional.is_empty() { 0.0 } else { 1.0 / (2.0 * professional.len() as f64) };
    let mut queues = vec![(hotline_app::calls::GENERAL_QUEUE.to_owned(), 2.0 / 3.0)];
    queues.extend(professional.iter().map(|q| (q.to_string(), share * 2.0 / 3.0)));
    let load = hotline_app::calls::Load {
        per_hour: c.simulated_calls_per_hour,
        queues,
        mean_talk: Duration::from_secs_f64(c.simulated_talk_secs),
        mean_patience: Duration::from_secs_f64(c.simulated_patience_secs),
    };
    tracing::info!(per_hour = c.simulated_calls_per_hour, "the call simulator places calls");
    Some(tokio::spawn(simulator.clone().generate(load, app.ids.next() as u64)))
}

/// Appends new audit records to the hash chain every second.
async fn seal_forever(app: App) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        if let Err(e) = app.auditor.seal_all().await {
            tracing::warn!(error = %e, "sealing the audit log failed; will retry");
        }
    }
}

/// From 1 November, alerts the administrators once that next year's
/// holidays are missing; checked at start and hourly.
async fn watch_calendar(app: App) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        if let Err(e) = app.calendar.watch_coverage(app.clock.now()).await {
            tracing::warn!(error = %e, "checking next year's holidays failed; will retry");
        }
    }
}

/// How often the server looks for a model another process trained.
const PICK_UP_SECS: u64 = 30;
/// How often the server trains its own.
const TRAIN_SECS: u64 = 24 * 3600;

/// Serves the newest kept suggestion model at start, training one when none
/// is kept or the newest is more than a day old; then trains nightly (every
/// 24 hours, so dispatchers' corrections are learned) and, every 30
/// seconds, picks up a newer model that `hotline model train` (or another
/// node sharing the directory) kept, without a restart.
async fn train_suggestions(app: App) {
    let picked = app.suggestions.pick_up().await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the kept suggestion models cannot be read; training anew");
        None
    });
    let fresh = app.suggestions.model().is_some_and(|m| app.clock.now() - m.trained_at < chrono::Duration::seconds(TRAIN_SECS as i64));
    let first_training = if picked.is_some() && fresh { Duration::from_secs(TRAIN_SECS) } else { Duration::ZERO };
    let mut train = tokio::time::interval_at(tokio::time::Instant::now() + first_training, Duration::from_secs(TRAIN_SECS));
    let mut look = tokio::time::interval(Duration::from_secs(PICK_UP_SECS));
    loop {
        tokio::select! {
            _ = train.tick() => match app.suggestions.retrain().await {
                Ok(0) => tracing::info!("too few dispatched orders to train the suggestions on yet"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "training the suggestions failed; the previous models stay"),
            },
            _ = look.tick() => if let Err(e) = app.suggestions.pick_up().await {
                tracing::warn!(error = %e, "a kept suggestion model could not be picked up; the one served stays");
            },
        }
    }
}

/// Deletes call recordings past their retention, hourly.
async fn purge_recordings(app: App) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match app.calls.purge_recordings().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "call recordings past their retention were deleted"),
            Err(e) => tracing::warn!(error = %e, "purging old call recordings failed; will retry"),
        }
    }
}

async fn follow_rules(app: App, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if let Err(e) = app.orders.load_saved_rules().await {
            tracing::warn!(error = %e, "reading the saved deadline rules failed; keeping the current ones");
        }
        if let Err(e) = app.emergency.load_rules().await {
            tracing::warn!(error = %e, "reading the emergency rules failed; keeping the current ones");
        }
    }
}

/// Waits for the signal to stop, then goes on serving for `grace` with
/// `/readyz` failing, so a load balancer moves traffic away before the
/// listener closes; requests in flight then finish before the server exits.
/// `on_stop` runs when the signal comes, before the grace period.
async fn drain(readiness: hotline_http::routes::meta::Readiness, grace: Duration, on_stop: impl std::future::Future<Output = ()>) {
    shutdown_signal().await;
    readiness.stop_taking_work();
    on_stop.await;
    if !grace.is_zero() {
        tracing::info!(seconds = grace.as_secs(), "stopping: /readyz answers 503 while the load balancer moves traffic away");
        tokio::time::sleep(grace).await;
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
