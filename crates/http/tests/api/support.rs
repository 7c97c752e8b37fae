//! A real server on a random port over a fresh database (SQLite, or
//! PostgreSQL when HOTLINE_TEST_POSTGRES is set), with reference data and
//! one user per role.

#![allow(dead_code)]

use hotline_app::AppConfig;
use hotline_app::access::AdminDesk;
use hotline_app::auth::hash_password;
use hotline_app::calls::Lines;
use hotline_app::clock::SystemClock;
use hotline_app::{Adapters, App};
use hotline_blob_fs::FsBlobStore;
use hotline_domain::{Affiliation, Role, RoleSet};
use hotline_test_support::TestDb;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, OnceLock};

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub app: App,
    /// The key and checkpoints a second node shares.
    pub audit: hotline_app::audit::AuditAnchor,
    /// The model shelf a second node shares.
    pub models: Arc<dyn hotline_app::suggestions::ModelShelf>,
    _db: TestDb,
    _blobs: tempfile::TempDir,
}

/// Hashing is slow on purpose; the tests share one hash.
fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).expect("hash")).clone()
}

pub struct Response {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(AppConfig::default()).await
    }

    pub async fn spawn_with(config: AppConfig) -> Self {
        Self::spawn_with_clock(config, Arc::new(SystemClock)).await
    }

    pub async fn spawn_with_clock(config: AppConfig, clock: Arc<dyn hotline_app::clock::Clock>) -> Self {
        let db = TestDb::new().await;
        let store = Arc::new(db.store().await);
        let blobs_dir = tempfile::tempdir().expect("blob dir");
        let engine = Arc::new(hotline_search::TantivySearch::in_memory().expect("search index"));
        let audit = hotline_blob_fs::ephemeral_audit_anchor(blobs_dir.path());
        // As the server keeps them: in a PostgreSQL database, else in a directory.
        let models: Arc<dyn hotline_app::suggestions::ModelShelf> = match db.is_postgres() {
            true => store.clone(),
            false => Arc::new(hotline_blob_fs::FsModelShelf::new(blobs_dir.path().join("models"))),
        };
        let adapters = Adapters {
            store,
            blobs: Arc::new(FsBlobStore::new(blobs_dir.path())),
            search: engine,
            lines: Lines::Simulated,
            audit: audit.clone(),
            models: models.clone(),
        };
        let app = App::new(adapters, config, clock).await.expect("app");
        hotline_seed::seed_reference(&app).await.expect("reference data");
        let org = app.directory.snapshot();
        let unit = |code: &str| Affiliation::Unit(org.unit_by_code(code).unwrap_or_else(|| panic!("unit {code}")).id);
        let users: Vec<(&str, Affiliation, Role)> = vec![
            ("consultant", Affiliation::Centre, Role::Consultant),
            ("dispatcher", Affiliation::Centre, Role::Dispatcher),
            ("reviewer", Affiliation::Centre, Role::Reviewer),
            ("supervisor", Affiliation::Centre, Role::Supervisor),
            ("auditor", Affiliation::Centre, Role::Auditor),
            ("admin", Affiliation::Centre, Role::SystemAdmin),
            ("dongcheng", unit("441900003"), Role::Handler),
            ("dongcheng_admin", unit("441900003"), Role::UnitAdmin),
            ("zhushan", unit("441900003-zhushan"), Role::Handler),
            ("nancheng", unit("441900004"), Role::Handler),
            ("hrss", unit("hrss"), Role::Handler),
            ("urban", unit("urban"), Role::Handler),
            ("emergency", unit("emergency"), Role::Handler),
        ];
        for (name, affiliation, role) in users {
            app.org
                .insert_user(
                    &AdminDesk::operator(),
                    name.into(),
                    format!("{name} user"),
                    password_hash(),
                    affiliation,
                    RoleSet::new([role]),
                )
                .await
                .expect("user");
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let router = hotline_http::router(app.clone(), hotline_http::HttpConfig { max_upload_bytes: 64 * 1024, ..Default::default() });
        tokio::spawn(async move {
            axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.expect("server")
        });
        Self { base, client: reqwest::Client::new(), app, audit, models, _db: db, _blobs: blobs_dir }
    }

    /// The same application served again on another port with other HTTP
    /// settings; that server's base URL.
    pub async fn serve_with(&self, http: hotline_http::HttpConfig) -> String {
        serve(self.app.clone(), http).await
    }

    /// The attachment store the app writes to.
    pub fn blobs_dir(&self) -> std::path::PathBuf {
        self._blobs.path().to_path_buf()
    }

    pub fn blobs(&self) -> FsBlobStore {
        FsBlobStore::new(self._blobs.path())
    }

    pub async fn login(&self, username: &str) -> String {
        let r = self.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": username, "password": PASSWORD}))).await;
        assert_eq!(r.status, StatusCode::OK, "login {username}: {}", r.body);
        r.body["token"].as_str().expect("token").to_owned()
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Response {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::read(req.send().await.expect("request")).await
    }

    pub async fn read(resp: reqwest::Response) -> Response {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        Response { status, body, headers }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub fn unit_id(&self, code: &str) -> String {
        self.app.directory.snapshot().unit_by_code(code).unwrap_or_else(|| panic!("unit {code}")).id.to_string()
    }

    /// A category id from its path of names.
    pub fn category(&self, path: &str) -> String {
        let org = self.app.directory.snapshot();
        let mut parent = None;
        for name in path.split('/') {
            parent = Some(org.categories().find(|c| c.parent == parent && c.name == name).unwrap_or_else(|| panic!("category {path}")).id);
        }
        parent.expect("path").to_string()
    }

    /// A registration body for a street-light complaint in 东城街道.
    pub fn complaint(&self) -> Value {
        json!({
            "channel": "phone",
            "type": "complaint",
            "category_id": self.category("城乡建设/城市建设和市政管理/城市公共设施"),
            "caller": {"name": "陈先生", "phone": "13812345678"},
            "location": {"town_code": "441900003", "address": "东城街道东纵路88号"},
            "subject": "路灯损坏多日不亮",
            "description": "东纵路一段约三百米的路灯坏了一周多，晚上漆黑一片。"
        })
    }

    /// Registers an order and waits for its emergency screening, which runs
    /// after the answer.
    pub async fn register(&self, token: &str, body: Value) -> Value {
        let r = self.post("/api/v1/work-orders", token, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        self.app.emergency.settled().await;
        r.body
    }

    /// Another node on the same database, with its own memory and index
    /// (and the same model shelf: the database, or a directory as on a
    /// shared volume).
    pub async fn second_node(&self) -> App {
        self.node(AppConfig::default()).await
    }

    /// Another node configured by `config` (its own `node_id`, say).
    pub async fn node(&self, config: AppConfig) -> App {
        let blobs = Arc::new(FsBlobStore::new(self._blobs.path()));
        let engine = Arc::new(hotline_search::TantivySearch::in_memory().expect("search index"));
        let models = self.models.clone();
        let adapters =
            Adapters { store: self.app.store.clone(), blobs, search: engine, lines: Lines::Simulated, audit: self.audit.clone(), models };
        App::new(adapters, config, self.app.clock.clone()).await.expect("second node")
    }

    /// Takes an action on an order at its current version; returns the response.
    pub async fn act(&self, token: &str, order: &Value, mut action: Value) -> Response {
        let number = order["number"].as_str().expect("number");
        action["version"] = order["version"].clone();
        self.post(&format!("/api/v1/work-orders/{number}/actions"), token, action).await
    }

    /// Like `act`, but the action must succeed; returns the new order.
    pub async fn ok(&self, token: &str, order: &Value, action: Value) -> Value {
        let what = action["action"].clone();
        let r = self.act(token, order, action).await;
        assert_eq!(r.status, StatusCode::OK, "{what}: {}", r.body);
        r.body
    }

    /// Registers `body` and takes it through dispatch to 东城街道, handling
    /// and a passed review: the order waits for the follow-up.
    pub async fn answered(&self, body: Value) -> Value {
        let (consultant, dispatcher) = (self.login("consultant").await, self.login("dispatcher").await);
        let (reviewer, town) = (self.login("reviewer").await, self.login("dongcheng").await);
        let order = self.register(&consultant, body).await;
        let order = self.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": self.unit_id("441900003")})).await;
        let order = self.ok(&town, &order, json!({"action": "sign_for"})).await;
        let result = json!({"action": "submit_result", "result": "已更换电缆和灯具", "solved": true, "public_reply": "东纵路路灯已于今日修复，感谢您的反映。"});
        let order = self.ok(&town, &order, result).await;
        let order = self.ok(&reviewer, &order, json!({"action": "review", "pass": true})).await;
        assert_eq!(order["state"], "pending_follow_up");
        order
    }

    pub async fn count_orders(&self) -> i64 {
        self.app.store.count_orders().await.expect("count")
    }
}

/// A query-string value, every byte but letters and digits escaped.
pub fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// Serves `app` on a random port; the base URL.
pub async fn serve(app: App, http: hotline_http::HttpConfig) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let router = hotline_http::router(app, http);
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.expect("server")
    });
    base
}
