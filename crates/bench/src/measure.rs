//! Timed requests and their percentiles, phase by phase.

use crate::Args;
use crate::bodies;
use crate::load::PASSWORD;
use crate::memory;
use hotline_app::App;
use hotline_seed::demo::requests::Requests;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Stats {
    name: String,
    latencies: Vec<Duration>,
    elapsed: Duration,
    errors: usize,
}

impl Stats {
    pub fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    pub fn print(mut self) -> f64 {
        let rate = self.rate();
        if self.latencies.is_empty() {
            println!("{:<44} no successful requests, errors {}", self.name, self.errors);
            return 0.0;
        }
        self.latencies.sort();
        let pct = |p: f64| {
            let i = ((self.latencies.len() as f64 * p).ceil() as usize).clamp(1, self.latencies.len()) - 1;
            self.latencies[i].as_secs_f64() * 1e3
        };
        println!(
            "{:<44} {:>7} req {:>7.0} /s   p50 {:>6.2} ms   p99 {:>7.2} ms   max {:>7.2} ms   errors {}   RSS {:>4.0} MiB",
            self.name,
            self.latencies.len(),
            rate,
            pct(0.50),
            pct(0.99),
            pct(1.0),
            self.errors,
            memory::resident_mib()
        );
        rate
    }
}

async fn login(client: &reqwest::Client, base: &str, username: &str) -> anyhow::Result<String> {
    let r: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    r["token"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("login failed: {r}"))
}

/// Runs `total` jobs on `clients` concurrent workers; `job(i)` returns whether it succeeded.
pub async fn run<F, Fut>(name: impl Into<String>, clients: usize, total: usize, job: F) -> Stats
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let job = Arc::new(job);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..clients {
        let (job, next) = (job.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                if job(i).await {
                    latencies.push(t.elapsed());
                } else {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    let mut errors = 0;
    for w in workers {
        let (l, e) = w.await.expect("worker");
        latencies.extend(l);
        errors += e;
    }
    Stats { name: name.into(), latencies, elapsed: started.elapsed(), errors }
}

/// An order as the create answered it (the answer's other fields are
/// skipped, not read into a tree).
#[derive(Clone, serde::Deserialize)]
pub struct Created {
    number: String,
    version: i64,
    state: String,
}

/// Makes the JSON of the i-th registration.
pub type Bodies = Arc<dyn Fn(usize) -> Vec<u8> + Send + Sync>;

fn encode(body: &Value) -> Vec<u8> {
    serde_json::to_vec(body).expect("a JSON value serializes")
}

/// The i-th realistic request of a seed's sequence.
fn realistic_body(requests: &Requests, seed: u64, i: usize) -> Value {
    bodies::realistic(requests, 1, seed.wrapping_mul(1_000_003).wrapping_add(i as u64)).remove(0)
}

/// Bodies made one at a time, so a long run (the soak) holds none of them.
pub fn realistic_bodies(requests: Arc<Requests>, seed: u64) -> Bodies {
    Arc::new(move |i| encode(&realistic_body(&requests, seed, i)))
}

/// `total` bodies made before the run is timed: the clients share the
/// server's two cores, and a request drawn and serialized while timed took
/// the server's time as no real caller's would (`docs/benchmarks.md`).
fn made_ahead(total: usize, body: impl Fn(usize) -> Value) -> Bodies {
    let made: Vec<Vec<u8>> = (0..total).map(|i| encode(&body(i))).collect();
    Arc::new(move |i| made[i].clone())
}

/// The server under test, and how many clients load it at once.
pub struct Target {
    pub client: reqwest::Client,
    pub base: String,
    pub clients: usize,
}

/// Registers `total` bodies; returns the timings and, with `keep`, what was created.
pub async fn creates(target: &Target, token: &str, name: String, total: usize, bodies: Bodies, keep: bool) -> (Stats, Vec<Created>) {
    let (client, base, clients) = (&target.client, &target.base, target.clients);
    let created = Arc::new(Mutex::new(Vec::new()));
    let (c, b, t, cr) = (client.clone(), base.to_owned(), token.to_owned(), created.clone());
    let stats = run(name, clients, total, move |i| {
        let (c, b, t, cr, body) = (c.clone(), b.clone(), t.clone(), cr.clone(), bodies(i));
        async move {
            let sent =
                c.post(format!("{b}/api/v1/work-orders")).bearer_auth(&t).header(CONTENT_TYPE, "application/json").body(body).send().await;
            match sent {
                Ok(r) if r.status() == 201 && keep => match r.json::<Created>().await {
                    Ok(order) => {
                        cr.lock().expect("lock").push(order);
                        true
                    }
                    Err(_) => false,
                },
                Ok(r) if r.status() == 201 => r.bytes().await.is_ok(),
                _ => false,
            }
        }
    })
    .await;
    let created = std::mem::take(&mut *created.lock().expect("lock"));
    (stats, created)
}

/// Dispatches each order waiting for dispatch to `lead`, then signs for it
/// as the lead's handler: two transitions per order.
async fn transitions(
    client: &reqwest::Client,
    base: &str,
    (dispatcher, handler): (&str, &str),
    lead: &str,
    label: &str,
    clients: usize,
    orders: Vec<Created>,
) -> (f64, f64) {
    let orders: Arc<Vec<Created>> = Arc::new(orders.into_iter().filter(|o| o.state == "pending_dispatch").collect());
    let (c, b, d, n, l) = (client.clone(), base.to_owned(), dispatcher.to_owned(), orders.clone(), lead.to_owned());
    let dispatched = run(format!("dispatch{label}"), clients, orders.len(), move |i| {
        let (c, b, d, n, l) = (c.clone(), b.clone(), d.clone(), n.clone(), l.clone());
        async move {
            let body = json!({"action": "dispatch", "version": n[i].version, "lead_unit_id": l});
            let url = format!("{b}/api/v1/work-orders/{}/actions", n[i].number);
            matches!(c.post(url).bearer_auth(&d).json(&body).send().await, Ok(r) if r.status() == 200)
        }
    })
    .await
    .print();
    let (c, b, h, n) = (client.clone(), base.to_owned(), handler.to_owned(), orders.clone());
    let signed = run(format!("sign for{label}"), clients, orders.len(), move |i| {
        let (c, b, h, n) = (c.clone(), b.clone(), h.clone(), n.clone());
        async move {
            let body = json!({"action": "sign_for", "version": n[i].version + 1});
            let url = format!("{b}/api/v1/work-orders/{}/actions", n[i].number);
            matches!(c.post(url).bearer_auth(&h).json(&body).send().await, Ok(r) if r.status() == 200)
        }
    })
    .await
    .print();
    (dispatched, signed)
}

/// One request for a unit's pending list, read to the end.
fn pending_job(
    client: &reqwest::Client,
    base: &str,
    token: &str,
) -> impl Fn(usize) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> + Send + Sync + 'static {
    let (c, b, h) = (client.clone(), base.to_owned(), token.to_owned());
    move |_| {
        let (c, b, h) = (c.clone(), b.clone(), h.clone());
        Box::pin(async move {
            match c.get(format!("{b}/api/v1/work-orders/pending?limit=50")).bearer_auth(&h).send().await {
                Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
                _ => false,
            }
        })
    }
}

/// Sends the surge's reports at a steady pace from a few clients until
/// they are all sent or `stop` is set; returns how many were registered.
fn surge_in_background(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    bodies: Vec<Value>,
    per_second: f64,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<usize> {
    let (c, b, t) = (client.clone(), base.to_owned(), token.to_owned());
    tokio::spawn(async move {
        let mut sent = 0;
        let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_second));
        for body in bodies {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            tick.tick().await;
            if matches!(c.post(format!("{b}/api/v1/work-orders")).bearer_auth(&t).json(&body).send().await, Ok(r) if r.status() == 201) {
                sent += 1;
            }
        }
        sent
    })
}

/// Alerts raised since `since`.
async fn alerts_since(app: &App, since: chrono::DateTime<chrono::Utc>) -> anyhow::Result<Vec<hotline_app::supervision::AlertRecord>> {
    use hotline_app::ports::StoreScope;
    use hotline_app::supervision::AlertQuery;
    app.emergency.settled().await;
    let mut found = Vec::new();
    let mut before = None;
    loop {
        let query = AlertQuery { scope: StoreScope::All, unread_only: false, level: None, before, limit: 1_000 };
        let page = app.store.alerts(&query).await?;
        found.extend(page.iter().filter(|a| a.raised_at >= since).cloned());
        match page.last() {
            Some(last) if page.len() == 1_000 && last.raised_at >= since => before = Some(last.id),
            _ => return Ok(found),
        }
    }
}

/// Alerts counted by what they watch (emergency linkage, surge …) and
/// level: an emergency alert's escalation, raised when nobody acknowledged
/// it in time, is told from the alert, as the runs before may leave some
/// falling due while these are counted.
fn by_kind(alerts: &[hotline_app::supervision::AlertRecord]) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for a in alerts {
        *counts.entry(format!("{} {}", a.watched.as_str(), a.level.as_str())).or_insert(0) += 1;
    }
    format!("{counts:?}")
}

pub async fn all(
    app: &App,
    base: &str,
    args: &Args,
    raw: &crate::raw::Probe,
    raw_before: Vec<f64>,
    wal: Option<crate::wal::Mark>,
    store: &hotline_store_sql::SqlStore,
) -> anyhow::Result<()> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.clients * 2).build()?;
    let target = Target { client: client.clone(), base: base.to_owned(), clients: args.clients };
    let consultant = login(&client, base, "consultant").await?;
    let dispatcher = login(&client, base, "dispatcher").await?;
    let org = app.directory.snapshot();
    let category = org.categories().find(|c| c.level == 3).map(|c| c.id.to_string()).expect("category");
    let busiest = crate::load::busiest_unit(app);
    let busy_handler = login(&client, base, &format!("h_{}", busiest.1)).await?;
    let lead = busiest.0.to_string();
    let requests = Arc::new(Requests::new(app)?);
    let n = args.creates;

    // The body the first benchmark sent: no town, so no surge check.
    let plain = json!({"channel": "phone", "type": "help", "category_id": category, "caller": {"name": "陈先生", "phone": "13812345678"},
        "subject": "基准测试：路灯不亮", "description": "基准测试工单，东城街道东纵路路灯不亮。"});
    // Warm up connections and caches.
    let same = |body: Value| -> Bodies {
        let body = encode(&body);
        Arc::new(move |_| body.clone())
    };
    creates(&target, &consultant, "warm-up".into(), 200, same(plain.clone()), false).await;

    println!("\n## without a surge");
    let (stats, _) = creates(&target, &consultant, "create, short text, no town".into(), n, same(plain), false).await;
    let short = stats.print();
    // The same realistic requests with the town left out: no surge check.
    let townless = |seed: u64| -> Bodies {
        made_ahead(n, |i| {
            let mut body = realistic_body(&requests, seed, i);
            body["location"]["town_code"] = Value::Null;
            body
        })
    };
    let (stats, _) = creates(&target, &consultant, "create, realistic, no town".into(), n, townless(50), false).await;
    let no_town_before = stats.print();
    analyze_grown(store).await?;
    let mut realistic = Vec::new();
    let mut thirds = Vec::new();
    let realistic_since = app.clock.now();
    for part in 0..3 {
        let bodies = made_ahead(n / 3, |i| realistic_body(&requests, 100 + part, i));
        let (stats, created) = creates(&target, &consultant, format!("create, realistic ({} of 3)", part + 1), n / 3, bodies, true).await;
        thirds.push(stats.print());
        realistic.extend(created);
    }
    let realistic_rate = thirds.iter().sum::<f64>() / 3.0;
    // Only the alerts about these orders: the screening of the run before
    // may still be catching up when they start (on SQLite, whose writer is
    // busier), and its alerts, raised meanwhile, are not these orders'.
    let numbers: std::collections::HashSet<&str> = realistic.iter().map(|c| c.number.as_str()).collect();
    let (about_these, earlier): (Vec<_>, Vec<_>) = alerts_since(app, realistic_since)
        .await?
        .into_iter()
        .partition(|a| a.number.as_ref().is_some_and(|n| numbers.contains(n.as_str())));
    println!("alerts raised about the realistic creates: {}; meanwhile about earlier orders: {}", by_kind(&about_these), by_kind(&earlier));
    let (dispatch, sign) = transitions(&client, base, (&dispatcher, &busy_handler), &lead, "", args.clients, realistic).await;
    let list = run("pending list, all clients", args.clients, args.lists, pending_job(&client, base, &busy_handler)).await.print();
    run("pending list, 1 client", 1, args.lists / 5, pending_job(&client, base, &busy_handler)).await.print();

    analyze_grown(store).await?;
    println!(
        "\n## during a surge: {} reports of one flooded street in one town, sent at {}/s alongside",
        args.surge_orders, args.surge_per_second
    );
    let categories: Vec<String> = org.categories().filter(|c| c.level == 3).take(4).map(|c| c.id.to_string()).collect();
    let since = app.clock.now();
    let stop = Arc::new(AtomicBool::new(false));
    let surge = surge_in_background(
        &client,
        base,
        &consultant,
        bodies::surge(&requests, &categories, args.surge_orders, 9),
        args.surge_per_second,
        stop.clone(),
    );
    let bodies = made_ahead(n, |i| realistic_body(&requests, 200, i));
    let (stats, created) = creates(&target, &consultant, "create, realistic, during the surge".into(), n, bodies, true).await;
    let surge_creates = stats.print();
    let (surge_dispatch, surge_sign) =
        transitions(&client, base, (&dispatcher, &busy_handler), &lead, ", during the surge", args.clients, created).await;
    let surge_list =
        run("pending list, all clients, during the surge", args.clients, args.lists, pending_job(&client, base, &busy_handler))
            .await
            .print();
    stop.store(true, Ordering::Relaxed);
    let sent = surge.await?;
    let alerts = alerts_since(app, since).await?;
    let about_the_flood: Vec<_> = alerts.iter().filter(|a| a.order_subject.as_deref() == Some(bodies::SURGE_SUBJECT)).cloned().collect();
    println!(
        "surge reports registered: {sent}; alerts about them: {} (every report matches the 内涝 linkage rule); alerts meanwhile in all: {}",
        by_kind(&about_the_flood),
        by_kind(&alerts)
    );

    analyze_grown(store).await?;
    // Creates without towns again, on the database as the surge left it: the
    // surge's creates are measured 12,000 to 24,000 orders after the first
    // run without towns, and every create slows as the database grows, so
    // the surge is compared with the mean of the runs before and after it.
    let (stats, _) = creates(&target, &consultant, "create, realistic, no town, after the surge".into(), n, townless(250), false).await;
    let no_town_after = stats.print();
    let no_town = (no_town_before + no_town_after) / 2.0;

    // Measured again now that the API's runs are over: on a shared machine
    // the database's own speed can move by half between the two, so the
    // ratio is read against the median of all six runs.
    let raw_after = raw.rates().await?;
    println!("raw single-row inserts again, after the runs: {}", crate::raw::describe(&raw_after));
    let mut all_raw: Vec<f64> = raw_before.iter().chain(&raw_after).copied().collect();
    all_raw.sort_by(f64::total_cmp);
    let raw_rate = crate::raw::median(&all_raw);

    println!("\n## summary");
    println!(
        "raw single-row inserts of the database: {raw_rate:.0} /s (median of six runs; before the API's runs {:.0}, after {:.0})",
        crate::raw::median(&raw_before),
        crate::raw::median(&raw_after)
    );
    println!(
        "creates: short text {short:.0} /s; realistic without towns {no_town:.0} /s (mean of {no_town_before:.0} before and {no_town_after:.0} after the surge), with towns {realistic_rate:.0} /s (thirds {:.0} / {:.0} / {:.0}), during the surge {surge_creates:.0} /s",
        thirds[0], thirds[1], thirds[2]
    );
    println!(
        "with towns during the surge / without towns: {:.0} % (against the run before alone {:.0} %, after alone {:.0} %); realistic creates with towns / raw inserts: {:.0} %",
        100.0 * surge_creates / no_town,
        100.0 * surge_creates / no_town_before,
        100.0 * surge_creates / no_town_after,
        100.0 * realistic_rate / raw_rate
    );
    println!(
        "transitions / realistic creates: dispatch {:.0} %, sign for {:.0} % (during the surge {:.0} %, {:.0} %)",
        100.0 * dispatch / realistic_rate,
        100.0 * sign / realistic_rate,
        100.0 * surge_dispatch / surge_creates,
        100.0 * surge_sign / surge_creates
    );
    println!("pending list, all clients: {list:.0} /s, during the surge {surge_list:.0} /s");
    if let Some(wal) = wal {
        println!("{}", wal.describe().await?);
    }
    println!(
        "memory: resident {:.0} MiB, peak {:.0} MiB; stored orders at the end: {}",
        memory::resident_mib(),
        memory::peak_mib(),
        app.store.count_orders().await?
    );
    Ok(())
}

/// PostgreSQL plans each connection's foreign-key checks once and keeps
/// the plan until the table's statistics change. The bulk load leaves
/// `alerts` empty (its orders' past alerts are not loaded), so the checks
/// of `alert_orders` against it were planned as scans of a table of a few
/// rows and kept while it grew to thousands in seconds: 24,775 scans
/// reading 91 million rows in one run. Each phase stands for hours of a
/// centre, over which autovacuum would analyze the growing tables many
/// times; this does it between phases, outside the timed runs.
async fn analyze_grown(store: &hotline_store_sql::SqlStore) -> anyhow::Result<()> {
    if store.backend() == hotline_store_sql::Backend::Postgres {
        store.analyze().await?;
    }
    Ok(())
}

/// Registers `total` realistic orders in rounds of a tenth, printing the
/// rate and the resident memory after each, once the hot topics have taken
/// the round's orders in: memory that keeps rising under a steady load is
/// a leak or an unbounded cache.
pub async fn soak(app: &App, base: &str, args: &Args, total: usize, sqlite_file: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.clients * 2).build()?;
    let target = Target { client: client.clone(), base: base.to_owned(), clients: args.clients };
    let consultant = login(&client, base, "consultant").await?;
    let requests = Arc::new(Requests::new(app)?);
    let round = (total / 10).max(1);
    let wal = sqlite_file.map(|f| f.with_extension("db-wal"));
    println!(
        "round  registered   rate /s   resident MiB   of it anonymous   Rust heap MiB   glibc MiB   WAL MiB   resident median / max   heap median / max"
    );
    let mut registered = 0;
    for r in 0..10 {
        let bodies = realistic_bodies(requests.clone(), 1_000 + r as u64);
        let (stats, _) = creates(&target, &consultant, format!("round {}", r + 1), round, bodies, false).await;
        registered += stats.latencies.len();
        // Read once the hot topics hold the round's orders and their surge
        // pass has run over them, as the server's refreshes do within a
        // minute: a round of the soak is shorter, and the first reading
        // would otherwise leave them out. Two refreshes' time, so that a
        // pass begun before the round ended is followed by one that sees it.
        app.topics.recent_reports().await?;
        let sampler = crate::settling::Sampler::start();
        tokio::time::sleep(std::time::Duration::from_secs(2 * u64::from(app.topics.config.refresh_seconds))).await;
        let wal_mib = wal.as_ref().and_then(|w| std::fs::metadata(w).ok()).map_or(0.0, |m| m.len() as f64 / 1_048_576.0);
        let (resident, heap) = sampler.stop();
        println!(
            "{:>5}  {registered:>10}   {:>7.0}   {:>12.0}   {:>15.0}   {:>13.0}   {:>9.0}   {wal_mib:>7.1}   {:>12.0} / {:>6.0}   {:>10.0} / {:>4.0}",
            r + 1,
            stats.rate(),
            memory::resident_mib(),
            memory::anonymous_mib(),
            crate::heap_mib(),
            memory::glibc_mib(),
            resident.median,
            resident.max,
            heap.median,
            heap.max
        );
    }
    println!("peak resident {:.0} MiB", memory::peak_mib());
    Ok(())
}
