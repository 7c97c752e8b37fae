//! Highlighted snippets. tantivy's snippet generator assumes tokens that do
//! not overlap, and jieba's search mode emits nested words (社会, 保障,
//! 社会保障), so snippets are cut here: the window of text holding the most
//! distinct query terms, HTML-escaped, matches wrapped in `<em>`.

use crate::analyzer::{Analyzer, Group};
use std::collections::HashSet;

/// Length of a snippet in characters.
pub(crate) const CHARS: usize = 120;

/// Every alternative of every group.
pub(crate) fn terms(groups: &[Group]) -> HashSet<String> {
    groups.iter().flatten().map(|a| a.term.clone()).collect()
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Byte offset `chars` characters after `from` (or the end).
fn advance(text: &str, from: usize, chars: usize) -> usize {
    text[from..].char_indices().nth(chars).map_or(text.len(), |(i, _)| from + i)
}

/// The best window of at most `max_chars` characters; the start of the text
/// when nothing matches.
pub(crate) fn snippet(analyzer: &Analyzer, text: &str, terms: &HashSet<String>, max_chars: usize) -> String {
    let matches: Vec<(usize, usize, String)> =
        analyzer.pieces(text).into_iter().filter(|p| terms.contains(&p.text)).map(|p| (p.start, p.end, p.text)).collect();
    let Some(first) = matches.first() else {
        let end = advance(text, 0, max_chars);
        return escape(&text[..end]) + if end < text.len() { "…" } else { "" };
    };
    let mut best = (0usize, first.0);
    for (i, (start, _, _)) in matches.iter().enumerate() {
        let end = advance(text, *start, max_chars);
        let distinct: HashSet<&str> = matches[i..].iter().take_while(|m| m.1 <= end).map(|m| m.2.as_str()).collect();
        if distinct.len() > best.0 {
            best = (distinct.len(), *start);
        }
    }
    // Begin a little before the first match, at most a sixth of the window.
    let lead = text[..best.1].chars().rev().take(max_chars / 6).map(char::len_utf8).sum::<usize>();
    let start = best.1 - lead;
    let end = advance(text, start, max_chars);
    // Merge overlapping and nested matches inside the window.
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for (s, e, _) in matches.iter().filter(|m| m.0 >= start && m.1 <= end) {
        match ranges.last_mut() {
            Some(last) if *s <= last.1 => last.1 = last.1.max(*e),
            _ => ranges.push((*s, *e)),
        }
    }
    let mut html = String::new();
    if start > 0 {
        html.push('…');
    }
    let mut at = start;
    for (s, e) in ranges {
        html.push_str(&escape(&text[at..s]));
        html.push_str("<em>");
        html.push_str(&escape(&text[s..e]));
        html.push_str("</em>");
        at = e;
    }
    html.push_str(&escape(&text[at..end]));
    if end < text.len() {
        html.push('…');
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_words_are_highlighted_once_and_text_is_escaped() {
        let a = Analyzer::new();
        let text = "申请<最低生活保障>需提供户口簿（原件）。";
        let terms: HashSet<String> = ["生活".to_string(), "保障".to_string(), "最低生活保障".to_string()].into();
        let s = snippet(&a, text, &terms, 120);
        assert_eq!(s.matches("<em>").count(), 1, "{s}");
        assert!(s.contains("&lt;") && s.contains("户口簿（原件）"), "{s}");
    }

    #[test]
    fn the_window_goes_where_most_terms_are() {
        let a = Analyzer::new();
        let text = format!("{}社保卡遗失后请先挂失再补办。", "无关的内容。".repeat(40));
        let terms: HashSet<String> = ["社保卡".to_string(), "补办".to_string(), "挂失".to_string()].into();
        let s = snippet(&a, &text, &terms, 40);
        assert!(s.starts_with('…') && s.contains("<em>社保卡</em>") && s.contains("<em>补办</em>"), "{s}");
    }
}
