//! `--open311-only`: partners reading Open311 over the stored orders, each
//! with its API key (so every request is counted against the key's limit
//! and audited, as in production): the busiest unit's open requests, one
//! service's requests, a partner's own closed requests deep in its list,
//! and single requests by id.

use crate::Args;
use crate::measure::run;
use hotline_app::App;
use hotline_app::access::AdminDesk;
use hotline_app::partners::NewApiKey;
use hotline_domain::ApiScope;
use hotline_domain::partner::MAX_PER_MINUTE;
use serde_json::Value;
use std::sync::Arc;

/// The path of the i-th request of a phase.
type Path = Arc<dyn Fn(usize) -> String + Send + Sync>;

/// The partner the loader marks one order in ten as submitted by.
pub const SOURCE: &str = "bench-app";

pub async fn measure(app: &App, base: &str, args: &Args) -> anyhow::Result<()> {
    let admin = AdminDesk::operator();
    let (unit, _, unit_name) = crate::load::busiest_unit(app);
    let issue = |source: &str, scopes: Vec<ApiScope>, unit| NewApiKey {
        name: format!("benchmark {source}"),
        source: source.to_owned(),
        scopes,
        unit,
        per_minute: Some(MAX_PER_MINUTE),
    };
    let unit_key = app.api_keys.create(&admin, issue("bench-unit", vec![ApiScope::Unit], Some(unit))).await?.secret;
    let own_key = app.api_keys.create(&admin, issue(SOURCE, vec![ApiScope::Submit, ApiScope::Read], None)).await?.secret;
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.clients * 2).build()?;
    let get = {
        let (client, base) = (client.clone(), base.to_owned());
        move |path: String| {
            let (client, base) = (client.clone(), base.clone());
            async move {
                match client.get(format!("{base}/open311/v2/{path}")).send().await {
                    Ok(r) if r.status().is_success() => r.json::<Value>().await.ok(),
                    _ => None,
                }
            }
        }
    };
    // What the filters ask for: a service and ids the unit really has.
    let first = get(format!("requests.json?api_key={unit_key}&page_size=100")).await.ok_or_else(|| anyhow::anyhow!("no first page"))?;
    let rows = first.as_array().cloned().unwrap_or_default();
    anyhow::ensure!(!rows.is_empty(), "the unit's first page is empty");
    let service = rows[0]["service_code"].as_str().unwrap_or_default().to_owned();
    let own = get(format!("requests.json?api_key={own_key}&page_size=100")).await.unwrap_or_default();
    let ids: Arc<Vec<String>> =
        Arc::new(own.as_array().into_iter().flatten().filter_map(|r| r["service_request_id"].as_str().map(str::to_owned)).collect());
    anyhow::ensure!(!ids.is_empty(), "the partner has no requests in the last 90 days");

    println!("\n## Open311 GET requests ({unit_name}: the unit's key; {SOURCE}: a partner's key; the default 90 days)");
    let n = args.lists;
    let phases: Vec<(String, Path)> = vec![
        (
            "unit's open requests, page of 100".into(),
            Arc::new({
                let k = unit_key.clone();
                move |_| format!("requests.json?api_key={k}&status=open&page_size=100")
            }),
        ),
        (
            "unit's requests of one service, page of 100".into(),
            Arc::new({
                let (k, s) = (unit_key.clone(), service.clone());
                move |_| format!("requests.json?api_key={k}&service_code={s}&page_size=100")
            }),
        ),
        (
            "partner's closed requests, page 5 of 50".into(),
            Arc::new({
                let k = own_key.clone();
                move |_| format!("requests.json?api_key={k}&status=closed&page=5&page_size=50")
            }),
        ),
        (
            "partner's request by id".into(),
            Arc::new({
                let (k, ids) = (own_key.clone(), ids.clone());
                move |i| format!("requests/{}.json?api_key={k}", ids[i % ids.len()])
            }),
        ),
    ];
    for (name, path) in phases {
        let get = get.clone();
        run(name, args.clients, n, move |i| {
            let (get, path) = (get.clone(), path(i));
            async move { get(path).await.is_some_and(|v| v.as_array().is_some_and(|a| !a.is_empty())) }
        })
        .await
        .print();
    }
    Ok(())
}
