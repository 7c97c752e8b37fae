//! Open311 GeoReport v2 and partners' API keys: every endpoint in JSON
//! (checked against the GeoReport v2 schemas) and XML (read back with a
//! standard XML parser), every error in the specification's format, keys
//! scoped, limited, rotated, revoked and audited, a request followed from
//! submission to closure.

use crate::support::{TestApp, urlencode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/open311");

/// Fails with every violation unless `value` fits the schema in `open311/<name>.json`.
fn conforms(name: &str, value: &Value) {
    let text = std::fs::read_to_string(format!("{SCHEMAS}/{name}.json")).expect("schema file");
    let schema: Value = serde_json::from_str(&text).expect("schema parses");
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(value).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{value:#}");
}

struct Raw {
    status: StatusCode,
    content_type: String,
    text: String,
}

impl Raw {
    fn json(&self) -> Value {
        assert!(self.content_type.starts_with("application/json"), "{} {}", self.content_type, self.text);
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    /// The document, parsed by a standard XML parser.
    fn xml(&self) -> roxmltree::Document<'_> {
        assert!(self.content_type.starts_with("text/xml"), "{} {}", self.content_type, self.text);
        roxmltree::Document::parse(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }
}

async fn open311(t: &TestApp, method: Method, path: &str, form: Option<&str>) -> Raw {
    let mut req = t.client.request(method, format!("{}/open311/v2/{path}", t.base));
    if let Some(form) = form {
        req = req.header("content-type", "application/x-www-form-urlencoded").body(form.to_owned());
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let content_type = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    Raw { status, content_type, text: resp.text().await.expect("body") }
}

async fn get(t: &TestApp, path: &str) -> Raw {
    open311(t, Method::GET, path, None).await
}

/// Issues a key as the system administrator; returns its id and secret.
async fn issue(t: &TestApp, body: Value) -> (String, String) {
    let admin = t.login("admin").await;
    let r = t.post("/api/v1/api-keys", &admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    (r.body["key"]["id"].as_str().unwrap().to_owned(), r.body["secret"].as_str().unwrap().to_owned())
}

fn text_of<'a>(node: roxmltree::Node<'a, 'a>, path: &[&str]) -> Option<&'a str> {
    let mut current = node;
    for name in path {
        current = current.children().find(|c| c.has_tag_name(*name))?;
    }
    current.text()
}

/// The code of the street-light service.
fn street_lights(t: &TestApp) -> String {
    t.category("城乡建设/城市建设和市政管理/城市公共设施")
}

fn submission(t: &TestApp, key: &str) -> String {
    format!(
        "api_key={key}&jurisdiction_id=dongguan.gov.cn&service_code={}&lat=23.0207&long=113.7518&address_string={}\
         &first_name={}&last_name={}&phone=13923456789&description={}&media_url={}\
         &attribute[type]=complaint&attribute[town]=441900003&attribute[people_affected]=300\
         &attribute[occurred_at]={}&attribute[privacy][]=confidential&email=&device_id=",
        street_lights(t),
        urlencode("东纵路88号"),
        urlencode("先生"),
        urlencode("李"),
        urlencode("东纵路路灯坏了一周，晚上很黑。请致电13923456789。"),
        urlencode("https://img.example.cn/lamp.jpg"),
        urlencode("2026-11-20T19:30:00+08:00"),
    )
}

#[tokio::test]
async fn discovery_services_and_definitions_conform_in_both_formats() {
    let t = TestApp::spawn().await;
    let discovery = get(&t, "discovery.json").await;
    assert_eq!(discovery.status, StatusCode::OK, "{}", discovery.text);
    let d = discovery.json();
    conforms("discovery", &d);
    assert_eq!(d["endpoints"][0]["url"], format!("{}/open311/v2/", t.base));
    let xml = get(&t, "discovery.xml").await;
    let doc = xml.xml();
    let formats: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("format")).filter_map(|n| n.text()).collect();
    assert_eq!(formats, vec!["text/xml", "application/json"]);

    let services = get(&t, "services.json").await.json();
    conforms("services", &services);
    let list = services.as_array().unwrap();
    let code = street_lights(&t);
    let lights = list.iter().find(|s| s["service_code"] == code.as_str()).expect("street lights offered");
    assert_eq!((lights["group"].as_str(), lights["metadata"].as_bool()), (Some("城乡建设"), Some(true)));
    assert!(lights["keywords"].as_str().unwrap().contains("城市建设和市政管理"), "{lights}");
    // Only leaves are services: a level-1 category with children is not one.
    let groups = t.category("城乡建设");
    assert!(list.iter().all(|s| s["service_code"] != groups.as_str()));

    let xml = get(&t, "services.xml").await;
    let doc = xml.xml();
    assert_eq!(doc.root_element().tag_name().name(), "services");
    let xml_codes: Vec<&str> = doc.root_element().children().filter_map(|s| text_of(s, &["service_code"])).collect();
    let json_codes: Vec<&str> = list.iter().map(|s| s["service_code"].as_str().unwrap()).collect();
    assert_eq!(xml_codes, json_codes, "both formats list the same services");

    let definition = get(&t, &format!("services/{code}.json")).await.json();
    conforms("service-definition", &definition);
    let datatypes: Vec<&str> = definition["attributes"].as_array().unwrap().iter().map(|a| a["datatype"].as_str().unwrap()).collect();
    for datatype in ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"] {
        assert!(datatypes.contains(&datatype), "{datatype} missing from {datatypes:?}");
    }
    let town = &definition["attributes"].as_array().unwrap().iter().find(|a| a["code"] == "town").unwrap()["values"];
    assert!(town.as_array().unwrap().iter().any(|v| v["key"] == "441900003" && v["name"] == "东城街道"), "{town}");
    let xml = get(&t, &format!("services/{code}.xml")).await;
    let doc = xml.xml();
    assert_eq!(doc.root_element().tag_name().name(), "service_definition");
    let keys: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("key")).filter_map(|n| n.text()).collect();
    assert!(keys.contains(&"complaint") && keys.contains(&"confidential"), "{keys:?}");
}

#[tokio::test]
async fn errors_come_in_the_specified_format_with_their_status() {
    let t = TestApp::spawn().await;
    let cases: Vec<(Raw, StatusCode, &str)> = vec![
        (get(&t, "services/999.json").await, StatusCode::NOT_FOUND, "no service with code 999"),
        (get(&t, "services/lights.json").await, StatusCode::NOT_FOUND, "no service with code"),
        (get(&t, "requests/DG20260101000001.json").await, StatusCode::NOT_FOUND, "no request DG20260101000001"),
        (get(&t, "requests/nonsense.json").await, StatusCode::NOT_FOUND, "no request nonsense"),
        (get(&t, "discovery.json?jurisdiction_id=shenzhen.gov.cn").await, StatusCode::NOT_FOUND, "is not served here"),
        (get(&t, "requests.json?status=pending").await, StatusCode::BAD_REQUEST, "status"),
        (get(&t, "requests.json?start_date=2026-01-01&end_date=2026-12-01").await, StatusCode::BAD_REQUEST, "at most 90 days apart"),
        (get(&t, "requests.json?start_date=yesterday").await, StatusCode::BAD_REQUEST, "start_date"),
        (get(&t, "requests.json?page_size=5000").await, StatusCode::BAD_REQUEST, "page_size"),
        (get(&t, "requests.json?page=0").await, StatusCode::BAD_REQUEST, "pages count from 1"),
        (get(&t, "requests.json?api_key=hk_0000").await, StatusCode::FORBIDDEN, "api_key is not valid"),
        (get(&t, "tokens/abc.json").await, StatusCode::FORBIDDEN, "tokens are looked up with the api_key"),
        (get(&t, "nothing.json").await, StatusCode::NOT_FOUND, "no nothing"),
        (open311(&t, Method::POST, "requests.json", Some("service_code=1")).await, StatusCode::FORBIDDEN, "api_key is required"),
        (open311(&t, Method::POST, "services.json", None).await, StatusCode::METHOD_NOT_ALLOWED, "takes GET"),
        (get(&t, "services.csv").await, StatusCode::NOT_FOUND, "ask for .json or .xml"),
    ];
    for (raw, status, says) in &cases {
        assert_eq!(raw.status, *status, "{}", raw.text);
        let body = raw.json();
        conforms("errors", &body);
        assert_eq!(body[0]["code"], status.as_u16(), "{body}");
        assert!(body[0]["description"].as_str().unwrap().contains(says), "{says:?} not in {body}");
    }
    let xml = get(&t, "services/999.xml").await;
    assert_eq!(xml.status, StatusCode::NOT_FOUND);
    let doc = xml.xml();
    let error = doc.root_element();
    assert_eq!(error.tag_name().name(), "errors");
    let first = error.children().find(|n| n.has_tag_name("error")).expect("an error element");
    assert_eq!(text_of(first, &["code"]), Some("404"));
    assert!(text_of(first, &["description"]).unwrap().contains("999"));
}

#[tokio::test]
async fn a_partner_submits_follows_its_request_to_closure_and_sees_no_personal_data() {
    let t = TestApp::spawn().await;
    let (_, key) =
        issue(&t, json!({"name": "莞家政务 app", "source": "wanjia-app", "scopes": ["submit", "read"], "per_minute": 100})).await;
    let before = t.count_orders().await;
    let posted = open311(&t, Method::POST, "requests.json", Some(&submission(&t, &key))).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.text);
    let accepted = posted.json();
    conforms("post-request", &accepted);
    let id = accepted[0]["service_request_id"].as_str().unwrap().to_owned();
    let token = accepted[0]["token"].as_str().unwrap().to_owned();
    assert!(accepted[0]["service_notice"].as_str().unwrap().contains(&id));
    assert_eq!(t.count_orders().await, before + 1);
    t.app.emergency.settled().await;

    // The centre sees an order of the API channel with everything submitted.
    let dispatcher = t.login("dispatcher").await;
    let order = t.get(&format!("/api/v1/work-orders/{id}"), &dispatcher).await.body;
    assert_eq!(
        (order["channel"].as_str(), order["type"].as_str(), order["state"].as_str()),
        (Some("api"), Some("complaint"), Some("pending_dispatch"))
    );
    assert_eq!(order["caller"]["name"], "李先生");
    assert_eq!(order["caller"]["confidential"], true);
    assert_eq!(order["media_url"], "https://img.example.cn/lamp.jpg");
    assert_eq!(order["external_ref"], json!({"source": "wanjia-app", "number": token}));
    assert_eq!(order["location"]["town"]["code"], "441900003");
    let description = order["description"].as_str().unwrap();
    assert!(description.contains("发生时间：2026-11-20 19:30") && description.contains("受影响人数：约300人"), "{description}");

    // The partner follows it: by token, by id, in its list; in both formats.
    let by_token = get(&t, &format!("tokens/{token}.json?api_key={key}")).await.json();
    conforms("token", &by_token);
    assert_eq!(by_token[0]["service_request_id"], id.as_str());
    let single = get(&t, &format!("requests/{id}.json?api_key={key}")).await;
    assert_eq!(single.status, StatusCode::OK, "{}", single.text);
    let single = single.json();
    conforms("requests", &single);
    let r = &single[0];
    assert_eq!((r["status"].as_str(), r["status_notes"].as_str()), (Some("open"), Some("待派单")));
    assert_eq!((r["lat"].as_f64(), r["long"].as_f64()), (Some(23.0207), Some(113.7518)));
    assert_eq!(r["media_url"], "https://img.example.cn/lamp.jpg");
    assert_eq!(r["address"], "东城街道东纵路88号");
    assert!(r["expected_datetime"].as_str().unwrap().ends_with("+08:00"), "{r}");
    assert!(r["requested_datetime"].as_str().unwrap().ends_with("+08:00"), "{r}");
    let text = single.to_string();
    for private in ["13923456789", "李先生"] {
        assert!(!text.contains(private), "{private} in {text}");
    }
    let listed = get(&t, &format!("requests.json?api_key={key}&service_code={}&status=open", street_lights(&t))).await.json();
    conforms("requests", &listed);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(get(&t, &format!("requests.json?api_key={key}&status=closed")).await.json(), json!([]));
    let xml = get(&t, &format!("requests/{id}.xml?api_key={key}")).await;
    let doc = xml.xml();
    let request = doc.root_element().children().find(|n| n.has_tag_name("request")).expect("request element");
    assert_eq!(text_of(request, &["service_request_id"]), Some(id.as_str()));
    assert_eq!(text_of(request, &["status"]), Some("open"));
    // Without a key the request is followed by its id, but its text and
    // place stay with the partner until a reply is published; a
    // confidential caller's is not found at all.
    let anonymous = get(&t, &format!("requests/{id}.json")).await;
    assert_eq!(anonymous.status, StatusCode::NOT_FOUND, "{}", anonymous.text);

    // Handled, reviewed and published, followed up: closed, with the reply.
    let (town, reviewer) = (t.login("dongcheng").await, t.login("reviewer").await);
    let order = t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": t.unit_id("441900003")})).await;
    let dispatched = get(&t, &format!("requests/{id}.json?api_key={key}")).await.json();
    assert_eq!(dispatched[0]["agency_responsible"], "东城街道");
    let order = t.ok(&town, &order, json!({"action": "sign_for"})).await;
    let order = t
        .ok(
            &town,
            &order,
            json!({"action": "submit_result", "result": "已更换灯具", "solved": true, "public_reply": "路灯已修复，李先生已确认"}),
        )
        .await;
    let order = t.ok(&reviewer, &order, json!({"action": "review", "pass": true, "publish": false})).await;
    t.ok(
        &reviewer,
        &order,
        json!({"action": "follow_up", "contacted": true, "satisfaction": "satisfied", "solved": true, "outcome": "archive"}),
    )
    .await;
    let closed = get(&t, &format!("requests/{id}.json?api_key={key}")).await.json();
    conforms("requests", &closed);
    assert_eq!(closed[0]["status"], "closed");
    assert_eq!(closed[0]["status_notes"], "已归档：路灯已修复，李**已确认");
    assert!(closed[0]["expected_datetime"].is_null());
    let listed = get(&t, &format!("requests.json?api_key={key}&status=closed")).await.json();
    assert_eq!(listed[0]["service_request_id"], id.as_str());
}

#[tokio::test]
async fn bad_submissions_name_the_field_and_create_nothing() {
    let t = TestApp::spawn().await;
    let (_, key) = issue(&t, json!({"name": "app", "source": "app", "scopes": ["submit"]})).await;
    let (_, reader) = issue(&t, json!({"name": "reader", "source": "reader", "scopes": ["read"]})).await;
    let code = street_lights(&t);
    let base = format!("api_key={key}&service_code={code}&attribute[type]=help&description=x");
    let before = t.count_orders().await;
    let cases = vec![
        (format!("api_key={key}&attribute[type]=help&lat=23&long=113"), StatusCode::BAD_REQUEST, "service_code: is required"),
        (format!("{base}&service_code=7&lat=23&long=113"), StatusCode::BAD_REQUEST, "service_code: is given twice"),
        (
            format!("api_key={key}&service_code=12&lat=23&long=113&attribute[type]=help"),
            StatusCode::BAD_REQUEST,
            "service_code: no service with code 12",
        ),
        (base.clone(), StatusCode::BAD_REQUEST, "give the place"),
        (format!("{base}&lat=23"), StatusCode::BAD_REQUEST, "both lat and long"),
        (format!("{base}&lat=123&long=113"), StatusCode::BAD_REQUEST, "lat: must be between -90 and 90"),
        (format!("{base}&address_id=A-17"), StatusCode::BAD_REQUEST, "no address registry"),
        (format!("{base}&lat=23&long=113&phone=12345"), StatusCode::BAD_REQUEST, "phone:"),
        (format!("{base}&lat=23&long=113&media_url=ftp://x/y"), StatusCode::BAD_REQUEST, "media_url"),
        (format!("{base}&lat=23&long=113&attribute[colour]=red"), StatusCode::BAD_REQUEST, "attribute[colour]: no such attribute"),
        (
            format!("{base}&lat=23&long=113&attribute[town]=999"),
            StatusCode::BAD_REQUEST,
            "attribute[town]: \"999\" is not one of its values",
        ),
        (format!("{base}&lat=23&long=113&attribute[people_affected]=many"), StatusCode::BAD_REQUEST, "attribute[people_affected]"),
        (format!("{base}&lat=23&long=113&attribute[occurred_at]=yesterday"), StatusCode::BAD_REQUEST, "attribute[occurred_at]"),
        (format!("api_key={key}&service_code={code}&lat=23&long=113"), StatusCode::BAD_REQUEST, "attribute[type]: is required"),
        (
            format!("api_key={key}&service_code={code}&lat=23&long=113&attribute[type]=other"),
            StatusCode::BAD_REQUEST,
            "\"other\" is not one of its values",
        ),
        (
            format!("api_key={key}&service_code={code}&attribute[type]=help&lat=23&long=113&description={}", "长".repeat(4001)),
            StatusCode::BAD_REQUEST,
            "at most 4000 characters",
        ),
        (
            format!("api_key={reader}&service_code={code}&attribute[type]=help&lat=23&long=113"),
            StatusCode::FORBIDDEN,
            "lacks the submit scope",
        ),
    ];
    for (form, status, says) in cases {
        let r = open311(&t, Method::POST, "requests.json", Some(&form)).await;
        assert_eq!(r.status, status, "{form}: {}", r.text);
        let body = r.json();
        conforms("errors", &body);
        let all: Vec<&str> = body.as_array().unwrap().iter().map(|e| e["description"].as_str().unwrap()).collect();
        assert!(all.iter().any(|d| d.contains(says)), "{says:?} not in {all:?} for {}", form.chars().take(200).collect::<String>());
    }
    let json_body = t
        .client
        .post(format!("{}/open311/v2/requests.json", t.base))
        .header("content-type", "application/json")
        .body(format!(r#"{{"api_key":"{key}"}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(t.count_orders().await, before, "no refused submission left an order");
}

#[tokio::test]
async fn keys_are_issued_scoped_limited_rotated_revoked_and_every_use_audited() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let dispatcher = t.login("dispatcher").await;
    // Only a system administrator manages keys; bad keys are named.
    let denied = t.post("/api/v1/api-keys", &dispatcher, json!({"name": "x", "source": "x", "scopes": ["submit"]})).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let bad = t.post("/api/v1/api-keys", &admin, json!({"name": " ", "source": "Bad Source", "scopes": [], "per_minute": 0})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let fields: Vec<&str> = bad.body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["name", "source", "scopes", "per_minute"]);
    let both = t
        .post("/api/v1/api-keys", &admin, json!({"name": "x", "source": "x", "scopes": ["read", "unit"], "unit_id": t.unit_id("urban")}))
        .await;
    assert!(both.body["message"].as_str().unwrap().contains("two different views"), "{}", both.body);
    let no_unit = t.post("/api/v1/api-keys", &admin, json!({"name": "x", "source": "x", "scopes": ["unit"]})).await;
    assert_eq!(no_unit.body["fields"][0]["field"], "unit_id", "{}", no_unit.body);

    let (id, secret) = issue(
        &t,
        json!({"name": "城管案件系统", "source": "urban-cases", "scopes": ["unit"], "unit_id": t.unit_id("urban"), "per_minute": 3}),
    )
    .await;
    let dup = t.post("/api/v1/api-keys", &admin, json!({"name": "y", "source": "urban-cases", "scopes": ["submit"]})).await;
    assert_eq!((dup.status, dup.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("source")), "{}", dup.body);
    let listed = t.get("/api/v1/api-keys", &admin).await.body;
    assert!(!listed.to_string().contains(&secret), "the secret is never listed");
    assert_eq!(listed[0]["hint"].as_str().unwrap(), &secret[..9]);

    // The unit's key reads the orders dispatched to the unit, nothing else.
    let order = t.register(&dispatcher, t.complaint()).await;
    let number = order["number"].as_str().unwrap().to_owned();
    let unseen = get(&t, &format!("requests/{number}.json?api_key={secret}")).await;
    assert_eq!(unseen.status, StatusCode::NOT_FOUND, "{}", unseen.text);
    t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": t.unit_id("urban")})).await;
    let seen = get(&t, &format!("requests/{number}.json?api_key={secret}")).await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.text);
    assert_eq!(seen.json()[0]["agency_responsible"], "市城市管理和综合执法局");
    // The header works as the parameter does; the fourth use in a minute is refused.
    let by_header = t.client.get(format!("{}/open311/v2/requests.json", t.base)).header("x-api-key", &secret).send().await.unwrap();
    assert_eq!(by_header.status(), StatusCode::OK, "{}", by_header.text().await.unwrap());
    let limited = get(&t, &format!("requests.json?api_key={secret}")).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{}", limited.text);
    assert!(limited.json()[0]["description"].as_str().unwrap().contains("3 requests a minute"));

    // Every use is in the audit log, under the key.
    let audit = t.get("/api/v1/audit?limit=50", &t.login("auditor").await).await.body;
    let uses = audit["items"]
        .as_array()
        .or(audit.as_array())
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "apikey.use" && e["target"] == format!("apikey:{id}"))
        .count();
    assert_eq!(uses, 3, "{audit}");

    // Rotated: the old secret stops at once; revoked: the new one too.
    let rotated = t.post(&format!("/api/v1/api-keys/{id}/rotate"), &admin, json!({})).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let new_secret = rotated.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert_eq!(get(&t, &format!("requests.json?api_key={secret}")).await.status, StatusCode::FORBIDDEN);
    // The new secret is the same key: its minute's uses are spent already.
    assert_eq!(get(&t, &format!("services.json?api_key={new_secret}")).await.status, StatusCode::TOO_MANY_REQUESTS);
    let revoked = t.post(&format!("/api/v1/api-keys/{id}/revoke"), &admin, json!({})).await;
    assert!(revoked.body["revoked_at"].is_string(), "{}", revoked.body);
    assert_eq!(get(&t, &format!("services.json?api_key={new_secret}")).await.status, StatusCode::FORBIDDEN);
    let again = t.post(&format!("/api/v1/api-keys/{id}/revoke"), &admin, json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_retried_submission_with_its_idempotency_key_is_one_request() {
    let t = TestApp::spawn().await;
    let (_, key) = issue(&t, json!({"name": "app", "source": "app", "scopes": ["submit", "read"]})).await;
    let form = submission(&t, &key);
    let send = || {
        t.client
            .post(format!("{}/open311/v2/requests.json", t.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("idempotency-key", "case-2026-0001")
            .body(form.clone())
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let before = t.count_orders().await;
    let second: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(first[0]["service_request_id"], second[0]["service_request_id"], "{first} {second}");
    assert_eq!(first[0]["token"], second[0]["token"]);
    assert_eq!(t.count_orders().await, before);
}

#[tokio::test]
async fn without_a_key_only_published_replies_are_read_and_never_the_place() {
    let t = TestApp::spawn().await;
    let (dispatcher, town, reviewer) = (t.login("dispatcher").await, t.login("dongcheng").await, t.login("reviewer").await);
    let archive = |publish: bool| {
        let (t, dispatcher, town, reviewer) = (&t, dispatcher.clone(), town.clone(), reviewer.clone());
        async move {
            let order = t.register(&dispatcher, t.complaint()).await;
            let order = t.ok(&dispatcher, &order, json!({"action": "dispatch", "lead_unit_id": t.unit_id("441900003")})).await;
            let order = t.ok(&town, &order, json!({"action": "sign_for"})).await;
            let order = t
                .ok(
                    &town,
                    &order,
                    json!({"action": "submit_result", "result": "已修复", "solved": true, "public_reply": "路灯已修复，陈先生请放心"}),
                )
                .await;
            let order = t.ok(&reviewer, &order, json!({"action": "review", "pass": true, "publish": publish})).await;
            t.ok(
                &reviewer,
                &order,
                json!({"action": "follow_up", "contacted": true, "satisfaction": "satisfied", "solved": true, "outcome": "archive"}),
            )
            .await
        }
    };
    let published = archive(true).await;
    let kept = archive(false).await;
    let open = t.register(&dispatcher, t.complaint()).await;
    let listed = get(&t, "requests.json").await.json();
    conforms("requests", &listed);
    let ids: Vec<&str> = listed.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![published["number"].as_str().unwrap()], "{listed}");
    let r = &listed[0];
    assert_eq!((r["address"].as_str(), r["lat"].is_null(), r["status"].as_str()), (Some("东城街道"), true, Some("closed")));
    assert_eq!(r["status_notes"], "已归档：路灯已修复，陈**请放心");
    assert!(!listed.to_string().contains("东纵路88号"));
    assert_eq!(get(&t, "requests.json?status=open").await.json(), json!([]));
    // By its id anyone follows a request, without its text until it is published.
    for (order, status) in [(&kept, "closed"), (&open, "open")] {
        let r = get(&t, &format!("requests/{}.json", order["number"].as_str().unwrap())).await.json();
        conforms("requests", &r);
        assert_eq!(r[0]["status"], status);
        assert_eq!((r[0]["description"].is_null(), r[0]["address"].as_str()), (true, Some("东城街道")), "{r}");
        assert!(!r.to_string().contains("路灯已修复") && !r.to_string().contains("东纵路"), "{r}");
    }
    assert_eq!(get(&t, &format!("requests/{}.json", kept["number"].as_str().unwrap())).await.json()[0]["status_notes"], "已归档");
    // A report is never found without a key.
    let mut report = t.complaint();
    report["type"] = json!("report");
    let report = t.register(&dispatcher, report).await;
    assert_eq!(get(&t, &format!("requests/{}.json", report["number"].as_str().unwrap())).await.status, StatusCode::NOT_FOUND);
    // Asking for several ids answers those found and skips the rest.
    let both = format!("{},{}", published["number"].as_str().unwrap(), kept["number"].as_str().unwrap());
    let both = format!("{both},{}", report["number"].as_str().unwrap());
    let picked = get(&t, &format!("requests.json?service_request_id={both}")).await.json();
    assert_eq!(picked.as_array().unwrap().len(), 2, "{picked}");
    // Pages: one per page, the second is empty.
    assert_eq!(get(&t, "requests.json?page_size=1&page=1").await.json().as_array().unwrap().len(), 1);
    assert_eq!(get(&t, "requests.json?page_size=1&page=2").await.json(), json!([]));
}

#[tokio::test]
async fn a_burst_of_requests_with_one_key_gets_exactly_its_limit_and_each_use_is_audited_once() {
    let t = TestApp::spawn().await;
    let (id, key) = issue(&t, json!({"name": "app", "source": "burst", "scopes": ["read"], "per_minute": 5})).await;
    let burst = (0..30).map(|_| {
        let (client, url) = (t.client.clone(), format!("{}/open311/v2/services.json?api_key={key}", t.base));
        async move { client.get(url).send().await.expect("request").status() }
    });
    let statuses = futures_util::future::join_all(burst).await;
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let limited = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((ok, limited), (5, 25), "{statuses:?}");
    let audit = t.get("/api/v1/audit?limit=100", &t.login("auditor").await).await.body;
    let uses =
        audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "apikey.use" && e["target"] == format!("apikey:{id}")).count();
    assert_eq!(uses, 5, "refused requests are not audited");
}
