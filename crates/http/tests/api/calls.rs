//! The call centre end to end: the consultant's desk over WebSocket against
//! the switchboard and the in-process telephony, call records, callbacks,
//! figures and consultants' records.

use crate::support::TestApp;
use futures_util::{SinkExt, StreamExt};
use hotline_app::AppConfig;
use hotline_app::calls::CallCentreConfig;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn spawn() -> TestApp {
    let callcentre = CallCentreConfig {
        max_no_answer: 1,
        wrap_up_secs: 0,
        transfer_timeout_secs: 3,
        short_abandon_secs: 0,
        recording_retention_days: 2,
        ..CallCentreConfig::default()
    };
    TestApp::spawn_with(AppConfig { callcentre, ..AppConfig::default() }).await
}

async fn user_id(t: &TestApp, username: &str) -> String {
    t.app.store.user_by_name(username).await.unwrap().expect("user").id.to_string()
}

async fn basic_training(t: &TestApp, admin: &str, username: &str) {
    let user = user_id(t, username).await;
    let body = json!({"kind": "basic", "course": "岗前培训", "completed_on": "2026-01-05", "passed": true});
    let r = t.post(&format!("/api/v1/consultants/{user}/trainings"), admin, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn connect(t: &TestApp, token: &str) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("{}/api/v1/desk", t.base.replace("http://", "ws://")).into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(request).await.map(|(socket, _)| socket)
}

/// The next message of the given type, skipping others (status echoes …).
async fn next(socket: &mut Socket, kind: &str) -> Value {
    let wait = async {
        loop {
            let message = socket.next().await.expect("socket open").expect("message");
            if let Message::Text(text) = message {
                let value: Value = serde_json::from_str(&text).expect("json");
                if value["type"] == kind {
                    return value;
                }
                assert_ne!(value["type"], "error", "while waiting for {kind}: {value}");
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait).await.unwrap_or_else(|_| panic!("no {kind} message within 10 s"))
}

async fn send(socket: &mut Socket, command: Value) {
    socket.send(Message::Text(command.to_string().into())).await.expect("send");
}

/// Sends a command and returns its ack or error.
async fn command(socket: &mut Socket, command: Value) -> Value {
    send(socket, command).await;
    let wait = async {
        loop {
            if let Some(Ok(Message::Text(text))) = socket.next().await {
                let value: Value = serde_json::from_str(&text).expect("json");
                if value["type"] == "ack" || value["type"] == "error" {
                    return value;
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait).await.expect("an answer")
}

async fn place_call(t: &TestApp, admin: &str, queue: &str, caller: &str) -> String {
    let r = t.post("/api/v1/callcentre/simulator/calls", admin, json!({"queue": queue, "caller": caller})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body["call"].as_str().unwrap().to_owned()
}

/// A call record, once the switchboard's writer stored it.
async fn stored_call(t: &TestApp, token: &str, call: &str) -> Value {
    for _ in 0..100 {
        let r = t.get(&format!("/api/v1/callcentre/calls/{call}"), token).await;
        if r.status == StatusCode::OK {
            return r.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("call {call} was never stored");
}

/// The trained consultant at their desk, available, in conversation with
/// a caller of the general queue: the desk's socket and the call's id.
async fn talking_at_desk(t: &TestApp, admin: &str, consultant: &str) -> (Socket, String) {
    basic_training(t, admin, "consultant").await;
    let mut desk = connect(t, consultant).await.expect("desk");
    next(&mut desk, "hello").await;
    command(&mut desk, json!({"type": "status", "status": "available"})).await;
    let call = place_call(t, admin, "general", "13800138000").await;
    next(&mut desk, "offered").await;
    command(&mut desk, json!({"type": "accept", "call": call})).await;
    next(&mut desk, "connected").await;
    (desk, call)
}

#[tokio::test]
async fn a_desk_reloaded_mid_call_finds_its_call_again_and_can_hang_it_up() {
    let t = spawn().await;
    let (admin, consultant, supervisor) = (t.login("admin").await, t.login("consultant").await, t.login("supervisor").await);
    let (mut desk, call) = talking_at_desk(&t, &admin, &consultant).await;

    // The page reloads: the socket closes and a new one opens within the grace.
    desk.close(None).await.unwrap();
    let mut desk = connect(&t, &consultant).await.expect("desk again");
    next(&mut desk, "hello").await;
    assert_eq!(next(&mut desk, "connected").await["call"], call.as_str(), "the reopened desk is told its call");
    let board = t.get("/api/v1/callcentre/wallboard", &supervisor).await;
    assert_eq!(board.body["agents"][0]["state"], "talking", "{}", board.body);
    let ack = command(&mut desk, json!({"type": "hang_up", "call": call})).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(next(&mut desk, "ended").await["outcome"], "answered");
}

#[tokio::test]
async fn a_caller_handed_over_to_110_talks_with_both_and_the_order_is_registered_as_handed_over() {
    let t = spawn().await;
    let (admin, consultant, supervisor) = (t.login("admin").await, t.login("consultant").await, t.login("supervisor").await);
    let (mut desk, call) = talking_at_desk(&t, &admin, &consultant).await;

    // One click on the desk: the three-way call with 110 first, then the order.
    let ack = command(&mut desk, json!({"type": "transfer", "call": call, "to": "110", "mode": "conference"})).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let joined = next(&mut desk, "transfer_connected").await;
    assert_eq!((joined["to"].as_str(), joined["mode"].as_str()), (Some("110"), Some("conference")));
    let mut order = t.complaint();
    order["subject"] = json!("东城街道出租屋内有人持刀威胁");
    order["call_id"] = json!(call);
    order["direct_answer"] = json!("已通过三方通话将您的诉求转110处置。");
    let order = t.register(&consultant, order).await;
    assert_eq!(order["state"], "archived", "answered by the hand-over, nothing left to dispatch: {order}");

    let ack = command(&mut desk, json!({"type": "hang_up", "call": call})).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(next(&mut desk, "ended").await["outcome"], "answered");
    let record = stored_call(&t, &supervisor, &call).await;
    assert_eq!(record["transfers"], json!([{"to": "110", "result": "connected"}]), "{record}");
    assert_eq!(record["order"], order["id"], "the call's record leads to the order");
}

#[tokio::test]
async fn a_call_flows_from_the_simulator_through_the_desk_to_its_record() {
    let t = spawn().await;
    let (admin, consultant, supervisor) = (t.login("admin").await, t.login("consultant").await, t.login("supervisor").await);

    // Without a passed basic training the desk stays shut, and a plain GET
    // (what the browser asks, as it hides why a WebSocket failed) says why.
    let refused = connect(&t, &consultant).await.expect_err("refused");
    assert!(refused.to_string().contains("403"), "{refused}");
    let why = t.get("/api/v1/desk", &consultant).await;
    assert_eq!(why.status, StatusCode::FORBIDDEN);
    assert!(why.body["message"].as_str().unwrap().contains("basic training"), "{}", why.body);
    basic_training(&t, &admin, "consultant").await;
    assert_eq!(t.call(Method::GET, "/api/v1/desk", Some(&consultant), None).await.status, StatusCode::NO_CONTENT);

    // A past order of the caller, for the screen pop.
    let mut earlier = t.complaint();
    earlier["caller"]["phone"] = json!("13800138000");
    let earlier = t.register(&consultant, earlier).await;

    let mut desk = connect(&t, &consultant).await.expect("desk");
    let hello = next(&mut desk, "hello").await;
    assert_eq!(hello["skills"], json!({"general": 5}));
    assert!(hello["sub_centres"].as_array().unwrap().iter().any(|h| h["number"] == "12366"), "{hello}");
    assert_eq!(hello["emergency_numbers"], json!(["110", "119", "120", "122"]));
    assert_eq!(command(&mut desk, json!({"type": "status", "status": "available"})).await["type"], "ack");

    let call = place_call(&t, &admin, "general", "13800138000").await;
    let offered = next(&mut desk, "offered").await;
    assert_eq!((offered["call"].as_str(), offered["caller"].as_str()), (Some(call.as_str()), Some("13800138000")));
    assert_eq!(offered["history"]["orders"][0]["number"], earlier["number"], "the caller's past order pops up: {offered}");
    assert_eq!(offered["history"]["open"], 1);
    assert_eq!(command(&mut desk, json!({"type": "accept", "call": call})).await["type"], "ack");
    next(&mut desk, "connected").await;
    // Registered while the caller is on the line: the call's record, written
    // when it ends, links it without anyone asking.
    let mut during = t.complaint();
    during["call_id"] = json!(call);
    let during = t.register(&consultant, during).await;

    // 12366 is busy: the consultant is told what to advise and keeps the caller.
    let line = t.call(Method::PUT, "/api/v1/callcentre/simulator/lines/12366", Some(&admin), Some(json!({"behaviour": "busy"}))).await;
    assert_eq!(line.status, StatusCode::NO_CONTENT);
    let ack = command(&mut desk, json!({"type": "transfer", "call": call, "to": "12366", "mode": "blind"})).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let failed = next(&mut desk, "transfer_failed").await;
    assert_eq!(failed["result"], "busy");
    assert!(failed["advice"].as_str().unwrap().contains("直接拨打 12366"), "{failed}");
    // Neither a sub-centre nor an emergency service: refused with the numbers that are.
    let wrong = command(&mut desk, json!({"type": "transfer", "call": call, "to": "12399", "mode": "blind"})).await;
    assert_eq!((wrong["type"].as_str(), wrong["code"].as_str()), (Some("error"), Some("invalid")));
    let why = wrong["message"].as_str().unwrap();
    assert!(why.contains("12366") && why.contains("110"), "{wrong}");

    // Now it answers: an attended transfer ends the call for the centre.
    t.call(Method::PUT, "/api/v1/callcentre/simulator/lines/12366", Some(&admin), Some(json!({"behaviour": "answers"}))).await;
    command(&mut desk, json!({"type": "transfer", "call": call, "to": "12366", "mode": "attended"})).await;
    assert_eq!(next(&mut desk, "transfer_connected").await["to"], "12366");
    assert_eq!(next(&mut desk, "ended").await["outcome"], "transferred");
    let record = stored_call(&t, &supervisor, &call).await;
    assert_eq!(record["outcome"], "transferred");
    assert_eq!((record["transfer_to"].as_str(), record["transfer_result"].as_str()), (Some("12366"), Some("connected")));
    assert_eq!(
        record["transfers"],
        json!([{"to": "12366", "result": "busy"}, {"to": "12366", "result": "connected"}]),
        "the busy attempt stays on the record beside the one that connected"
    );
    assert_eq!(record["agent"], user_id(&t, "consultant").await);
    assert_eq!(record["order"], during["id"], "{record}");

    // A second matter of the call registered after it ended keeps the first
    // link; the consultant may point the record at it instead.
    let mut complaint = t.complaint();
    complaint["subject"] = json!("投诉12366纳税服务热线长期占线");
    complaint["call_id"] = json!(call);
    let complaint = t.register(&consultant, complaint).await;
    assert_eq!(stored_call(&t, &supervisor, &call).await["order"], during["id"]);
    let link = t.post(&format!("/api/v1/callcentre/calls/{call}/order"), &consultant, json!({"number": complaint["number"]})).await;
    assert_eq!(link.status, StatusCode::NO_CONTENT, "{}", link.body);
    assert_eq!(stored_call(&t, &supervisor, &call).await["order"], complaint["id"]);

    // A second call: declined, so the agent (one miss allowed) is paused;
    // the caller hangs up waiting and is to be called back.
    let second = place_call(&t, &admin, "general", "13900139000").await;
    let offered = next(&mut desk, "offered").await;
    assert_eq!(offered["call"], second.as_str());
    assert_eq!(offered["history"]["orders"], json!([]));
    command(&mut desk, json!({"type": "reject", "call": second})).await;
    let paused = next(&mut desk, "status").await;
    assert_eq!((paused["status"].as_str(), paused["reason"].as_str()), (Some("on_break"), Some("1 offers unanswered")));
    let hang_up = t.post(&format!("/api/v1/callcentre/simulator/calls/{second}/hang-up"), &admin, json!({})).await;
    assert_eq!(hang_up.status, StatusCode::NO_CONTENT, "{}", hang_up.body);
    assert_eq!(stored_call(&t, &supervisor, &second).await["outcome"], "abandoned");
    let tasks = t.get("/api/v1/callcentre/callbacks", &consultant).await;
    assert_eq!(tasks.body.as_array().unwrap().iter().filter(|c| c["call"] == second.as_str()).count(), 1, "{}", tasks.body);
    let done = t.post(&format!("/api/v1/callcentre/callbacks/{second}/done"), &consultant, json!({"note": "已回拨并解答"})).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    let again = t.post(&format!("/api/v1/callcentre/callbacks/{second}/done"), &consultant, json!({"note": "x"})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // A desk may only hang up its own conversation.
    let bad = command(&mut desk, json!({"type": "hang_up", "call": second})).await;
    assert_eq!(bad["code"], "conflict", "{bad}");
    let garbage = command(&mut desk, json!({"type": "dance"})).await;
    assert_eq!(garbage["code"], "invalid");

    // The wallboard shows the agent and the queues; the figures count today's calls.
    let board = t.get("/api/v1/callcentre/wallboard", &supervisor).await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.body);
    assert!(board.body["queues"].as_array().unwrap().iter().any(|q| q["name"] == "12333"), "a queue per professional seat");
    assert_eq!(board.body["agents"][0]["status"], "on_break");
    assert_eq!((board.body["today"]["answered"].as_u64(), board.body["today"]["abandoned"].as_u64()), (Some(1), Some(1)));
    // The simulator has neither phones nor trunks: the lines say so, not "none registered".
    assert_eq!(board.body["lines"], serde_json::json!({ "phones_registered": null, "trunks": [] }));
    assert_eq!(board.body["agents"][0]["phone_registered"], serde_json::Value::Null);
    let figures = t.get("/api/v1/callcentre/figures?by=queue", &supervisor).await;
    assert_eq!(figures.status, StatusCode::OK, "{}", figures.body);
    assert_eq!(figures.body[0]["key"], "general");
    assert_eq!(figures.body[0]["offered"], 2);
    assert_eq!(figures.body[0]["connection_rate"], 0.5);
    // Simulated calls carry no sound: no score, rather than a zero; none was taken over.
    let row = &figures.body[0];
    assert_eq!(
        (&row["measured"], &row["mean_mos"], &row["poor_calls"], &row["taken_over"]),
        (&json!(0), &json!(null), &json!(0), &json!(0))
    );
    let agents = t.get("/api/v1/callcentre/figures?by=agent", &supervisor).await;
    assert!(agents.body[0]["occupancy"].as_f64().is_some_and(|o| o > 0.0 && o <= 1.0), "{}", agents.body);
    // The seat plan from this week's two calls: the half-hours they came in
    // need agents, and the shifts cover every half-hour's roster.
    let plan = t.get("/api/v1/callcentre/seat-plan?weeks=1&shrinkage=0.25&shift_hours=4", &supervisor).await;
    assert_eq!(plan.status, StatusCode::OK, "{}", plan.body);
    let general = plan.body["plans"].as_array().unwrap().iter().find(|p| p["skill"] == "general").expect("a plan for the general seats");
    let needs = general["needs"].as_array().unwrap();
    assert_eq!(needs.len(), 7 * 48);
    assert_eq!(needs.iter().map(|n| n["calls"].as_f64().unwrap()).sum::<f64>(), 2.0);
    let coverage = general["coverage"].as_array().unwrap();
    for (need, covered) in needs.iter().zip(coverage) {
        let (agents, scheduled) = (need["agents"].as_u64().unwrap(), need["scheduled"].as_u64().unwrap());
        assert_eq!(agents > 0, need["calls"].as_f64().unwrap() > 0.0, "{need}");
        assert!(scheduled >= agents && covered.as_u64().unwrap() >= scheduled, "{need} covered by {covered}");
    }
    assert!(general["shifts"].as_u64().unwrap() >= 1);
    let changes = t.get("/api/v1/callcentre/status-changes", &supervisor).await;
    let kinds: Vec<&str> = changes.body.as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["available", "on_break"], "{}", changes.body);

    // A manager puts the paused consultant back to ready (置闲); the desk hears it.
    let agent = user_id(&t, "consultant").await;
    let path = format!("/api/v1/callcentre/agents/{agent}/status");
    let set = t.call(Method::PUT, &path, Some(&supervisor), Some(json!({"status": "available"}))).await;
    assert_eq!(set.status, StatusCode::NO_CONTENT, "{}", set.body);
    assert_eq!(next(&mut desk, "status").await["status"], "available");
    let board = t.get("/api/v1/callcentre/wallboard", &supervisor).await;
    assert_eq!(board.body["agents"][0]["status"], "available");
    let no_reason = t.call(Method::PUT, &path, Some(&supervisor), Some(json!({"status": "on_break"}))).await;
    assert_eq!((no_reason.status, &no_reason.body["fields"][0]["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("reason")));
    let logout = t.call(Method::PUT, &path, Some(&supervisor), Some(json!({"status": "logged_out"}))).await;
    assert_eq!(logout.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", logout.body);
    assert_eq!(t.call(Method::PUT, &path, Some(&consultant), Some(json!({"status": "available"}))).await.status, StatusCode::FORBIDDEN);
    let away = format!("/api/v1/callcentre/agents/{}/status", user_id(&t, "dispatcher").await);
    assert_eq!(t.call(Method::PUT, &away, Some(&supervisor), Some(json!({"status": "available"}))).await.status, StatusCode::NOT_FOUND);
    t.app.auditor.seal_all().await.unwrap();
    let audit = t.get("/api/v1/audit?limit=50", &t.login("auditor").await).await;
    assert!(audit.body["items"].as_array().unwrap().iter().any(|e| e["action"] == "callcentre.set_status"), "{}", audit.body);

    // Closing the desk logs the agent out.
    desk.close(None).await.unwrap();
    for _ in 0..100 {
        let board = t.get("/api/v1/callcentre/wallboard", &supervisor).await;
        if board.body["agents"] == json!([]) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the agent stayed on the wallboard after closing the desk");
}

#[tokio::test]
async fn professional_skills_come_only_with_certification() {
    let t = spawn().await;
    let (admin, supervisor) = (t.login("admin").await, t.login("supervisor").await);
    let consultant = user_id(&t, "consultant").await;
    let certify = |level: u64| json!({"skill": "12333", "level": level, "certified_on": "2026-03-01", "expires_on": "2028-03-01"});
    let path = format!("/api/v1/consultants/{consultant}/certifications");
    let untrained = t.post(&path, &supervisor, certify(7)).await;
    assert_eq!(untrained.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", untrained.body);
    assert!(untrained.body["message"].as_str().unwrap().contains("basic training"), "{}", untrained.body);
    basic_training(&t, &admin, "consultant").await;
    let training =
        json!({"kind": "professional", "skill": "12333", "course": "人社专业坐席培训", "completed_on": "2026-02-20", "passed": true});
    let r = t.post(&format!("/api/v1/consultants/{consultant}/trainings"), &supervisor, training).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["skills_today"], json!({"general": 5}), "trained is not yet certified");
    let r = t.post(&path, &supervisor, certify(7)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["skills_today"], json!({"general": 5, "12333": 7}));

    let unknown = t.post(&path, &supervisor, json!({"skill": "12366", "level": 5, "certified_on": "2026-03-01"})).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.body["message"].as_str().unwrap().contains("not a professional seat"), "{}", unknown.body);
    let level = t.post(&path, &supervisor, certify(11)).await;
    assert_eq!(level.status, StatusCode::UNPROCESSABLE_ENTITY);
    let not_consultant =
        t.post(&format!("/api/v1/consultants/{}/certifications", user_id(&t, "dispatcher").await), &supervisor, certify(7)).await;
    assert_eq!(not_consultant.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", not_consultant.body);

    // Mentors: trained, not themselves; the pairing shows on the record.
    let mentor_path = |user: &str| format!("/api/v1/consultants/{user}/mentor");
    let me = t.call(Method::PUT, &mentor_path(&consultant), Some(&supervisor), Some(json!({"mentor": consultant}))).await;
    assert_eq!(me.status, StatusCode::UNPROCESSABLE_ENTITY);
    let admin_user = user_id(&t, "admin").await;
    let r = t.call(Method::PUT, &mentor_path(&admin_user), Some(&supervisor), Some(json!({"mentor": consultant}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "an administrator is no consultant: {}", r.body);
    let list = t.get("/api/v1/consultants", &supervisor).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1, "{}", list.body);
    assert_eq!(list.body[0]["certifications"][0]["level"], 7);

    // Desks of a certified consultant take the professional queue.
    let token = t.login("consultant").await;
    let mut desk = connect(&t, &token).await.expect("desk");
    assert_eq!(next(&mut desk, "hello").await["skills"]["12333"], 7);
    command(&mut desk, json!({"type": "status", "status": "available"})).await;
    let call = place_call(&t, &admin, "12333", "13700137000").await;
    assert_eq!(next(&mut desk, "offered").await["queue"], "12333");
    command(&mut desk, json!({"type": "accept", "call": call})).await;
    next(&mut desk, "connected").await;
    assert_eq!(command(&mut desk, json!({"type": "hang_up", "call": call})).await["type"], "ack");
    assert_eq!(next(&mut desk, "ended").await["outcome"], "answered");
}

#[tokio::test]
async fn call_centre_records_are_for_the_centre_roles_and_inputs_are_checked() {
    let t = spawn().await;
    let (consultant, handler, supervisor, admin) =
        (t.login("consultant").await, t.login("dongcheng").await, t.login("supervisor").await, t.login("admin").await);
    assert_eq!(t.get("/api/v1/callcentre/calls", &consultant).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get("/api/v1/callcentre/calls", &handler).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get("/api/v1/callcentre/wallboard", &handler).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get("/api/v1/consultants", &consultant).await.status, StatusCode::FORBIDDEN);
    let own = t.get(&format!("/api/v1/consultants/{}", user_id(&t, "consultant").await), &consultant).await;
    assert_eq!(own.status, StatusCode::OK, "a consultant reads their own record: {}", own.body);
    assert!(connect(&t, &handler).await.expect_err("a handler has no desk").to_string().contains("403"));
    let simulate = t.post("/api/v1/callcentre/simulator/calls", &consultant, json!({"queue": "general", "caller": "1"})).await;
    assert_eq!(simulate.status, StatusCode::FORBIDDEN);

    let bad = t.get("/api/v1/callcentre/figures?by=week", &supervisor).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["fields"][0]["field"], "by");
    let bad = t.get("/api/v1/callcentre/calls?from=yesterday", &supervisor).await;
    assert_eq!(bad.body["fields"][0]["field"], "from");
    let bad = t.get("/api/v1/callcentre/calls?from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z", &supervisor).await;
    assert!(
        bad.body["message"].as_str().unwrap_or_default().contains("93 days") || bad.body.to_string().contains("93 days"),
        "{}",
        bad.body
    );
    let queue = t.post("/api/v1/callcentre/simulator/calls", &admin, json!({"queue": "nowhere", "caller": "13800138000"})).await;
    assert_eq!(queue.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(queue.body["fields"][0]["field"], "queue");
    // Staffing: the Erlang C reference, and each bad input named.
    let base = "/api/v1/callcentre/staffing?calls=100&interval_secs=1800&aht_secs=180&target_secs=20";
    let c = t.get(&format!("{base}&target_sl=0.8&shrinkage=0.3"), &supervisor).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    assert_eq!((c.body["agents"].as_u64(), c.body["scheduled_agents"].as_u64()), (Some(14), Some(20)));
    assert!((c.body["service_level"].as_f64().unwrap() - 0.88835).abs() < 5e-6, "{}", c.body);
    assert!((c.body["load"].as_f64().unwrap() - 10.0).abs() < 1e-9, "{}", c.body);
    let a = t.get(&format!("{base}&patience_secs=300&agents=14"), &admin).await;
    assert!((a.body["p_abandon"].as_f64().unwrap() - 0.013984).abs() < 5e-7, "{}", a.body);
    assert_eq!(t.get(&format!("{base}&target_sl=0.8"), &consultant).await.status, StatusCode::FORBIDDEN);
    for (query, field) in [
        ("calls=lots&aht_secs=180&target_sl=0.8", "calls"),
        ("aht_secs=180&target_sl=0.8", "calls"),
        ("calls=100&aht_secs=180", "target_sl"),
        ("calls=100&aht_secs=180&target_sl=80", "target_sl"),
        ("calls=100&aht_secs=180&agents=9", "agents"),
        ("calls=100&aht_secs=180&agents=20&shrinkage=1", "shrinkage"),
    ] {
        let bad = t.get(&format!("/api/v1/callcentre/staffing?{query}"), &supervisor).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {}", bad.body);
        assert_eq!(bad.body["fields"][0]["field"], field, "{query}: {}", bad.body);
    }
    for (query, field) in
        [("weeks=20", "weeks"), ("shift_hours=0", "shift_hours"), ("target_sl=2", "target_sl"), ("patience_secs=-1", "patience_secs")]
    {
        let bad = t.get(&format!("/api/v1/callcentre/seat-plan?{query}"), &supervisor).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {}", bad.body);
        assert_eq!(bad.body["fields"][0]["field"], field, "{query}: {}", bad.body);
    }
    assert_eq!(t.get("/api/v1/callcentre/seat-plan", &consultant).await.status, StatusCode::FORBIDDEN);
    let missing = t.get("/api/v1/callcentre/calls/12345", &supervisor).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let pop = t.get("/api/v1/callcentre/screen-pop?caller=withheld", &consultant).await;
    assert_eq!(pop.body["recognised"], false);
    let pop = t.get("/api/v1/callcentre/screen-pop", &consultant).await;
    assert_eq!(pop.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The wallboard's live feed: server-sent events.
    let response = t.client.get(format!("{}/api/v1/callcentre/wallboard/stream", t.base)).bearer_auth(&supervisor).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut stream = response.bytes_stream();
    let first = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.expect("an event").unwrap().unwrap();
    let text = String::from_utf8_lossy(&first);
    assert!(text.contains("event: wallboard") && text.contains("\"queues\""), "{text}");
    // In the shape `GET …/wallboard` documents (the screen reads both).
    let data: serde_json::Value = serde_json::from_str(text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap()).unwrap();
    let got = t.get("/api/v1/callcentre/wallboard", &supervisor).await.body;
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&data), keys(&got));
    assert_eq!(keys(&data["today"]), keys(&got["today"]));
    assert_eq!(data["queues"][0]["name"], got["queues"][0]["name"]);
}

#[tokio::test]
async fn the_simulator_places_poisson_calls_into_the_queues() {
    let start = chrono::Utc::now();
    let clock = std::sync::Arc::new(hotline_app::clock::ManualClock::new(start));
    let t = TestApp::spawn_with_clock(AppConfig::default(), clock.clone()).await;
    let supervisor = t.login("supervisor").await;
    let load = hotline_app::calls::Load {
        per_hour: 36_000.0,
        queues: vec![("general".into(), 3.0), ("12333".into(), 1.0)],
        mean_talk: Duration::from_secs(60),
        mean_patience: Duration::from_secs(600),
    };
    // The first 1.5 s of the load, placed at once: the arrivals are the
    // generator's own, only no wall clock is waited on.
    let mut elapsed = Duration::ZERO;
    let mut placed = std::collections::HashMap::<String, u64>::new();
    for arrival in hotline_app::calls::Arrivals::new(load, 7) {
        elapsed += arrival.gap;
        if elapsed > Duration::from_millis(1500) {
            break;
        }
        t.app.calls.simulator().unwrap().place_call(&arrival.queue, &arrival.caller, arrival.plan).await.unwrap();
        *placed.entry(arrival.queue).or_default() += 1;
    }
    clock.set(start + chrono::Duration::seconds(2));
    let board = t.get("/api/v1/callcentre/wallboard", &supervisor).await;
    let waiting =
        |name: &str| board.body["queues"].as_array().unwrap().iter().find(|q| q["name"] == name).unwrap()["waiting"].as_u64().unwrap();
    // About 15 calls in 1.5 s at 10 a second, three in four to the general
    // queue; nobody answers, so every one waits.
    let total = waiting("general") + waiting("12333");
    assert!((5..=30).contains(&total), "{}", board.body);
    assert_eq!((waiting("general"), waiting("12333")), (placed["general"], placed.get("12333").copied().unwrap_or(0)), "{}", board.body);
    assert!(waiting("general") > waiting("12333"), "{}", board.body);
    assert!(board.body["queues"][0]["longest_wait_secs"].as_f64().unwrap() >= 2.0, "{}", board.body);
}

#[tokio::test]
async fn a_recording_plays_for_supervisors_and_the_consultant_who_took_the_call_and_each_play_is_audited() {
    use hotline_app::attachments::BlobStore;
    use hotline_app::calls::{CallRow, RecordingRef};
    let t = spawn().await;
    let (supervisor, consultant, dispatcher, auditor) =
        (t.login("supervisor").await, t.login("consultant").await, t.login("dispatcher").await, t.login("auditor").await);
    let consultant_id = t.app.store.user_by_name("consultant").await.unwrap().unwrap().id;
    let wav = b"RIFF\x24\0\0\0WAVEfmt a recording's bytes".to_vec();
    let sha256 = hotline_app::attachments::sha256_hex(&wav);
    t.blobs().put(&sha256, &wav).await.unwrap();
    let now = chrono::Utc::now();
    let row = CallRow {
        agent: Some(consultant_id),
        answered_at: Some(now - chrono::Duration::seconds(50)),
        ..CallRow::ended(
            4242,
            "general",
            "13800138000",
            now - chrono::Duration::seconds(60),
            now,
            hotline_callcentre::engine::Outcome::Answered,
        )
    };
    t.app.store.insert_call(&row, false).await.unwrap();
    let none = t.get("/api/v1/callcentre/calls/4242/recording", &supervisor).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "not recorded yet: {}", none.body);
    t.app.store.set_recording(4242, &RecordingRef { sha256, millis: 50_000 }).await.unwrap();
    assert_eq!(stored_call(&t, &supervisor, "4242").await["recording_secs"], 50.0);

    for token in [&supervisor, &consultant] {
        let played = t.client.get(format!("{}/api/v1/callcentre/calls/4242/recording", t.base)).bearer_auth(token).send().await.unwrap();
        assert_eq!(played.status(), StatusCode::OK);
        assert_eq!(played.headers()["content-type"], "audio/wav");
        assert_eq!(played.bytes().await.unwrap().as_ref(), wav.as_slice());
    }
    // The player seeks: a range from the middle is a part, not a new play.
    let url = format!("{}/api/v1/callcentre/calls/4242/recording", t.base);
    let part = t.client.get(&url).bearer_auth(&supervisor).header("Range", "bytes=12-").send().await.unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.headers()["content-range"], format!("bytes 12-{}/{}", wav.len() - 1, wav.len()).as_str());
    assert_eq!(part.bytes().await.unwrap().as_ref(), &wav[12..]);
    let past = t.client.get(&url).bearer_auth(&supervisor).header("Range", "bytes=9999-").send().await.unwrap();
    assert_eq!(past.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(past.headers()["content-range"], format!("bytes */{}", wav.len()).as_str());
    let again = t.client.get(&url).bearer_auth(&supervisor).header("Range", "bytes=0-").send().await.unwrap();
    assert_eq!((again.status(), again.headers()["accept-ranges"].to_str().unwrap()), (StatusCode::PARTIAL_CONTENT, "bytes"));

    // A long recording (here 1.5 MiB, about 50 s) is answered a MiB at a
    // time, as a player asking for the rest gets it; the parts make it whole.
    let long: Vec<u8> = b"RIFF".iter().copied().chain((0..1_572_860u32).map(|i| (i % 251) as u8)).collect();
    let long_sha = hotline_app::attachments::sha256_hex(&long);
    t.blobs().put(&long_sha, &long).await.unwrap();
    t.app.store.insert_call(&CallRow { id: 4545, ..row.clone() }, false).await.unwrap();
    t.app.store.set_recording(4545, &RecordingRef { sha256: long_sha, millis: 49_000 }).await.unwrap();
    let long_url = format!("{}/api/v1/callcentre/calls/4545/recording", t.base);
    let mut heard = Vec::new();
    while heard.len() < long.len() {
        let range = format!("bytes={}-", heard.len());
        let part = t.client.get(&long_url).bearer_auth(&supervisor).header("Range", range).send().await.unwrap();
        assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
        let end = (heard.len() + (1 << 20)).min(long.len()) - 1;
        assert_eq!(part.headers()["content-range"], format!("bytes {}-{end}/{}", heard.len(), long.len()).as_str());
        heard.extend_from_slice(&part.bytes().await.unwrap());
    }
    assert!(heard == long, "two parts make the recording");
    let whole = t.client.get(&long_url).bearer_auth(&supervisor).send().await.unwrap();
    assert_eq!(whole.bytes().await.unwrap().len(), long.len(), "without a Range, all of it");

    // How it sounded, as the gateway measured it.
    assert!(stored_call(&t, &supervisor, "4242").await["quality"].is_null(), "not measured yet");
    let quality = hotline_callcentre::quality::CallQuality {
        caller: hotline_callcentre::quality::LegQuality { packets: 2_400, lost: 600, jitter_ms: 31.26 },
        consultant: hotline_callcentre::quality::LegQuality { packets: 2_500, lost: 0, jitter_ms: 1.0 },
    };
    t.app.store.set_quality(4242, &quality).await.unwrap();
    let measured = stored_call(&t, &supervisor, "4242").await["quality"].clone();
    assert_eq!(measured["caller"]["loss_percent"], 20.0, "{measured}");
    assert_eq!(measured["caller"]["jitter_ms"], 31.3, "{measured}");
    assert_eq!(measured["poor"], true, "a fifth lost is a poor call: {measured}");
    assert_eq!(measured["mos"], measured["caller"]["mos"], "the worse side scores the call: {measured}");
    assert!(measured["consultant"]["mos"].as_f64().unwrap() > 4.3, "{measured}");

    let refused = t.get("/api/v1/callcentre/calls/4242/recording", &dispatcher).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let missing = t.get("/api/v1/callcentre/calls/4243/recording", &supervisor).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    t.app.auditor.seal_all().await.unwrap();
    let audit = t.get("/api/v1/audit?limit=50", &auditor).await;
    let plays = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "call.recording.play" && e["target"] == "call:4242")
        .count();
    assert_eq!(plays, 3, "each play from the start is audited, not the seek: {}", audit.body);

    // A callback is recorded on the abandoned call it answers, which no
    // consultant took: the consultant who called back may hear it, once
    // the task is theirs.
    let abandoned =
        CallRow { id: 4444, agent: None, answered_at: None, outcome: hotline_callcentre::engine::Outcome::Abandoned, ..row.clone() };
    t.app.store.insert_call(&abandoned, true).await.unwrap();
    t.app.store.set_recording(4444, &RecordingRef { sha256: hotline_app::attachments::sha256_hex(&wav), millis: 20_000 }).await.unwrap();
    let before = t.get("/api/v1/callcentre/calls/4444/recording", &consultant).await;
    assert_eq!(before.status, StatusCode::FORBIDDEN, "not theirs yet: {}", before.body);
    assert!(before.body["message"].as_str().unwrap().contains("called back"), "{}", before.body);
    let done = t.post("/api/v1/callcentre/callbacks/4444/done", &consultant, json!({"note": "已回拨并解答"})).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    let played = t.client.get(format!("{}/api/v1/callcentre/calls/4444/recording", t.base)).bearer_auth(&consultant).send().await.unwrap();
    assert_eq!(played.status(), StatusCode::OK, "the consultant who called back hears the callback");

    // Past the retention (2 days here) a recording is deleted; its call's
    // record stays and says when.
    let old_wav = b"RIFF an older recording".to_vec();
    let old_sha = hotline_app::attachments::sha256_hex(&old_wav);
    t.blobs().put(&old_sha, &old_wav).await.unwrap();
    let old = CallRow { id: 4343, ended_at: now - chrono::Duration::days(3), ..row };
    t.app.store.insert_call(&old, false).await.unwrap();
    t.app.store.set_recording(4343, &RecordingRef { sha256: old_sha.clone(), millis: 30_000 }).await.unwrap();
    assert_eq!(t.app.calls.purge_recordings().await.unwrap(), 1);
    assert_eq!(t.app.calls.purge_recordings().await.unwrap(), 0, "nothing twice");
    assert!(t.blobs().get(&old_sha).await.is_err(), "the content is gone");
    let purged = stored_call(&t, &supervisor, "4343").await;
    assert!(purged["recording_purged_at"].is_string() && purged["recording_secs"].is_null(), "{purged}");
    assert_eq!(t.get("/api/v1/callcentre/calls/4343/recording", &supervisor).await.status, StatusCode::NOT_FOUND);
    let kept = t.client.get(format!("{}/api/v1/callcentre/calls/4242/recording", t.base)).bearer_auth(&supervisor).send().await.unwrap();
    assert_eq!(kept.status(), StatusCode::OK, "the recent recording stays");
}

#[tokio::test]
async fn a_callback_is_dialled_from_the_desk_only_and_the_simulator_says_it_cannot_place_calls() {
    let t = spawn().await;
    let (admin, consultant, auditor) = (t.login("admin").await, t.login("consultant").await, t.login("auditor").await);
    basic_training(&t, &admin, "consultant").await;
    // A caller who hung up waiting is to be called back.
    let call = place_call(&t, &admin, "general", "13900139000").await;
    let hang_up = t.post(&format!("/api/v1/callcentre/simulator/calls/{call}/hang-up"), &admin, json!({})).await;
    assert_eq!(hang_up.status, StatusCode::NO_CONTENT);
    stored_call(&t, &t.login("supervisor").await, &call).await;
    let path = format!("/api/v1/callcentre/callbacks/{call}/dial");
    let away = t.post(&path, &consultant, json!({})).await;
    assert_eq!(away.status, StatusCode::CONFLICT, "not at the desk: {}", away.body);
    assert!(away.body["message"].as_str().unwrap().contains("open the desk"), "{}", away.body);
    let mut desk = connect(&t, &consultant).await.expect("desk");
    next(&mut desk, "hello").await;
    let dialling = t.post(&path, &consultant, json!({})).await;
    assert_eq!(dialling.status, StatusCode::ACCEPTED, "{}", dialling.body);
    assert_eq!(t.post("/api/v1/callcentre/callbacks/1/dial", &consultant, json!({})).await.status, StatusCode::NOT_FOUND);
    // The simulator places no calls: the attempt is audited, the task stays open.
    for _ in 0..100 {
        t.app.auditor.seal_all().await.unwrap();
        let audit = t.get("/api/v1/audit?limit=50", &auditor).await;
        if let Some(entry) = audit.body["items"].as_array().unwrap().iter().find(|e| e["action"] == "call.callback_attempt") {
            assert!(entry["detail"]["outcome"].as_str().unwrap().contains("未能呼出"), "{entry}");
            let tasks = t.get("/api/v1/callcentre/callbacks", &consultant).await;
            assert!(tasks.body.as_array().unwrap().iter().any(|c| c["call"] == call.as_str()), "still open: {}", tasks.body);
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the attempt was not audited");
}

#[tokio::test]
async fn listening_in_is_for_call_centre_managers_and_refused_on_lines_without_audio() {
    let t = spawn().await;
    let admin = t.login("admin").await;
    let supervisor = t.login("supervisor").await;
    let consultant = t.login("consultant").await;
    let call = place_call(&t, &admin, "general", "13800138000").await;
    let path = format!("/api/v1/callcentre/calls/{call}/monitor");
    let listen = json!({"mode": "listen"});
    let refused = t.call(Method::PUT, &path, Some(&consultant), Some(listen.clone())).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let bad = t.call(Method::PUT, &path, Some(&supervisor), Some(json!({"mode": "spy"}))).await;
    assert_eq!((bad.status, bad.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("mode")), "{}", bad.body);
    // The simulator's calls carry no audio: nothing to listen to.
    let simulated = t.call(Method::PUT, &path, Some(&supervisor), Some(listen)).await;
    assert_eq!(simulated.status, StatusCode::CONFLICT, "{}", simulated.body);
    assert!(simulated.body["message"].as_str().unwrap().contains("SIP gateway"), "{}", simulated.body);
    let stop = t.call(Method::DELETE, &path, Some(&supervisor), None).await;
    assert_eq!(stop.status, StatusCode::CONFLICT, "{}", stop.body);
    let not_a_call = t.call(Method::PUT, "/api/v1/callcentre/calls/x/monitor", Some(&supervisor), Some(json!({"mode": "barge"}))).await;
    assert_eq!(not_a_call.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", not_a_call.body);
    assert!(bad.body["fields"][0]["message"].as_str().unwrap().contains("take_over"), "the modes are named: {}", bad.body);
    // Taking over: managers only, and only a call in conversation (this one waits in its queue).
    let take_over = json!({"mode": "take_over"});
    let refused = t.call(Method::PUT, &path, Some(&consultant), Some(take_over.clone())).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let waiting = t.call(Method::PUT, &path, Some(&supervisor), Some(take_over)).await;
    assert_eq!(waiting.status, StatusCode::NOT_FOUND, "{}", waiting.body);
    assert!(waiting.body["message"].as_str().unwrap().contains("not in conversation"), "{}", waiting.body);
}

#[tokio::test]
async fn the_browser_phone_is_for_consultants_and_supervisors_and_names_what_is_wrong() {
    let t = spawn().await;
    let consultant = t.login("consultant").await;
    let supervisor = t.login("supervisor").await;
    let dispatcher = t.login("dispatcher").await;
    let path = "/api/v1/callcentre/softphone";
    let offer = json!({"sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"});
    let refused = t.call(Method::POST, path, Some(&dispatcher), Some(offer.clone())).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let junk = t.call(Method::POST, path, Some(&consultant), Some(json!({"sdp": "hello"}))).await;
    assert_eq!((junk.status, junk.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("sdp")), "{}", junk.body);
    let huge = t.call(Method::POST, path, Some(&consultant), Some(json!({"sdp": format!("v=0\r\n{}", "a=x\r\n".repeat(20_000))}))).await;
    assert_eq!(huge.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", huge.body);
    let missing = t.call(Method::POST, path, Some(&consultant), Some(json!({}))).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", missing.body);
    // The simulator has no audio: a browser has nothing to connect to.
    for token in [&consultant, &supervisor] {
        let simulated = t.call(Method::POST, path, Some(token), Some(offer.clone())).await;
        assert_eq!(simulated.status, StatusCode::CONFLICT, "{}", simulated.body);
        assert!(simulated.body["message"].as_str().unwrap().contains("SIP gateway"), "{}", simulated.body);
    }
    let hold = t.call(Method::PUT, "/api/v1/callcentre/softphone/hold", Some(&consultant), Some(json!({"held": "yes"}))).await;
    assert_eq!(hold.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", hold.body);
    let close = t.call(Method::DELETE, path, Some(&consultant), None).await;
    assert_eq!(close.status, StatusCode::CONFLICT, "{}", close.body);
}

#[tokio::test]
async fn phone_passwords_are_checked_and_registrations_are_limited_even_in_a_burst() {
    use hotline_app::calls::REGISTER_PER_ACCOUNT_ADDRESS;
    let t = spawn().await;
    let admin = t.login("admin").await;
    let consultant = user_id(&t, "consultant").await;
    let path = format!("/api/v1/users/{consultant}");
    let weak = t.call(Method::PATCH, &path, Some(&admin), Some(json!({"phone_password": "123456"}))).await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", weak.body);
    assert_eq!(weak.body["fields"][0]["field"], "phone_password", "{}", weak.body);
    let dispatcher = user_id(&t, "dispatcher").await;
    let not_a_consultant = t
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{dispatcher}"),
            Some(&admin),
            Some(json!({"phone_password": "lantern orchard quietly 7 bicycles"})),
        )
        .await;
    assert_eq!(not_a_consultant.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", not_a_consultant.body);
    assert!(not_a_consultant.body["fields"][0]["message"].as_str().unwrap().contains("supervisors"), "{}", not_a_consultant.body);
    // A supervisor's phone listens in on calls.
    let supervisor = user_id(&t, "supervisor").await;
    let body = json!({"phone_password": "lantern orchard quietly 7 bicycles"});
    let set = t.call(Method::PATCH, &format!("/api/v1/users/{supervisor}"), Some(&admin), Some(body)).await;
    assert_eq!((set.status, set.body["phone"].as_bool()), (StatusCode::OK, Some(true)), "{}", set.body);
    let set = t.call(Method::PATCH, &path, Some(&admin), Some(json!({"phone_password": "lantern orchard quietly 7 bicycles"}))).await;
    assert_eq!((set.status, set.body["phone"].as_bool()), (StatusCode::OK, Some(true)), "{}", set.body);

    // 40 wrong proofs at once from one address: exactly the limit is checked,
    // the rest refused unchecked, and then even the right one is refused.
    let phones = t.app.calls.phones().clone();
    let from: std::net::IpAddr = "203.0.113.7".parse().unwrap();
    let guesses = (0..40).map(|_| {
        let phones = phones.clone();
        tokio::spawn(async move { phones.authenticate("consultant", from, |_| false).await })
    });
    let results: Vec<_> = futures_util::future::join_all(guesses).await.into_iter().map(|r| r.unwrap()).collect();
    let checked = results.iter().filter(|r| matches!(r, Ok(None))).count();
    let refused = results.iter().filter(|r| matches!(r, Err(hotline_app::AppError::TooManyRequests(_)))).count();
    assert_eq!((checked, refused), (REGISTER_PER_ACCOUNT_ADDRESS.most as usize, 40 - REGISTER_PER_ACCOUNT_ADDRESS.most as usize));
    let right = phones.authenticate("consultant", from, |_| true).await;
    assert!(matches!(right, Err(hotline_app::AppError::TooManyRequests(_))), "{right:?}");
    // Another address is not held back; the right proof names the consultant.
    let elsewhere = phones.authenticate("consultant", "198.51.100.2".parse().unwrap(), |_| true).await.unwrap().expect("a phone");
    assert_eq!(elsewhere.username, "consultant");
    // Removing the password: no phone registers any more.
    let removed = t.call(Method::PATCH, &path, Some(&admin), Some(json!({"phone_password": ""}))).await;
    assert_eq!(removed.body["phone"], false);
    assert!(phones.authenticate("consultant", "198.51.100.3".parse().unwrap(), |_| true).await.unwrap().is_none());
}
