//! The analyzer as a tantivy tokenizer, so tantivy indexes and highlights
//! with exactly the terms the queries are built from.

use crate::analyzer::Analyzer;
use std::sync::Arc;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The name the tokenizer is registered under in each index.
pub const NAME: &str = "zh";

#[derive(Clone)]
pub struct ChineseTokenizer(pub Arc<Analyzer>);

pub struct Pieces {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for Pieces {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for ChineseTokenizer {
    type TokenStream<'a> = Pieces;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Pieces {
        let tokens = self
            .0
            .pieces(text)
            .into_iter()
            .enumerate()
            .map(|(position, p)| Token { offset_from: p.start, offset_to: p.end, position, text: p.text, position_length: 1 })
            .collect();
        Pieces { tokens, next: 0 }
    }
}
