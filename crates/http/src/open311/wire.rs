//! One answer, two formats: every Open311 answer is built once as a small
//! tree and written as JSON or as XML by the file's suffix, so the two
//! formats can never drift apart.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quick_xml::escape::escape;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// The name and format of `services.json`, `DG20261203000001.xml` …
    pub fn split(file: &str) -> Option<(&str, Format)> {
        if let Some(stem) = file.strip_suffix(".json") {
            return Some((stem, Format::Json));
        }
        file.strip_suffix(".xml").map(|stem| (stem, Format::Xml))
    }
}

/// A value of an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Text(String),
    Number(f64),
    Integer(i64),
    Bool(bool),
    /// Fields in order (XML keeps it).
    Object(Vec<(&'static str, Node)>),
    /// In XML each item is an element of this name.
    List(&'static str, Vec<Node>),
}

impl Node {
    pub fn text(s: impl Into<String>) -> Self {
        Self::Text(s.into())
    }

    pub fn opt_text(s: Option<impl Into<String>>) -> Self {
        s.map_or(Self::Null, |s| Self::Text(s.into()))
    }

    fn json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Self::Null => Value::Null,
            Self::Text(s) => Value::String(s.clone()),
            Self::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Self::Integer(n) => Value::from(*n),
            Self::Bool(b) => Value::Bool(*b),
            Self::Object(fields) => Value::Object(fields.iter().map(|(k, v)| ((*k).to_owned(), v.json())).collect()),
            Self::List(_, items) => Value::Array(items.iter().map(Node::json).collect()),
        }
    }

    fn xml(&self, name: &str, out: &mut String) {
        match self {
            Self::Null => {
                out.push('<');
                out.push_str(name);
                out.push_str("/>");
            }
            Self::Object(fields) => {
                open(name, out);
                for (k, v) in fields {
                    v.xml(k, out);
                }
                close(name, out);
            }
            Self::List(item, items) => {
                open(name, out);
                for v in items {
                    v.xml(item, out);
                }
                close(name, out);
            }
            scalar => {
                open(name, out);
                let text = match scalar {
                    Self::Text(s) => s.clone(),
                    Self::Number(n) => n.to_string(),
                    Self::Integer(n) => n.to_string(),
                    Self::Bool(b) => b.to_string(),
                    _ => unreachable!("containers handled above"),
                };
                out.push_str(&escape(text.as_str()));
                close(name, out);
            }
        }
    }

    /// The answer in `format`; `root` names the XML document element.
    pub fn respond(&self, status: StatusCode, format: Format, root: &str) -> Response {
        let (body, content_type) = match format {
            Format::Json => (self.json().to_string(), "application/json; charset=utf-8"),
            Format::Xml => {
                let mut out = String::from(r#"<?xml version="1.0" encoding="utf-8"?>"#);
                self.xml(root, &mut out);
                (out, "text/xml; charset=utf-8")
            }
        };
        let mut response = (status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        response
    }
}

fn open(name: &str, out: &mut String) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(name: &str, out: &mut String) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_tree_reads_the_same_in_both_formats() {
        let tree = Node::List(
            "request",
            vec![Node::Object(vec![
                ("service_request_id", Node::text("DG1")),
                ("description", Node::text("水管<爆裂> & 漏水")),
                ("lat", Node::Number(23.02)),
                ("media_url", Node::Null),
            ])],
        );
        assert_eq!(
            tree.json(),
            serde_json::json!([{"service_request_id": "DG1", "description": "水管<爆裂> & 漏水", "lat": 23.02, "media_url": null}])
        );
        let mut xml = String::new();
        tree.xml("service_requests", &mut xml);
        assert_eq!(
            xml,
            "<service_requests><request><service_request_id>DG1</service_request_id>\
             <description>水管&lt;爆裂&gt; &amp; 漏水</description><lat>23.02</lat><media_url/></request></service_requests>"
        );
        assert_eq!(Format::split("services.xml"), Some(("services", Format::Xml)));
        assert_eq!(Format::split("DG1.json"), Some(("DG1", Format::Json)));
        assert_eq!(Format::split("services.csv"), None);
    }
}
