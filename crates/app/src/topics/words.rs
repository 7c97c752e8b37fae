//! The hot topics' words: each distinct word of the orders held kept once
//! and coded as a number, and each word's rarity in ordinary times.
//!
//! An order holds its words as codes, 4 bytes each instead of a 16-byte
//! handle on a shared string (the words were most of what the fortnight's
//! orders cost), and a refresh groups them by code: it neither hashes a
//! word nor copies an order's words.

use crate::error::{AppError, AppResult};
use crate::knowledge::index::SearchEngine;
use hotline_domain::topics::Lexicon;
use std::collections::HashMap;
use std::sync::Arc;

/// The words of the orders held, by code.
#[derive(Default)]
pub struct TopicWords {
    codes: HashMap<Arc<str>, u32>,
    /// By code; a code no order uses any more is empty until it is given again.
    texts: Vec<Arc<str>>,
    /// The held orders using each word, as of the last [`TopicWords::count`].
    uses: Vec<u32>,
    free: Vec<u32>,
}

impl TopicWords {
    /// An order's words as codes, each new word given a code (an empty
    /// word says nothing and marks a code let go, so it is left out).
    pub fn code(&mut self, words: Vec<String>) -> Arc<[u32]> {
        words
            .into_iter()
            .filter(|w| !w.is_empty())
            .map(|w| {
                if let Some(code) = self.codes.get(w.as_str()) {
                    return *code;
                }
                let text: Arc<str> = w.into();
                let code = match self.free.pop() {
                    Some(code) => {
                        self.texts[code as usize] = text.clone();
                        code
                    }
                    None => {
                        self.texts.push(text.clone());
                        self.uses.push(0);
                        (self.texts.len() - 1) as u32
                    }
                };
                self.codes.insert(text, code);
                code
            })
            .collect()
    }

    /// Counts the orders held using each word (`held`: every order's
    /// words), and lets go the words none of them uses.
    pub fn count<'a>(&mut self, held: impl Iterator<Item = &'a [u32]>) {
        self.uses.iter_mut().for_each(|n| *n = 0);
        held.flatten().for_each(|code| self.uses[*code as usize] += 1);
        let empty: Arc<str> = Arc::from("");
        for (code, n) in self.uses.iter().enumerate() {
            if *n == 0 && !self.texts[code].is_empty() {
                self.codes.remove(&self.texts[code]);
                self.texts[code] = empty.clone();
                self.free.push(code as u32);
            }
        }
    }

    /// What weighing the words of `grouped` needs, taken out of the memory
    /// so that the index is asked off the async threads: those words with
    /// how many held orders use them (`held` orders in all, as counted
    /// last), and every word's text.
    pub fn weighing<'a>(&self, held: usize, grouped: impl Iterator<Item = &'a [u32]>) -> Weighing {
        let mut asked = vec![false; self.texts.len()];
        grouped.flatten().for_each(|code| asked[*code as usize] = true);
        let asked = asked.iter().enumerate().filter(|(_, a)| **a).map(|(code, _)| (code as u32, self.uses[code])).collect();
        Weighing { asked, texts: self.texts.clone(), held: held as u64 }
    }

    /// How many distinct words are held.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

/// The words of a grouping to weigh ([`TopicWords::weighing`]).
pub struct Weighing {
    /// (code, held orders using it)
    asked: Vec<(u32, u32)>,
    texts: Vec<Arc<str>>,
    held: u64,
}

impl Weighing {
    /// Each asked word's rarity in ordinary times, by code: in the engine's
    /// background (the indexed orders and the engine's own corpus) without
    /// the orders of the last two weeks held here, whose surges would
    /// otherwise make their own words look common. Words not asked weigh 0.
    pub fn weights(&self, engine: &dyn SearchEngine) -> AppResult<Vec<f32>> {
        let words: Vec<String> = self.asked.iter().map(|(code, _)| self.texts[*code as usize].to_string()).collect();
        let (documents, counts) = engine.word_documents(&words).map_err(|e| AppError::Unavailable(e.to_string()))?;
        let ordinary = documents.saturating_sub(self.held);
        let mut weights = vec![0.0; self.texts.len()];
        for ((code, recent), n) in self.asked.iter().zip(counts) {
            weights[*code as usize] = hotline_domain::topics::rarity(ordinary, n.saturating_sub(u64::from(*recent)));
        }
        Ok(weights)
    }

    /// The words' texts with `weights`, for the grouping.
    pub fn lexicon<'a>(&'a self, weights: &'a [f32]) -> Lexicon<'a, Arc<str>> {
        Lexicon { texts: &self.texts, weights }
    }

    /// How many words are asked.
    pub fn asked(&self) -> usize {
        self.asked.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_word_is_coded_once_counted_by_the_orders_using_it_and_let_go_when_none_does() {
        let mut words = TopicWords::default();
        let first = words.code(vec!["水浸".into(), "东城".into()]);
        let second = words.code(vec!["水浸".into(), String::new(), "积水".into()]);
        assert_eq!(first[0], second[0], "one code for both orders");
        assert_eq!(second.len(), 2, "no code for an empty word");
        assert_eq!(words.len(), 3);
        // Only the second order is still held.
        words.count([&*second].into_iter());
        assert_eq!(words.len(), 2, "东城 let go");
        let weighing = words.weighing(1, [&*second].into_iter());
        assert_eq!(weighing.asked, vec![(second[0], 1), (second[1], 1)]);
        assert_eq!(&*weighing.texts[first[1] as usize], "", "no text behind a code let go");
        // The code let go is given to the next new word, which has no uses until counted.
        let third = words.code(vec!["停电".into(), "水浸".into()]);
        assert_eq!(third[0], first[1]);
        assert_eq!(third[1], second[0]);
        words.count([&*second, &*third].into_iter());
        let weighing = words.weighing(2, [&*third].into_iter());
        assert_eq!(weighing.asked, vec![(second[0], 2), (third[0], 1)], "by code");
        assert_eq!(&*weighing.texts[third[0] as usize], "停电");
    }
}
