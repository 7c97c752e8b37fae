//! Logging in, sessions, throttling.

use crate::support::{PASSWORD, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn login_gives_a_token_and_a_cookie_logout_ends_it() {
    let t = TestApp::spawn().await;
    let r = t.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "dongcheng", "password": PASSWORD}))).await;
    assert_eq!(r.status, StatusCode::OK);
    let cookie = r.headers.get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert_eq!(r.body["user"]["unit"]["code"], "441900003");
    assert_eq!(r.body["user"]["roles"], json!(["handler"]));
    let token = r.body["token"].as_str().unwrap().to_owned();

    // The cookie works as well as the bearer token.
    let session = cookie.split(';').next().unwrap().to_owned();
    let me = t.client.get(format!("{}/api/v1/me", t.base)).header("cookie", session).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);

    assert_eq!(t.call(Method::POST, "/api/v1/auth/logout", Some(&token), None).await.status, StatusCode::NO_CONTENT);
    let after = t.get("/api/v1/me", &token).await;
    assert_eq!((after.status, after.body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_throttled() {
    let t = TestApp::spawn().await;
    assert_eq!(t.call(Method::GET, "/api/v1/work-orders", None, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.get("/api/v1/work-orders", "forged-token").await.status, StatusCode::UNAUTHORIZED);
    let wrong = json!({"username": "reviewer", "password": "guess"});
    for _ in 0..5 {
        assert_eq!(t.call(Method::POST, "/api/v1/auth/login", None, Some(wrong.clone())).await.status, StatusCode::UNAUTHORIZED);
    }
    let r = t.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "reviewer", "password": PASSWORD}))).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    let unknown = t.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "nobody", "password": "x"}))).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let missing = t.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "nobody"}))).await;
    assert_eq!((missing.status, missing.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")));
}

#[tokio::test]
async fn a_disabled_user_is_logged_out_at_once() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let handler = t.login("hrss").await;
    let users = t.get("/api/v1/users", &admin).await;
    let id = users.body.as_array().unwrap().iter().find(|u| u["username"] == "hrss").unwrap()["id"].clone();
    let r = t.call(Method::PATCH, &format!("/api/v1/users/{}", id.as_str().unwrap()), Some(&admin), Some(json!({"active": false}))).await;
    assert_eq!((r.status, r.body["active"].as_bool()), (StatusCode::OK, Some(false)));
    assert_eq!(t.get("/api/v1/me", &handler).await.status, StatusCode::UNAUTHORIZED);
}
