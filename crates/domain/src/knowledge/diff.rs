//! What changed between two versions of an article, field by field, for the
//! reviewer's diff view.

use super::article::{ArticleContent, Region};
use serde::Serialize;
use similar::{ChangeTag, TextDiff};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffOp {
    Equal,
    Delete,
    Insert,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    pub op: DiffOp,
    pub text: String,
}

/// One changed field with its line-by-line diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDiff {
    pub field: &'static str,
    pub lines: Vec<DiffLine>,
}

/// Each field as text, in a fixed order.
fn fields(a: &ArticleContent) -> Vec<(&'static str, String)> {
    let opt = |v: Option<String>| v.unwrap_or_default();
    vec![
        ("title", a.title.to_string()),
        ("body", a.body.to_string()),
        ("script", opt(a.script.as_ref().map(ToString::to_string))),
        ("owner", opt(a.owner.map(|u| u.to_string()))),
        ("category", opt(a.category.map(|c| c.to_string()))),
        ("keywords", a.keywords.as_slice().join(" ")),
        (
            "region",
            match &a.region {
                Region::City => "city".to_owned(),
                Region::Towns(t) => t.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
            },
        ),
        ("source", opt(a.source.as_ref().map(ToString::to_string))),
        ("effective_from", opt(a.effective_from.map(|d| d.to_string()))),
        ("expires_on", opt(a.expires_on.map(|d| d.to_string()))),
        ("visibility", a.visibility.to_string()),
    ]
}

/// The changed fields only; an empty list when the versions say the same.
pub fn diff(old: &ArticleContent, new: &ArticleContent) -> Vec<FieldDiff> {
    fields(old)
        .into_iter()
        .zip(fields(new))
        .filter(|((_, a), (_, b))| a != b)
        .map(|((field, a), (_, b))| {
            let lines = TextDiff::from_lines(&a, &b)
                .iter_all_changes()
                .map(|c| DiffLine {
                    op: match c.tag() {
                        ChangeTag::Equal => DiffOp::Equal,
                        ChangeTag::Delete => DiffOp::Delete,
                        ChangeTag::Insert => DiffOp::Insert,
                    },
                    text: c.value().trim_end_matches('\n').to_owned(),
                })
                .collect();
            FieldDiff { field, lines }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::ArticleInput;

    fn article(body: &str, keywords: &[&str]) -> ArticleContent {
        ArticleContent::parse(ArticleInput {
            title: "公积金提取".into(),
            body: body.into(),
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn reports_only_changed_fields_with_line_operations() {
        let old = article("第一步：登录\n第二步：提交\n", &["公积金"]);
        let new = article("第一步：登录\n第二步：上传材料\n", &["公积金", "提取"]);
        let d = diff(&old, &new);
        assert_eq!(d.iter().map(|f| f.field).collect::<Vec<_>>(), ["body", "keywords"]);
        let ops: Vec<(DiffOp, &str)> = d[0].lines.iter().map(|l| (l.op, l.text.as_str())).collect();
        assert_eq!(ops, [(DiffOp::Equal, "第一步：登录"), (DiffOp::Delete, "第二步：提交"), (DiffOp::Insert, "第二步：上传材料")]);
        assert!(diff(&old, &old).is_empty());
    }
}
