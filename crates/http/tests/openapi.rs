//! The API's contract: every route is documented, the document changes only
//! when someone reviews the change, and the operations still described
//! loosely are named here so the list can only shrink.
//!
//! After an intended change: `HOTLINE_UPDATE_OPENAPI=1 cargo test -p
//! hotline-http --test openapi`, then review `git diff crates/http/openapi.json`.

use std::collections::BTreeSet;
use utoipa::OpenApi;

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");

fn document() -> serde_json::Value {
    serde_json::to_value(hotline_http::openapi::ApiDoc::openapi()).expect("the document serialises")
}

/// `(METHOD, path)` of every route registered in `router()`, read from its source.
fn registered() -> BTreeSet<(String, String)> {
    let source = include_str!("../src/lib.rs");
    let mut routes = BTreeSet::new();
    for chunk in source.split(".route(").skip(1) {
        let Some(path) = chunk.trim_start().strip_prefix('"').and_then(|rest| rest.split('"').next()) else { continue };
        // The handlers of this route: up to the call's closing parenthesis.
        let mut depth = 1;
        let end = chunk
            .char_indices()
            .find(|(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map_or(chunk.len(), |(i, _)| i);
        let handlers = &chunk[..end];
        let handlers = handlers.trim_start();
        // The probes and metrics sit at the root, for load balancers and Prometheus.
        let prefix = if ["/healthz", "/livez", "/readyz", "/readyz/callcentre", "/metrics"].contains(&path) { "" } else { "/api/v1" };
        for method in ["get", "post", "put", "patch", "delete"] {
            let called = handlers.match_indices(&format!("{method}(")).any(|(i, _)| {
                let before = handlers[..i].chars().last();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            if called {
                routes.insert((method.to_uppercase(), format!("{prefix}{path}")));
            }
        }
    }
    routes
}

fn documented(doc: &serde_json::Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out
}

#[test]
fn every_route_is_documented_and_nothing_else() {
    let (routes, doc) = (registered(), documented(&document()));
    assert!(routes.len() > 100, "the route reader found {} routes; has router() moved?", routes.len());
    let undocumented: Vec<_> = routes.difference(&doc).collect();
    let phantom: Vec<_> = doc.difference(&routes).collect();
    assert!(undocumented.is_empty(), "routes missing from the OpenAPI document: {undocumented:?}");
    assert!(phantom.is_empty(), "documented operations no route serves: {phantom:?}");
}

#[test]
fn the_document_matches_its_reviewed_snapshot() {
    let current = serde_json::to_string_pretty(&document()).expect("pretty JSON") + "\n";
    if std::env::var_os("HOTLINE_UPDATE_OPENAPI").is_some() {
        std::fs::write(SNAPSHOT, &current).expect("write the snapshot");
        return;
    }
    let reviewed = std::fs::read_to_string(SNAPSHOT).unwrap_or_default();
    if reviewed != current {
        let line = reviewed.lines().zip(current.lines()).position(|(a, b)| a != b).map_or(0, |i| i + 1);
        panic!(
            "the OpenAPI document changed (first difference near line {line} of crates/http/openapi.json); \
             if intended, run HOTLINE_UPDATE_OPENAPI=1 cargo test -p hotline-http --test openapi and review the diff"
        );
    }
}

/// Operations whose JSON answer or body the document does not describe yet.
/// Fixing one means removing it here; a new one fails the test.
const LOOSE: &[&str] = &[];

/// Operations that answer with something other than a JSON document: live
/// feeds (server-sent events), files, the desk's WebSocket.
const OTHER_MEDIA: &[&str] = &[
    "GET /api/v1/alerts/stream",
    "GET /api/v1/attachments/{id}",
    "GET /api/v1/callcentre/calls/{id}/recording",
    "GET /api/v1/callcentre/wallboard/stream",
    "GET /api/v1/dashboard/stream",
    "GET /api/v1/desk",
    "GET /api/v1/work-orders/export",
    "GET /api/v1/work-orders/stream",
];

/// Answers that are not JSON documents: files, live feeds, the WebSocket.
fn not_json(content_type: &str) -> bool {
    !content_type.contains("json")
}

#[test]
fn json_operations_describe_their_bodies_except_the_known_loose_ones() {
    let doc = document();
    let mut loose = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let name = format!("{} {path}", method.to_uppercase());
            let responses = op["responses"].as_object().expect("responses");
            let described = |r: &serde_json::Value| {
                r["content"].as_object().is_some_and(|content| {
                    content.iter().all(|(ct, media)| {
                        let schema = &media["schema"];
                        not_json(ct)
                            || schema.get("$ref").is_some()
                            || schema
                                .get("items")
                                .is_some_and(|i| i.get("$ref").is_some() || i["type"].as_str().is_some_and(|t| t != "object"))
                            || schema.get("properties").is_some()
                            || schema.get("oneOf").is_some()
                            || schema["type"].as_str().is_some_and(|t| t != "object" && t != "array")
                    })
                })
            };
            let success: Vec<(&String, &serde_json::Value)> = responses.iter().filter(|(code, _)| code.starts_with('2')).collect();
            let answers_ok = !success.is_empty()
                && success.iter().all(|(code, r)| {
                    // No content, or accepted with nothing to say yet.
                    code.as_str() == "204" || (code.as_str() == "202" && r.get("content").is_none()) || described(r)
                });
            // A write that takes a JSON body names it (bodiless actions take none).
            let takes_body = matches!(method.as_str(), "post" | "put" | "patch");
            let body_ok = !takes_body
                || op.get("requestBody").is_none()
                || op["requestBody"]["content"].as_object().is_some_and(|c| {
                    c.iter()
                        .all(|(ct, media)| not_json(ct) || media["schema"].get("$ref").is_some() || media["schema"].get("items").is_some())
                });
            let described = OTHER_MEDIA.contains(&name.as_str()) || (answers_ok && body_ok);
            if !described {
                loose.insert(name);
            }
        }
    }
    let known: BTreeSet<String> = LOOSE.iter().map(|s| (*s).to_owned()).collect();
    let newly: Vec<_> = loose.difference(&known).collect();
    let fixed: Vec<_> = known.difference(&loose).collect();
    assert!(newly.is_empty(), "operations without a described JSON body or answer: {newly:?}");
    assert!(fixed.is_empty(), "these are described now; remove them from LOOSE: {fixed:?}");
}

/// Handlers that read a JSON body (`JsonBody`) and whose documentation does
/// not name it, read from the route files.
fn bodies_undocumented() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/routes");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("routes directory") {
        let path = entry.expect("entry").path();
        let source = std::fs::read_to_string(&path).expect("route file");
        for chunk in source.split("#[utoipa::path(").skip(1) {
            let Some((attribute, rest)) = chunk.split_once(")]") else { continue };
            let Some(signature) = rest.split_once("pub async fn ").map(|(_, s)| s.split('{').next().unwrap_or_default()) else {
                continue;
            };
            if signature.contains("JsonBody") && !attribute.contains("request_body") {
                let name = signature.split('(').next().unwrap_or_default().trim();
                out.push(format!("{}::{name}", path.file_stem().unwrap_or_default().to_string_lossy()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn handlers_that_read_a_json_body_document_it() {
    assert_eq!(bodies_undocumented(), Vec::<String>::new());
}

/// Schemas are named by their type's name: two types of one name would
/// silently share one entry in the document.
#[test]
fn no_two_documented_types_share_a_name() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut files = Vec::new();
    let mut pending = vec![std::path::PathBuf::from(dir)];
    while let Some(path) = pending.pop() {
        for entry in std::fs::read_dir(&path).expect("source directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut seen = std::collections::BTreeMap::new();
    let mut twice = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("source file");
        for chunk in source.split("ToSchema").skip(1) {
            let Some(name) = chunk
                .lines()
                .take(8)
                .find_map(|l| l.trim().strip_prefix("pub struct ").or_else(|| l.trim().strip_prefix("pub enum ")))
                .map(|rest| rest.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or_default().to_owned())
            else {
                continue;
            };
            if let Some(first) = seen.insert(name.clone(), file.display().to_string()) {
                twice.push(format!("{name} in {first} and {}", file.display()));
            }
        }
    }
    assert!(seen.len() > 50, "the reader found {} documented types", seen.len());
    assert!(twice.is_empty(), "{twice:?}");
}
