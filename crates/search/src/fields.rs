//! What both indexes declare and read the same way: Chinese text fields,
//! and stored values read back from a found document.

use crate::tokenizer::NAME;
use tantivy::TantivyDocument;
use tantivy::schema::{Field, IndexRecordOption, TextFieldIndexing, TextOptions, Value};

/// Sentinel for "none" in u64 fields (the centre as owner, the whole city as
/// region, an order without a town): real ids are never 0.
pub(crate) const NONE: u64 = 0;

/// A text field cut by the Chinese tokenizer, with term frequencies for BM25.
pub(crate) fn chinese(stored: bool) -> TextOptions {
    let indexing = TextFieldIndexing::default().set_tokenizer(NAME).set_index_option(IndexRecordOption::WithFreqs);
    let options = TextOptions::default().set_indexing_options(indexing);
    if stored { options.set_stored() } else { options }
}

/// A stored text value, if the document has one.
pub(crate) fn text(doc: &TantivyDocument, field: Field) -> Option<String> {
    doc.get_first(field).and_then(|v| v.as_str()).map(str::to_owned)
}

/// A stored u64 value, or [`NONE`].
pub(crate) fn number(doc: &TantivyDocument, field: Field) -> u64 {
    doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(NONE)
}
