//! The `hotline` binary from the outside: its commands, and a crash.
//! Runs on SQLite, or on PostgreSQL when HOTLINE_TEST_POSTGRES is set.

use hotline_test_support::TestDb;
use serde_json::{Value, json};
use sqlx::{AnyConnection, Connection, Executor};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_hotline");

struct Env {
    db: TestDb,
    dir: tempfile::TempDir,
}

impl Env {
    async fn new() -> Self {
        Self { db: TestDb::new().await, dir: tempfile::tempdir().unwrap() }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(["--data-dir", self.dir.path().to_str().unwrap(), "--database-url", &self.db.url]).args(args);
        c.env("HOTLINE_LOG", "warn").env_remove("RUST_LOG");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run hotline")
    }

    /// `hotline user add`, with the display name made from the username.
    fn add_user(&self, username: &str, password: &str, roles: &str, unit: Option<&str>) -> Output {
        let name = format!("{username} user");
        let mut args = vec!["user", "add", "--username", username, "--display-name", &name, "--password", password, "--roles", roles];
        if let Some(unit) = unit {
            args.extend(["--unit", unit]);
        }
        self.run(&args)
    }

    fn serve(&self, port: u16) -> Child {
        self.serve_with(port, &[], Stdio::null())
    }

    /// `hotline serve` with these environment overrides, its standard
    /// output going to `stdout`.
    fn serve_with(&self, port: u16, env: &[(&str, &str)], stdout: Stdio) -> Child {
        let mut command = self.command(&["serve", "--listen", &format!("127.0.0.1:{port}")]);
        command.envs(env.iter().copied()).stdout(stdout).stderr(Stdio::null()).spawn().expect("spawn")
    }
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn wait_healthy(base: &str) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if let Ok(r) = reqwest::get(format!("{base}/healthz")).await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not come up at {base}");
}

async fn post(client: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = client.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_acknowledged_order_survives_a_crash_of_the_process() {
    let env = Env::new().await;
    let added = env.add_user("c1", "river kite plum 47", "consultant", None);
    assert!(added.status.success(), "{}", text(&added));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = env.serve(port);
    wait_healthy(&base).await;

    let client = reqwest::Client::new();
    let (_, login) =
        post(&client, format!("{base}/api/v1/auth/login"), None, json!({"username": "c1", "password": "river kite plum 47"})).await;
    let token = login["token"].as_str().unwrap().to_owned();
    let categories: Value = client.get(format!("{base}/api/v1/categories")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let leaf = categories.as_array().unwrap().iter().find(|c| c["level"] == 3).unwrap()["id"].clone();
    let body = json!({"channel": "phone", "type": "help", "category_id": leaf, "caller": {"phone": "13900001111"}, "subject": "求助", "description": "测试崩溃后数据仍在"});
    let (status, order) = post(&client, format!("{base}/api/v1/work-orders"), Some(&token), body).await;
    assert_eq!(status, 201, "{order}");

    // SIGKILL right after the acknowledgement: no shutdown, no flush.
    server.kill().unwrap();
    server.wait().unwrap();

    let mut server = env.serve(port);
    wait_healthy(&base).await;
    let (_, login) =
        post(&client, format!("{base}/api/v1/auth/login"), None, json!({"username": "c1", "password": "river kite plum 47"})).await;
    let token = login["token"].as_str().unwrap().to_owned();
    let number = order["number"].as_str().unwrap();
    let again = client.get(format!("{base}/api/v1/work-orders/{number}")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["description"], "测试崩溃后数据仍在");
    server.kill().unwrap();
    server.wait().unwrap();
    env.db.drop_database().await;
}

#[tokio::test]
async fn the_operator_commands_check_their_input_and_guard_the_audit_chain() {
    let env = Env::new().await;
    let migrated = env.run(&["migrate"]);
    assert!(migrated.status.success() && text(&migrated).contains("is migrated"), "{}", text(&migrated));

    let short = env.add_user("x", "short", "handler", Some("hrss"));
    assert!(!short.status.success() && text(&short).contains("password"), "{}", text(&short));
    let common = env.add_user("x", "password123", "handler", Some("hrss"));
    assert!(!common.status.success() && text(&common).contains("too easy to guess"), "{}", text(&common));
    let nowhere = env.add_user("x", "river kite plum 47", "handler", Some("nowhere"));
    assert!(!nowhere.status.success() && text(&nowhere).contains("--unit"), "{}", text(&nowhere));
    let mixed = env.add_user("x", "river kite plum 47", "consultant", Some("hrss"));
    assert!(!mixed.status.success() && text(&mixed).contains("roles"), "{}", text(&mixed));
    let ok = env.add_user("hrss1", "river kite plum 47", "handler", Some("hrss"));
    assert!(ok.status.success(), "{}", text(&ok));

    let year = env.dir.path().join("2027.json");
    std::fs::write(&year, r#"{"year":2027,"days":[{"name":"元旦","date":"2027-01-01","isOffDay":true}]}"#).unwrap();
    let broken = env.dir.path().join("broken.json");
    std::fs::write(&broken, r#"{"year":2027,"days":[{"name":"元旦","date":"2027-13-01","isOffDay":true}]}"#).unwrap();
    let bad = env.run(&["calendar", "import", year.to_str().unwrap(), broken.to_str().unwrap()]);
    assert!(!bad.status.success() && text(&bad).contains("broken.json"), "{}", text(&bad));
    let good = env.run(&["calendar", "import", year.to_str().unwrap()]);
    assert!(good.status.success() && text(&good).contains("1 days of 2027"), "{}", text(&good));

    let verified = env.run(&["audit", "verify"]);
    assert!(verified.status.success() && text(&verified).contains("intact"), "{}", text(&verified));
    let mut conn = AnyConnection::connect(&env.db.url).await.unwrap();
    conn.execute("UPDATE audit_log SET detail = '{\"forged\":true}' WHERE seq = 3").await.unwrap();
    conn.close().await.unwrap();
    let tampered = env.run(&["audit", "verify"]);
    assert!(!tampered.status.success() && text(&tampered).contains("BROKEN"), "{}", text(&tampered));
    env.db.drop_database().await;
}

/// The purge delays mimalloc read as the process (and each start over of
/// it) loaded, in order, from its verbose report on standard error.
fn purge_delays(o: &Output) -> Vec<String> {
    let stderr = String::from_utf8_lossy(&o.stderr);
    stderr.lines().filter_map(|l| l.split("option 'purge_delay': ").nth(1)).map(|v| v.trim().to_string()).collect()
}

#[test]
fn the_process_starts_over_once_to_give_freed_memory_back_at_once_unless_the_operator_set_a_delay() {
    let version = |env: &[(&str, &str)]| {
        let mut c = Command::new(BIN);
        c.arg("--version").env_remove("MIMALLOC_PURGE_DELAY").env("MIMALLOC_VERBOSE", "1").envs(env.iter().copied());
        let out = c.output().unwrap();
        assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).starts_with("hotline "), "{}", text(&out));
        out
    };
    let out = version(&[]);
    let delays = purge_delays(&out);
    assert_eq!(delays.len(), 2, "loaded with mimalloc's default, then once more: {delays:?}");
    assert_ne!(delays[0], "0", "mimalloc's own default keeps freed memory a while: {delays:?}");
    assert_eq!(delays[1], "0", "the process that answered purges at once: {delays:?}");
    let out = version(&[("MIMALLOC_PURGE_DELAY", "250")]);
    assert_eq!(purge_delays(&out), ["250"], "the operator's delay is kept and the process does not start over");
}

#[test]
fn a_bad_configuration_is_refused_with_the_option_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hotline.toml");
    std::fs::write(&config, "order_prefix = \"dongguan\"\n").unwrap();
    let out = Command::new(BIN).args(["--config", config.to_str().unwrap(), "migrate"]).output().unwrap();
    assert!(!out.status.success() && text(&out).contains("order_prefix"), "{}", text(&out));
    let out = Command::new(BIN).args(["--config", Path::new("/nonexistent.toml").to_str().unwrap(), "migrate"]).output().unwrap();
    assert!(!out.status.success() && text(&out).contains("does not exist"), "{}", text(&out));
}

#[tokio::test]
async fn knowledge_import_reports_bad_rows_is_idempotent_and_reindex_rebuilds() {
    let env = Env::new().await;
    let file = env.dir.path().join("articles.csv");
    std::fs::write(
        &file,
        "title,body,department,category,keywords,public\n\
         公积金提取,携带身份证办理,东莞住房公积金管理中心,城乡建设/住房保障与房地产,公积金 提取,true\n\
         ,没有标题的行,,,,false\n\
         错误部门,正文,不存在的局,,,true\n\
         中心口径,12345受理范围说明,,,,maybe\n",
    )
    .unwrap();
    let first = env.run(&["kb", "import", file.to_str().unwrap()]);
    let out = text(&first);
    assert!(first.status.success(), "{out}");
    assert!(out.contains("line 3: rejected: invalid input: title"), "{out}");
    assert!(out.contains("line 4: rejected") && out.contains("不存在的局"), "{out}");
    assert!(out.contains("line 5: rejected") && out.contains("\"maybe\" is not true or false"), "{out}");
    assert!(out.contains("1 created, 0 updated, 0 unchanged, 3 rejected"), "{out}");
    let again = text(&env.run(&["kb", "import", file.to_str().unwrap()]));
    assert!(again.contains("0 created, 0 updated, 1 unchanged, 3 rejected"), "{again}");

    let export = env.dir.path().join("out.xlsx");
    let out = text(&env.run(&["kb", "export", export.to_str().unwrap()]));
    assert!(out.contains("1 articles exported"), "{out}");
    let reimport = text(&env.run(&["kb", "import", export.to_str().unwrap()]));
    assert!(reimport.contains("0 created, 0 updated, 1 unchanged, 0 rejected"), "{reimport}");

    let reindex = env.run(&["kb", "reindex"]);
    let out = text(&reindex);
    assert!(reindex.status.success(), "{out}");
    assert!(out.contains("Articles: 1 documents indexed"), "{out}");
    let missing = text(&env.run(&["kb", "import", "/nonexistent.csv"]));
    assert!(missing.contains("/nonexistent.csv"), "{missing}");
}

#[test]
fn staffing_matches_the_erlang_references_and_names_bad_flags() {
    let run = |args: &[&str]| Command::new(BIN).arg("staffing").args(args).output().unwrap();
    let base = ["--calls", "100", "--interval-secs", "1800", "--aht-secs", "180", "--target-secs", "20"];
    let out = run(&[&base[..], &["--target-sl", "0.8", "--shrinkage", "0.3", "--json"]].concat());
    assert!(out.status.success(), "{}", text(&out));
    let c: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((c["agents"].as_u64(), c["scheduled_agents"].as_u64()), (Some(14), Some(20)));
    let near = |v: &Value, expected: f64, tolerance: f64| (v.as_f64().unwrap() - expected).abs() <= tolerance;
    assert!(near(&c["p_wait"], 0.1741319, 5e-8) && near(&c["service_level"], 0.8883500, 5e-8), "{c}");
    assert!(near(&c["asa_secs"], 7.8359, 5e-5) && near(&c["occupancy"], 0.7142857, 5e-8), "{c}");
    assert!(c.get("p_abandon").is_none());

    let out = run(&[&base[..], &["--patience-secs", "300", "--agents", "14", "--json"]].concat());
    let a: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(near(&a["p_wait"], 0.14526, 5e-6) && near(&a["p_abandon"], 0.013984, 5e-7), "{a}");
    assert!(near(&a["service_level"], 0.916792, 5e-7), "{a}");

    let human = text(&run(&[&base[..], &["--target-sl", "0.8"]].concat()));
    assert!(human.contains("agents              14 (required)"), "{human}");
    let bad = run(&["--calls=-5", "--interval-secs", "1800", "--aht-secs", "180", "--target-secs", "20", "--target-sl", "0.8"]);
    assert!(!bad.status.success());
    assert!(text(&bad).contains("--calls: must be a number of calls above 0"), "{}", text(&bad));
    let overloaded = run(&[&base[..], &["--agents", "9"]].concat());
    assert!(text(&overloaded).contains("9 agents cannot carry 10.00 Erlangs"), "{}", text(&overloaded));
    let missing = run(&base);
    assert!(text(&missing).contains("--target-sl: needed"), "{}", text(&missing));
}

#[test]
fn a_simulated_day_reports_every_hour_and_is_reproducible() {
    let run = |args: &[&str]| Command::new(BIN).arg("simulate").args(args).output().unwrap();
    let args = ["--calls-per-day", "3000", "--seats", "40", "--seed", "5", "--json"];
    let first = run(&args);
    assert!(first.status.success(), "{}", text(&first));
    let report: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(report["agents_per_hour"].as_array().unwrap().len(), 24);
    assert_eq!(report["report"]["hours"].as_array().unwrap().len(), 24);
    let total = &report["report"]["total"];
    let offered = total["offered"].as_u64().unwrap();
    assert!((2_700..3_300).contains(&offered), "about 3,000 calls offered: {offered}");
    assert_eq!(total["answered"].as_u64().unwrap() + total["abandoned"].as_u64().unwrap(), offered);
    let again: Value = serde_json::from_slice(&run(&args).stdout).unwrap();
    assert_eq!(again["report"], report["report"], "the same seed, the same day");
    let bad = run(&["--target-sl", "80"]);
    assert!(text(&bad).contains("--target-sl: must be a share between 0 and 1"), "{}", text(&bad));
}

#[test]
fn a_seat_plan_covers_the_week_and_shows_where_the_roster_falls_short() {
    let dir = tempfile::tempdir().unwrap();
    let calls = dir.path().join("calls.csv");
    let mut sheet = String::from("skill,weekday,start,calls,aht_secs\n");
    for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        for half in 0..48 {
            let busy = (16..40).contains(&half);
            sheet.push_str(&format!("general,{day},{:02}:{:02},{},180\n", half / 2, (half % 2) * 30, if busy { 100 } else { 10 }));
            if busy {
                sheet.push_str(&format!("social_security,{day},{:02}:{:02},30,300\n", half / 2, (half % 2) * 30));
            }
        }
    }
    std::fs::write(&calls, sheet).unwrap();
    let roster = dir.path().join("roster.csv");
    std::fs::write(&roster, "skill,weekday,start,agents\ngeneral,mon,09:00,5\n").unwrap();
    let out = Command::new(BIN)
        .args(["seat-plan", "--calls", calls.to_str().unwrap(), "--roster", roster.to_str().unwrap(), "--shrinkage", "0.3", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let plans = report["plans"].as_array().unwrap();
    assert_eq!(plans.iter().map(|p| p["skill"].as_str().unwrap()).collect::<Vec<_>>(), ["general", "social_security"]);
    for p in plans {
        let needs = p["needs"].as_array().unwrap();
        let coverage = p["coverage"].as_array().unwrap();
        assert_eq!(needs.len(), 336);
        assert!(needs.iter().zip(coverage).all(|(n, c)| c.as_u64() >= n["scheduled"].as_u64()), "the shifts cover every half-hour");
    }
    let short = report["shortfalls"].as_array().unwrap();
    let monday_nine = short.iter().find(|s| s["skill"] == "general" && s["slot"] == "mon 09:00").expect("Monday 09:00 is short");
    assert_eq!(monday_nine["rostered"], 5);
    assert!(monday_nine["needed"].as_u64().unwrap() > 5);

    std::fs::write(&calls, "skill,weekday,start,calls,aht_secs\ngeneral,mon,08:15,10,180\n").unwrap();
    let bad = Command::new(BIN).args(["seat-plan", "--calls", calls.to_str().unwrap()]).output().unwrap();
    assert!(text(&bad).contains("line 2: start \"08:15\" is not on a half-hour"), "{}", text(&bad));
}

#[tokio::test]
async fn a_seat_plan_from_the_stored_calls_of_the_demo() {
    let env = Env::new().await;
    let empty = env.run(&["seat-plan", "--from-db", "--json"]);
    assert!(!empty.status.success());
    assert!(text(&empty).contains("no calls were stored in the last 4 week(s)"), "{}", text(&empty));
    let seeded = env.run(&["demo", "--seed-only", "--orders", "50"]);
    assert!(seeded.status.success(), "{}", text(&seeded));
    let out = env.run(&["seat-plan", "--from-db", "--weeks", "1", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let plan = &report["plans"][0];
    assert_eq!(plan["skill"], "general", "the demo's week of calls went to the general queue");
    let needs = plan["needs"].as_array().unwrap();
    let busiest = needs.iter().map(|n| n["calls"].as_f64().unwrap()).fold(0.0, f64::max);
    assert!(busiest > 5.0, "a demo day's busiest half-hour has calls: {busiest}");
    assert!(plan["shifts"].as_u64().unwrap() > 0);
    let bad = env.run(&["seat-plan", "--from-db", "--weeks", "20"]);
    assert!(text(&bad).contains("weeks: must be between 1 and 13"), "{}", text(&bad));
    let both = env.run(&["seat-plan", "--from-db", "--calls", "x.csv"]);
    assert!(!both.status.success(), "--calls and --from-db exclude each other");
    env.db.drop_database().await;
}

#[tokio::test]
async fn an_operator_trains_the_suggestion_model_and_its_version_is_kept() {
    let env = Env::new().await;
    let migrated = env.run(&["migrate"]);
    assert!(migrated.status.success(), "{}", text(&migrated));
    let empty = env.run(&["model", "train"]);
    assert!(!empty.status.success());
    assert!(text(&empty).contains("too few orders to learn from: at least 50"), "{}", text(&empty));
    let seeded = env.run(&["demo", "--seed-only", "--orders", "200"]);
    assert!(seeded.status.success(), "{}", text(&seeded));
    let out = env.run(&["model", "train"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    let version = said.split("version ").nth(1).and_then(|r| r.split_whitespace().next()).unwrap_or_else(|| panic!("{said}")).to_owned();
    // Kept where the server looks: in a PostgreSQL database, else in the data directory.
    let bytes = if env.db.is_postgres() {
        assert!(said.contains("kept in the database"), "{said}");
        let store = env.db.store().await;
        let bytes = hotline_app::suggestions::ModelShelf::get(&store, &version).await.unwrap_or_else(|e| panic!("{e}; {said}"));
        store.close().await;
        assert!(!env.dir.path().join("models").exists(), "no directory of models beside PostgreSQL");
        bytes
    } else {
        let file = env.dir.path().join("models").join(format!("{version}.model"));
        std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}; {said}", file.display()))
    };
    assert!(bytes.starts_with(b"HLSUGG01"), "a model");
    let examples: usize = version.rsplit('-').next().unwrap().parse().unwrap();
    assert!(said.contains(&format!("trained on {examples} orders")) && examples >= 50, "{said}");

    // The same orders scored: every level of the category, and the unit.
    let scored = env.run(&["model", "evaluate", "--from-db"]);
    assert!(scored.status.success(), "{}", text(&scored));
    let report = text(&scored);
    assert!(report.contains(&format!("## Leaf categories: {examples} stored orders")), "{report}");
    assert!(report.contains("Each level, derived from the leaf suggestions") && report.contains("| 1 | "), "{report}");
    assert!(report.contains("## Lead units:") && report.contains("| baseline (TF-IDF + naive Bayes) |"), "{report}");
    let both = env.run(&["model", "evaluate", "--from-db", "--messages", "x.csv"]);
    assert!(!both.status.success() && text(&both).contains("--messages"), "{}", text(&both));
    env.db.drop_database().await;
}

#[tokio::test]
async fn an_operator_issues_rotates_and_revokes_a_partners_api_key() {
    let env = Env::new().await;
    let add = |extra: &[&str]| {
        let mut args = vec!["apikey", "add", "--name", "莞家政务 app", "--source", "wanjia-app"];
        args.extend(extra);
        env.run(&args)
    };
    let bad_scope = add(&["--scopes", "submit,write"]);
    assert!(!bad_scope.status.success() && text(&bad_scope).contains("--scopes"), "{}", text(&bad_scope));
    let bad_unit = add(&["--scopes", "unit", "--unit", "nowhere"]);
    assert!(!bad_unit.status.success() && text(&bad_unit).contains("--unit: no unit with code nowhere"), "{}", text(&bad_unit));
    let no_unit = add(&["--scopes", "unit"]);
    assert!(!no_unit.status.success() && text(&no_unit).contains("unit_id"), "{}", text(&no_unit));
    let issued = add(&["--scopes", "submit,read", "--per-minute", "30"]);
    assert!(issued.status.success(), "{}", text(&issued));
    let out = text(&issued);
    let secret = out.split_whitespace().find(|w| w.starts_with("hk_")).expect("the secret is printed").to_owned();
    let id = out.split_whitespace().nth(3).expect("the key's id").to_owned();
    let again = add(&["--scopes", "submit"]);
    assert!(!again.status.success() && text(&again).contains("another key already submits as"), "{}", text(&again));

    let listed = text(&env.run(&["apikey", "list"]));
    assert!(listed.contains("wanjia-app") && listed.contains(&secret[..9]) && listed.contains("30/min"), "{listed}");
    assert!(!listed.contains(&secret), "the list never shows a secret");

    // The key opens Open311 on the running server until it is rotated.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = env.serve(port);
    wait_healthy(&base).await;
    let services = |key: String| {
        let url = format!("{base}/open311/v2/services.json?api_key={key}");
        async move { reqwest::get(url).await.unwrap().status().as_u16() }
    };
    assert_eq!(services(secret.clone()).await, 200);
    let rotated = env.run(&["apikey", "rotate", &id]);
    assert!(rotated.status.success(), "{}", text(&rotated));
    let new_secret = text(&rotated).split_whitespace().find(|w| w.starts_with("hk_")).expect("a new secret").to_owned();
    assert_eq!(services(secret).await, 403);
    assert_eq!(services(new_secret.clone()).await, 200);
    let revoked = env.run(&["apikey", "revoke", &id]);
    assert!(revoked.status.success() && text(&revoked).contains("revoked"), "{}", text(&revoked));
    assert_eq!(services(new_secret).await, 403);
    let twice = env.run(&["apikey", "revoke", &id]);
    assert!(!twice.status.success() && text(&twice).contains("is revoked"), "{}", text(&twice));
    let missing = env.run(&["apikey", "revoke", "12345"]);
    assert!(!missing.status.success() && text(&missing).contains("no API key 12345"), "{}", text(&missing));
    server.kill().unwrap();
    server.wait().unwrap();
    env.db.drop_database().await;
}

#[test]
fn the_suggestion_model_is_evaluated_on_the_shipped_messages_beside_its_baseline() {
    let run = |args: &[&str]| Command::new(BIN).args(["model", "evaluate"]).args(args).output().unwrap();
    let out = run(&[]);
    assert!(out.status.success(), "{}", text(&out));
    let report = text(&out);
    assert!(report.contains("330 labelled examples, 7 classes"), "{report}");
    assert!(report.contains("Trained on 264 examples, tested on the 66 after"), "{report}");
    let top1 = |row: &str| -> f64 {
        let line = report.lines().find(|l| l.starts_with(row)).unwrap_or_else(|| panic!("{row} in {report}"));
        line.split('|').nth(2).unwrap().trim().trim_end_matches(" %").parse().unwrap()
    };
    let (model, baseline) = (top1("| model"), top1("| baseline"));
    assert!(model > 60.0 && baseline > 20.0, "{report}");
    let figures = |report: &str| report.lines().filter(|l| !l.starts_with("(trained")).collect::<Vec<_>>().join("\n");
    assert_eq!(figures(&report), figures(&text(&run(&[]))), "the same seed gives the same figures");
    let bad = run(&["--test-share", "1.5"]);
    assert!(!bad.status.success() && text(&bad).contains("--test-share: must be between 0 and 1"), "{}", text(&bad));
    let missing = run(&["--messages", "/nonexistent.csv"]);
    assert!(text(&missing).contains("/nonexistent.csv"), "{}", text(&missing));
}

/// Registers one order through the running server's API; its number.
async fn register_order(base: &str, username: &str, password: &str, description: &str) -> String {
    let client = reqwest::Client::new();
    let (_, login) = post(&client, format!("{base}/api/v1/auth/login"), None, json!({"username": username, "password": password})).await;
    let token = login["token"].as_str().expect("logged in").to_owned();
    let categories: Value = client.get(format!("{base}/api/v1/categories")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let leaf = categories.as_array().unwrap().iter().find(|c| c["level"] == 3).unwrap()["id"].clone();
    let body = json!({"channel": "phone", "type": "help", "category_id": leaf, "caller": {"phone": "13900001111"}, "subject": "求助", "description": description});
    let (status, order) = post(&client, format!("{base}/api/v1/work-orders"), Some(&token), body).await;
    assert_eq!(status, 201, "{order}");
    order["number"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_on_another_machine_and_a_damaged_one_is_refused() {
    let source = Env::new().await;
    let added = source.add_user("c1", "river kite plum 47", "consultant", None);
    assert!(added.status.success(), "{}", text(&added));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = source.serve(port);
    wait_healthy(&base).await;
    register_order(&base, "c1", "river kite plum 47", "备份前登记的工单").await;
    let attachment = source.dir.path().join("attachments").join("ab").join("cdef");
    std::fs::create_dir_all(attachment.parent().unwrap()).unwrap();
    std::fs::write(&attachment, "照片的字节").unwrap();

    // Taken while the server runs and has just written.
    let backups = tempfile::tempdir().unwrap();
    let dir = backups.path().join("monday");
    let dir_arg = dir.to_str().unwrap();
    let made = source.run(&["backup", "create", dir_arg]);
    assert!(made.status.success() && text(&made).contains("1 work orders, 2 users"), "{}", text(&made));
    // An order registered after the backup is not in it.
    register_order(&base, "c1", "river kite plum 47", "备份后登记的工单").await;
    server.kill().unwrap();
    server.wait().unwrap();
    let nowhere = tempfile::tempdir().unwrap();
    let empty = Command::new(BIN)
        .args(["--data-dir", nowhere.path().to_str().unwrap(), "backup", "create", backups.path().join("none").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!empty.status.success() && text(&empty).contains("there is no database at"), "{}", text(&empty));
    assert!(!backups.path().join("none").exists(), "nothing is left behind");
    let again = source.run(&["backup", "create", dir_arg]);
    assert!(!again.status.success() && text(&again).contains("is not empty"), "{}", text(&again));
    let checked = source.run(&["backup", "verify", dir_arg]);
    assert!(checked.status.success() && text(&checked).contains("checked"), "{}", text(&checked));

    // Another machine: its own database and data directory.
    let target = Env::new().await;
    let restored = target.run(&["restore", dir_arg]);
    assert!(restored.status.success(), "{}", text(&restored));
    let migrated = target.run(&["migrate"]);
    assert!(text(&migrated).contains("holds 1 work orders"), "{}", text(&migrated));
    assert_eq!(std::fs::read_to_string(target.dir.path().join("attachments/ab/cdef")).unwrap(), "照片的字节");
    assert_eq!(
        std::fs::read_to_string(target.dir.path().join("audit.key")).unwrap(),
        std::fs::read_to_string(source.dir.path().join("audit.key")).unwrap()
    );
    let verified = target.run(&["audit", "verify"]);
    assert!(verified.status.success() && text(&verified).contains("intact"), "{}", text(&verified));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut restored_server = target.serve(port);
    wait_healthy(&base).await;
    register_order(&base, "c1", "river kite plum 47", "恢复后登记的工单").await;
    // Not while the server runs.
    let busy = target.run(&["restore", "--force", dir_arg]);
    assert!(!busy.status.success() && text(&busy).contains("stop the hotline server"), "{}", text(&busy));
    restored_server.kill().unwrap();
    restored_server.wait().unwrap();

    // Work would be lost: only with --force.
    let over = target.run(&["restore", dir_arg]);
    assert!(!over.status.success() && text(&over).contains("--force"), "{}", text(&over));

    // One changed byte: named, and nothing restored from it.
    let photo = dir.join("files/attachments/ab/cdef");
    std::fs::write(&photo, "照片的字节!").unwrap();
    let damaged = target.run(&["backup", "verify", dir_arg]);
    assert!(!damaged.status.success() && text(&damaged).contains("files/attachments/ab/cdef is damaged"), "{}", text(&damaged));
    let refused = target.run(&["restore", "--force", dir_arg]);
    assert!(!refused.status.success() && text(&refused).contains("is damaged"), "{}", text(&refused));
    let migrated = target.run(&["migrate"]);
    assert!(text(&migrated).contains("holds 2 work orders"), "{}", text(&migrated));
    std::fs::write(&photo, "照片的字节").unwrap();
    let forced = target.run(&["restore", "--force", dir_arg]);
    assert!(forced.status.success(), "{}", text(&forced));
    let migrated = target.run(&["migrate"]);
    assert!(text(&migrated).contains("holds 1 work orders"), "{}", text(&migrated));
    source.db.drop_database().await;
    target.db.drop_database().await;
}

#[tokio::test]
async fn json_logs_carry_each_requests_id() {
    let env = Env::new().await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = env.serve_with(port, &[("HOTLINE_LOG_FORMAT", "json"), ("HOTLINE_LOG", "info,tower_http=debug")], Stdio::piped());
    wait_healthy(&base).await;
    let r =
        reqwest::Client::new().get(format!("{base}/api/v1/me?phone=13900001111")).header("x-request-id", "lb-7f3a").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill().unwrap();
    let output = server.wait_with_output().unwrap();
    let lines: Vec<Value> = String::from_utf8_lossy(&output.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(!lines.is_empty(), "every line is JSON: {}", String::from_utf8_lossy(&output.stdout));
    let ours: Vec<&Value> = lines.iter().filter(|l| l["span"]["request_id"] == "lb-7f3a").collect();
    assert!(!ours.is_empty(), "the request's lines carry its id: {lines:?}");
    assert!(ours.iter().all(|l| l["span"]["path"] == "/api/v1/me"), "{ours:?}");
    let everything = String::from_utf8_lossy(&output.stdout);
    assert!(!everything.contains("13900001111"), "the query string stays out of the logs");
    env.db.drop_database().await;
}

#[tokio::test]
async fn a_stopping_server_fails_readiness_while_it_drains_then_exits() {
    let env = Env::new().await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = env.serve_with(port, &[("HOTLINE_HTTP__DRAIN_SECONDS", "2")], Stdio::null());
    wait_healthy(&base).await;
    let client = reqwest::Client::new();
    assert_eq!(client.get(format!("{base}/readyz")).send().await.unwrap().status().as_u16(), 200);
    let term = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(term.success());
    let asked = Instant::now();
    let mut draining = false;
    while asked.elapsed() < Duration::from_secs(2) && !draining {
        draining = client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().as_u16() == 503);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(draining, "/readyz turns 503 as soon as the server is told to stop");
    let live = client.get(format!("{base}/livez")).send().await.expect("still serving while it drains");
    assert_eq!(live.status().as_u16(), 200);
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not stop after draining");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "a clean stop: {status:?}");
    assert!(asked.elapsed() >= Duration::from_secs(2), "it served through the drain");
    env.db.drop_database().await;
}

#[tokio::test]
async fn an_operator_partitions_the_growing_tables_by_month_and_the_server_keeps_months_ahead() {
    use chrono::{Datelike, Months, TimeZone, Utc};
    let env = Env::new().await;
    assert!(env.run(&["migrate"]).status.success());
    let none = env.run(&["partitions", "--ahead", "0"]);
    assert!(!none.status.success() && text(&none).contains("--ahead: must be at least 1"), "{}", text(&none));
    let done = env.run(&["partitions", "--ahead", "2"]);
    if !env.db.is_postgres() {
        assert!(!done.status.success() && text(&done).contains("need PostgreSQL"), "{}", text(&done));
        return;
    }
    assert!(done.status.success(), "{}", text(&done));
    let now = Utc::now();
    let month = |n: u32| Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0).unwrap().checked_add_months(Months::new(n)).unwrap();
    let listed = |ahead: u32| {
        let list = env.run(&["partitions", "--list"]);
        assert!(list.status.success(), "{}", text(&list));
        let name = format!("work_orders_{}", month(ahead).format("%Y%m"));
        text(&list).lines().any(|l| l.split_whitespace().nth(1) == Some(name.as_str()))
    };
    assert!(text(&done).contains("work_orders_before_") && listed(2) && !listed(4), "{}", text(&done));
    let again = env.run(&["partitions", "--ahead", "2"]);
    assert!(again.status.success() && text(&again).contains("0 monthly partitions made"), "{}", text(&again));

    // The server makes the months ahead it is configured for, at start.
    let port = free_port();
    let mut server = env.serve_with(port, &[("HOTLINE_DATABASE__PARTITION_MONTHS_AHEAD", "4")], Stdio::null());
    wait_healthy(&format!("http://127.0.0.1:{port}")).await;
    let start = Instant::now();
    while !listed(4) {
        assert!(start.elapsed() < Duration::from_secs(20), "the server did not make the months ahead");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    env.db.drop_database().await;
}
