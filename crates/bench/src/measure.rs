//! Timed requests and their percentiles.

use crate::Args;
use crate::load::PASSWORD;
use hotline_app::App;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Stats {
    name: &'static str,
    latencies: Vec<Duration>,
    elapsed: Duration,
    errors: usize,
}

impl Stats {
    fn print(mut self) {
        self.latencies.sort();
        let pct = |p: f64| {
            let i = ((self.latencies.len() as f64 * p).ceil() as usize).clamp(1, self.latencies.len()) - 1;
            self.latencies[i].as_secs_f64() * 1e3
        };
        let rate = self.latencies.len() as f64 / self.elapsed.as_secs_f64();
        println!(
            "{:<28} {:>7} requests  {:>8.0} /s   p50 {:>6.2} ms   p99 {:>6.2} ms   max {:>7.2} ms   errors {}",
            self.name,
            self.latencies.len(),
            rate,
            pct(0.50),
            pct(0.99),
            pct(1.0),
            self.errors
        );
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
async fn run<F, Fut>(name: &'static str, clients: usize, total: usize, job: F) -> Stats
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
    Stats { name, latencies, elapsed: started.elapsed(), errors }
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

pub async fn all(app: &App, base: &str, args: &Args) -> anyhow::Result<()> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.clients * 2).build()?;
    let consultant = login(&client, base, "consultant").await?;
    let dispatcher = login(&client, base, "dispatcher").await?;
    let people_units = app.directory.snapshot();
    let category = people_units.categories().find(|c| c.level == 3).map(|c| c.id.to_string()).expect("category");
    let busiest = crate::load::busiest_unit(app);
    let busy_handler = login(&client, base, &format!("h_{}", busiest.1)).await?;

    // Warm up connections and caches.
    let body = json!({"channel": "phone", "type": "help", "category_id": category, "caller": {"name": "陈先生", "phone": "13812345678"},
        "location": {"town_code": "441900003"}, "subject": "基准测试：路灯不亮", "description": "基准测试工单，东城街道东纵路路灯不亮。"});
    for _ in 0..50 {
        client.post(format!("{base}/api/v1/work-orders")).bearer_auth(&consultant).json(&body).send().await?;
    }

    let created = Arc::new(std::sync::Mutex::new(Vec::with_capacity(args.creates)));
    let (c, b, t, bd, cr) = (client.clone(), base.to_owned(), consultant.clone(), body.clone(), created.clone());
    run("create (POST /work-orders)", args.clients, args.creates, move |_| {
        let (c, b, t, bd, cr) = (c.clone(), b.clone(), t.clone(), bd.clone(), cr.clone());
        async move {
            match c.post(format!("{b}/api/v1/work-orders")).bearer_auth(&t).json(&bd).send().await {
                Ok(r) if r.status() == 201 => {
                    if let Ok(v) = r.json::<Value>().await {
                        cr.lock().expect("lock").push(v["number"].as_str().unwrap_or_default().to_owned());
                    }
                    true
                }
                _ => false,
            }
        }
    })
    .await
    .print();

    let numbers: Arc<Vec<String>> = Arc::new(created.lock().expect("lock").iter().take(args.transitions).cloned().collect());
    let lead = busiest.0.to_string();
    let (c, b, d, n, l) = (client.clone(), base.to_owned(), dispatcher.clone(), numbers.clone(), lead.clone());
    run("transition: dispatch", args.clients, numbers.len(), move |i| {
        let (c, b, d, n, l) = (c.clone(), b.clone(), d.clone(), n.clone(), l.clone());
        async move {
            let body = json!({"action": "dispatch", "version": 1, "lead_unit_id": l});
            matches!(c.post(format!("{b}/api/v1/work-orders/{}/actions", n[i])).bearer_auth(&d).json(&body).send().await, Ok(r) if r.status() == 200)
        }
    })
    .await
    .print();
    let (c, b, h, n) = (client.clone(), base.to_owned(), busy_handler.clone(), numbers.clone());
    run("transition: sign_for", args.clients, numbers.len(), move |i| {
        let (c, b, h, n) = (c.clone(), b.clone(), h.clone(), n.clone());
        async move {
            let body = json!({"action": "sign_for", "version": 2});
            matches!(c.post(format!("{b}/api/v1/work-orders/{}/actions", n[i])).bearer_auth(&h).json(&body).send().await, Ok(r) if r.status() == 200)
        }
    })
    .await
    .print();

    let pending: Value =
        client.get(format!("{base}/api/v1/work-orders/pending?limit=50")).bearer_auth(&busy_handler).send().await?.json().await?;
    println!("pending list of {} ({}): {} orders waiting in total", busiest.2, busiest.1, crate::load::active_count(app, busiest.0).await?);
    anyhow::ensure!(pending["items"].as_array().map(|a| a.len()) == Some(50), "the pending list should be full: {pending}");
    run("pending list, 1 client", 1, args.lists / 5, pending_job(&client, base, &busy_handler)).await.print();
    run("pending list, 4 clients", 4, args.lists / 2, pending_job(&client, base, &busy_handler)).await.print();
    run("pending list, all clients", args.clients, args.lists, pending_job(&client, base, &busy_handler)).await.print();
    println!("stored orders at the end: {}", app.store.count_orders().await?);
    Ok(())
}
