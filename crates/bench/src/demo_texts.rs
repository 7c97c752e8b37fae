//! Requests in the demo's words, varied: shared by the benchmarks that
//! need many orders' texts without a server (`hotline-topics-bench`,
//! `hotline-surge-bench`).

use hotline_seed::demo::texts::{DETAILS, DOWNPOUR, ROADS, TEMPLATES};

/// A demo request in words of its own: template, street, number, and one
/// of the callers' details.
pub fn text(i: usize) -> (String, String) {
    let t = &TEMPLATES[i % TEMPLATES.len()];
    let road = ROADS[(i / TEMPLATES.len()) % ROADS.len()];
    let detail = if i.is_multiple_of(3) { DETAILS[(i / 3) % DETAILS.len()] } else { "" };
    (t.subject.to_owned(), format!("{}{detail}（{}号附近）", t.description.replace("{place}", road), i % 500))
}

/// A report of the flood on 东纵路, in one of the demo's wordings.
pub fn flood(i: usize) -> (String, String) {
    let (_, subject, description) = DOWNPOUR[i % DOWNPOUR.len()];
    let road = "东纵路";
    (subject.replace("{road}", road), format!("{}（{}号）", description.replace("{place}", &format!("东城街道{road}")), i % 300))
}
