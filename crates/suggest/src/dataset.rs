//! Examples to learn from: a request's text, its label and when it came.
//! The shipped set is the 330 labelled citizens' messages of
//! `data/messages/train.csv` (its source in `data/README.md`).

use chrono::NaiveDateTime;

/// One labelled request.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub id: String,
    /// Subject and description, as a consultant would read them.
    pub text: String,
    /// The label; a category's path joined by [`LEVEL_SEPARATOR`] makes
    /// the evaluation score every level above the leaf too.
    pub label: String,
    pub at: NaiveDateTime,
    /// Terms beside the words (the town's code), as the server adds them.
    pub tags: Vec<String>,
}

/// Between the levels of a hierarchical label: `城乡建设 / 市政设施 / 路灯`.
pub const LEVEL_SEPARATOR: &str = " / ";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DatasetError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("the file has no column {0:?}")]
    Column(&'static str),
    #[error("the file is not CSV: {0}")]
    Csv(String),
}

/// Reads `id,subject,time,detail,category` rows (the contest's format,
/// times like `2020/1/6 12:09:38`).
pub fn messages(csv_text: &str) -> Result<Vec<Example>, DatasetError> {
    let mut reader = csv::ReaderBuilder::new().from_reader(csv_text.as_bytes());
    let headers = reader.headers().map_err(|e| DatasetError::Csv(e.to_string()))?.clone();
    let column = |name: &'static str| headers.iter().position(|h| h.trim() == name).ok_or(DatasetError::Column(name));
    let (id, subject, time, detail, category) =
        (column("id")?, column("subject")?, column("time")?, column("detail")?, column("category")?);
    let mut examples = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = row.map_err(|e| DatasetError::Line { line, message: e.to_string() })?;
        let field = |n: usize| row.get(n).unwrap_or_default().trim();
        let at = NaiveDateTime::parse_from_str(field(time), "%Y/%m/%d %H:%M:%S")
            .map_err(|e| DatasetError::Line { line, message: format!("time {:?}: {e}", field(time)) })?;
        if field(category).is_empty() {
            return Err(DatasetError::Line { line, message: "no category".into() });
        }
        examples.push(Example {
            id: field(id).to_owned(),
            text: format!("{}\n{}", field(subject), field(detail)),
            label: field(category).to_owned(),
            at,
            tags: Vec::new(),
        });
    }
    Ok(examples)
}

/// The distinct labels of some examples, sorted, and each example's index
/// among them.
pub fn label_index(examples: &[Example]) -> (Vec<String>, Vec<usize>) {
    let mut labels: Vec<String> = examples.iter().map(|e| e.label.clone()).collect();
    labels.sort();
    labels.dedup();
    let index = examples.iter().map(|e| labels.binary_search(&e.label).expect("collected above")).collect();
    (labels, index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_messages_read_with_their_times_and_seven_classes() {
        let examples = messages(hotline_reference_data::MESSAGES).unwrap();
        assert_eq!(examples.len(), 330);
        let (labels, index) = label_index(&examples);
        assert_eq!(labels.len(), 7, "{labels:?}");
        assert!(labels.contains(&"劳动和社会保障".to_owned()));
        assert_eq!(index.len(), 330);
        let first = examples.iter().find(|e| e.id == "24").unwrap();
        assert_eq!(first.at.to_string(), "2020-01-06 12:09:38");
        assert!(first.text.starts_with("A市西湖建筑集团占道施工有安全隐患\n"));
    }

    #[test]
    fn a_bad_row_is_named_by_its_line() {
        let text = "id,subject,time,detail,category\n1,a,2020/1/6 12:09:38,b,交通运输\n2,a,yesterday,b,交通运输\n";
        assert!(matches!(messages(text), Err(DatasetError::Line { line: 3, .. })));
        assert_eq!(messages("id,subject\n1,a\n"), Err(DatasetError::Column("time")));
        let unlabelled = "id,subject,time,detail,category\n1,a,2020/1/6 12:09:38,b,\n";
        assert!(matches!(messages(unlabelled), Err(DatasetError::Line { line: 2, .. })));
    }
}
