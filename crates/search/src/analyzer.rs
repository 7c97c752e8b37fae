//! How Chinese text becomes search terms.
//!
//! Documents are cut with jieba's search mode, which emits a long word and
//! the dictionary words inside it (社会保险 → 社会, 保险, 社会保险), so a
//! query for either finds it. A query is cut in precise mode into the words
//! the caller meant; each word becomes a *group* of alternatives: the word,
//! the words inside it, and its synonyms. A document matching more groups
//! ranks higher (see `query.rs`); no group is required, and no phrase is
//! ever demanded, so 社保卡补办 finds 社保卡遗失…申请补办.
//!
//! Every token is folded the same way on both sides: full-width letters and
//! digits to ASCII, Latin letters to lower case.

use crate::stopwords::STOP_WORDS;
use hotline_app::ports::SearchVocabulary;
use jieba_rs::Jieba;
use std::collections::{HashMap, HashSet};
use std::sync::RwLock;

/// One alternative of a query group, with how strongly it stands for the
/// word the caller said.
#[derive(Debug, Clone, PartialEq)]
pub struct Alternative {
    pub term: String,
    pub weight: f32,
}

/// The alternatives for one word of a query.
pub type Group = Vec<Alternative>;

/// A token of a document: its folded text and its byte range in the
/// original, for highlighting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

const WORD: f32 = 1.0;
const SYNONYM: f32 = 0.9;
const PART: f32 = 0.5;
const PART_SYNONYM: f32 = 0.4;

pub struct Analyzer {
    jieba: RwLock<Jieba>,
    stop: HashSet<&'static str>,
    /// Each word to the other words of its synonym sets (folded).
    synonyms: RwLock<HashMap<String, Vec<String>>>,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

pub use hotline_domain::text::fold;
use hotline_domain::text::fold_char;

/// The folded text, and for each of its byte offsets (and its end) the
/// byte offset in the original text.
fn fold_mapped(text: &str) -> (String, Vec<usize>) {
    let mut folded = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len() + 1);
    for (at, c) in text.char_indices() {
        for f in fold_char(c) {
            folded.push(f);
            origin.extend(std::iter::repeat_n(at, f.len_utf8()));
        }
    }
    origin.push(text.len());
    (folded, origin)
}

/// Whether a token carries letters or digits (not punctuation or space).
fn meaningful(token: &str) -> bool {
    token.chars().any(char::is_alphanumeric)
}

impl Analyzer {
    pub fn new() -> Self {
        Self { jieba: RwLock::new(Jieba::new()), stop: STOP_WORDS.iter().copied().collect(), synonyms: RwLock::default() }
    }

    /// Replaces the custom dictionary and the synonym sets.
    pub fn set_vocabulary(&self, vocabulary: &SearchVocabulary) {
        let mut jieba = Jieba::new();
        let words = vocabulary.terms.iter().chain(vocabulary.synonyms.iter().flat_map(|s| s.words.iter()));
        for word in words {
            let word = word.trim();
            // Only words of several characters: a one-character "word" would
            // split everything around it.
            if word.chars().count() > 1 && !word.contains(char::is_whitespace) {
                jieba.add_word(word, None, None);
            }
        }
        let mut synonyms: HashMap<String, Vec<String>> = HashMap::new();
        for set in &vocabulary.synonyms {
            let words: Vec<String> = set.words.iter().map(|w| fold(w.trim())).filter(|w| !w.is_empty()).collect();
            for word in &words {
                let others = synonyms.entry(word.clone()).or_default();
                others.extend(words.iter().filter(|w| *w != word && !others.contains(w)).cloned().collect::<Vec<_>>());
            }
        }
        *self.jieba.write().expect("jieba lock") = jieba;
        *self.synonyms.write().expect("synonym lock") = synonyms;
    }

    fn keep(&self, folded: &str) -> bool {
        meaningful(folded) && !self.stop.contains(folded)
    }

    /// The tokens a document is indexed under.
    pub fn pieces(&self, text: &str) -> Vec<Piece> {
        let jieba = self.jieba.read().expect("jieba lock");
        let (folded, origin) = fold_mapped(text);
        let mut pieces: Vec<Piece> = jieba
            .cut_for_search(&folded, true)
            .into_iter()
            .filter(|t| self.keep(t.word))
            .map(|t| Piece { text: t.word.to_owned(), start: origin[t.byte_start], end: origin[t.byte_end] })
            .collect();
        // Search mode emits a word's parts before the word (社会, 保障,
        // 社会保障); tantivy's highlighter needs tokens in order of their
        // start, or a fragment begins after a token inside it.
        pieces.sort_by_key(|p| (p.start, std::cmp::Reverse(p.end)));
        pieces
    }

    /// The words of a query, stop words dropped, each once.
    pub fn words(&self, text: &str) -> Vec<String> {
        let jieba = self.jieba.read().expect("jieba lock");
        let mut words: Vec<String> = Vec::new();
        for word in jieba.cut(&fold(text), true) {
            if self.keep(word.word) && !words.iter().any(|w| w == word.word) {
                words.push(word.word.to_owned());
            }
        }
        words
    }

    /// The query's groups of alternatives, one group per word. Besides the
    /// word, its parts and their synonyms, a group takes dictionary words
    /// that straddle its edge (厨房有煤气味 is cut 煤/气味, but 煤气 is a
    /// word): a caller's phrase can be cut more than one way.
    pub fn groups(&self, text: &str) -> Vec<Group> {
        let folded = fold(text);
        let synonyms = self.synonyms.read().expect("synonym lock");
        let jieba = self.jieba.read().expect("jieba lock");
        let parts = |word: &str| -> Vec<String> {
            jieba.cut_for_search(word, false).into_iter().map(|t| fold(t.word)).filter(|p| p != word && self.keep(p)).collect()
        };
        let mut words: Vec<(String, usize, usize)> = Vec::new();
        for t in jieba.cut(&folded, true) {
            if self.keep(t.word) && !words.iter().any(|(w, _, _)| w == t.word) {
                words.push((t.word.to_owned(), t.byte_start, t.byte_end));
            }
        }
        let straddling: Vec<(String, usize, usize)> = jieba
            .cut_all(&folded)
            .into_iter()
            .filter(|t| t.word.chars().count() > 1 && self.keep(t.word))
            .filter(|t| !words.iter().any(|(_, s, e)| *s <= t.byte_start && t.byte_end <= *e))
            .map(|t| (t.word.to_owned(), t.byte_start, t.byte_end))
            .collect();
        words
            .iter()
            .map(|(word, start, end)| {
                let mut group: Group = Vec::new();
                let mut add = |term: String, weight: f32| {
                    if !group.iter().any(|a| a.term == term) {
                        group.push(Alternative { term, weight });
                    }
                };
                add(word.clone(), WORD);
                let same = synonyms.get(word).cloned().unwrap_or_default();
                for s in &same {
                    add(s.clone(), SYNONYM);
                }
                let bridges = straddling.iter().filter(|(_, s, e)| s < end && start < e).map(|(w, _, _)| w.clone());
                for part in parts(word).into_iter().chain(bridges) {
                    for s in synonyms.get(&part).cloned().unwrap_or_default() {
                        add(s, PART_SYNONYM);
                    }
                    add(part, PART);
                }
                for s in &same {
                    for part in parts(s) {
                        add(part, PART_SYNONYM);
                    }
                }
                group
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_app::ports::SynonymSet;

    fn terms(group: &Group) -> Vec<&str> {
        group.iter().map(|a| a.term.as_str()).collect()
    }

    #[test]
    fn documents_are_cut_in_search_mode_with_offsets_into_the_original() {
        let a = Analyzer::new();
        let text = "社会保险卡遗失，如何补办？ＥＴＣ";
        let pieces = a.pieces(text);
        let words: Vec<&str> = pieces.iter().map(|p| p.text.as_str()).collect();
        assert!(words.contains(&"社会") && words.contains(&"保险") && words.contains(&"补办") && words.contains(&"etc"), "{words:?}");
        assert!(!words.contains(&"如何") && !words.contains(&"，"), "stop words and punctuation dropped: {words:?}");
        for p in &pieces {
            assert_eq!(fold(&text[p.start..p.end]), p.text);
        }
        assert!(pieces.windows(2).all(|w| w[0].start <= w[1].start), "in order of their start");
    }

    #[test]
    fn full_width_and_upper_case_fold_to_the_same_term() {
        let a = Analyzer::new();
        assert_eq!(a.words("ＥＴＣ卡"), a.words("etc卡"));
    }

    #[test]
    fn a_query_becomes_one_group_per_meaningful_word() {
        let a = Analyzer::new();
        let groups = a.groups("请问社保卡丢了怎么补办");
        let heads: Vec<&str> = groups.iter().map(|g| g[0].term.as_str()).collect();
        assert!(heads.contains(&"社保卡") && heads.contains(&"补办"), "{heads:?}");
        assert!(!heads.contains(&"请问") && !heads.contains(&"怎么"), "{heads:?}");
    }

    #[test]
    fn synonyms_and_custom_terms_apply_once_set() {
        let a = Analyzer::new();
        a.set_vocabulary(&SearchVocabulary {
            terms: vec!["松山湖".into()],
            synonyms: vec![SynonymSet { id: 1, words: vec!["社保".into(), "社会保险".into()] }],
        });
        let groups = a.groups("社保断缴");
        let first = terms(&groups[0]);
        assert_eq!(first[0], "社保");
        assert!(first.contains(&"社会保险"), "{first:?}");
        assert!(a.words("松山湖管委会").contains(&"松山湖".to_string()));
    }
}
