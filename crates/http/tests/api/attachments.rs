//! Attachments are typed by their content, limited in size, and scoped.

use crate::support::TestApp;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::json;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR fake image body";

#[tokio::test]
async fn upload_download_and_refuse_what_does_not_belong() {
    let t = TestApp::spawn().await;
    let consultant = t.login("consultant").await;
    let order = t.register(&consultant, t.complaint()).await;
    let number = order["number"].as_str().unwrap();
    let upload = |name: &'static str, bytes: Vec<u8>, token: String| {
        let form = Form::new().part("file", Part::bytes(bytes).file_name(name).mime_str("application/octet-stream").unwrap());
        t.client.post(format!("{}/api/v1/work-orders/{number}/attachments", t.base)).bearer_auth(token).multipart(form).send()
    };
    let r = TestApp::read(upload("现场照片.png", PNG.to_vec(), consultant.clone()).await.unwrap()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["content_type"], "image/png");
    let href = r.body["href"].as_str().unwrap().to_owned();

    let got = t.client.get(format!("{}{href}", t.base)).bearer_auth(&consultant).send().await.unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert!(got.headers()["content-disposition"].to_str().unwrap().contains("%E7%8E%B0"), "UTF-8 file name");
    assert_eq!(got.bytes().await.unwrap().as_ref(), PNG);
    let listed = t.get(&format!("/api/v1/work-orders/{number}"), &consultant).await;
    assert_eq!(listed.body["attachments"][0]["file_name"], "现场照片.png");

    let exe = TestApp::read(upload("tool.exe", b"MZ\x90\x00program".to_vec(), consultant.clone()).await.unwrap()).await;
    assert_eq!((exe.status, exe.body["code"].as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type")));
    let big =
        TestApp::read(upload("big.pdf", [b"%PDF-".to_vec(), vec![b'x'; 200 * 1024]].concat(), consultant.clone()).await.unwrap()).await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", big.body);

    // A unit that never held the order can neither upload nor download.
    let nancheng = t.login("nancheng").await;
    let r = TestApp::read(upload("x.png", PNG.to_vec(), nancheng.clone()).await.unwrap()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t.client.get(format!("{}{href}", t.base)).bearer_auth(&nancheng).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let no_file = t
        .client
        .post(format!("{}/api/v1/work-orders/{number}/attachments", t.base))
        .bearer_auth(&consultant)
        .multipart(Form::new().text("note", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(TestApp::read(no_file).await.body["fields"][0]["field"], "file");

    // A decision's answer lists them too (read with the order it decides on),
    // and the unit it goes to sees them in its own answer.
    let dispatcher = t.login("dispatcher").await;
    let listed = t.get(&format!("/api/v1/work-orders/{number}"), &consultant).await;
    let dispatched = t.ok(&dispatcher, &listed.body, json!({"action": "dispatch", "lead_unit_id": t.unit_id("441900003")})).await;
    assert_eq!(dispatched["attachments"][0]["file_name"], "现场照片.png", "{dispatched}");
    let signed = t.ok(&t.login("dongcheng").await, &dispatched, json!({"action": "sign_for"})).await;
    assert_eq!(signed["attachments"].as_array().map(Vec::len), Some(1), "{signed}");
    // An order without any answers with none.
    let bare = t.register(&consultant, t.complaint()).await;
    let bare = t.ok(&dispatcher, &bare, json!({"action": "dispatch", "lead_unit_id": t.unit_id("441900003")})).await;
    assert_eq!(bare["attachments"], json!([]));
}
