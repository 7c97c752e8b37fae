//! Duplicates and repeats (重复件, 重复诉求): how an open order relates to a
//! request being registered or dispatched, judged from the evidence the
//! platform gathers (how alike the words are, the place, the category, the
//! caller). A judgement is a hint with its reasons for a person to act on
//! (merge, or link), never an action taken for them.
//!
//! The thresholds come from the labelled pairs of `data/duplicates/`
//! (precision and recall in docs/intelligence.md).

use serde::Serialize;

/// Words this alike (0 to 1, the cosine of rarity-weighed word sets) make
/// a duplicate whatever else is known: 92 % precision and 92 % recall on
/// the labelled pairs.
pub const DUPLICATE_LIKENESS: f32 = 0.2;
/// Words this alike make a duplicate when the place agrees (the same
/// address, or the same town and category).
pub const PLACED_LIKENESS: f32 = 0.15;
/// Words this alike are worth showing as related.
pub const RELATED_LIKENESS: f32 = 0.1;

/// What the platform knows about a request and an earlier order together.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Evidence {
    /// How alike their words are, 0 to 1.
    pub likeness: f32,
    pub same_town: bool,
    pub same_address: bool,
    pub same_category: bool,
    /// The same caller's phone number.
    pub same_caller: bool,
}

/// How an earlier order relates to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kinship {
    /// 重复诉求: the same caller about the same matter again.
    Repeat,
    /// 疑似重复: someone reporting the same matter; merge it.
    Duplicate,
    /// 相关: alike, worth a look (a similar case, its reply).
    Related,
}

impl Kinship {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Repeat => "重复诉求",
            Self::Duplicate => "疑似重复",
            Self::Related => "相关",
        }
    }
}

impl Evidence {
    fn placed(&self) -> bool {
        self.same_address || (self.same_town && self.same_category)
    }

    /// Whether it is about the same matter.
    pub fn same_matter(&self) -> bool {
        self.likeness >= DUPLICATE_LIKENESS || (self.placed() && self.likeness >= PLACED_LIKENESS)
    }

    /// How the earlier order relates, if at all.
    pub fn kinship(&self) -> Option<Kinship> {
        if self.same_caller && (self.same_matter() || self.same_category || self.likeness >= RELATED_LIKENESS) {
            Some(Kinship::Repeat)
        } else if self.same_matter() {
            Some(Kinship::Duplicate)
        } else if self.likeness >= RELATED_LIKENESS {
            Some(Kinship::Related)
        } else {
            None
        }
    }

    /// For ranking: the words first, the place and the caller adding to
    /// them, at most 1.
    pub fn score(&self) -> f32 {
        let bonus = |yes: bool, by: f32| if yes { by } else { 0.0 };
        (self.likeness
            + bonus(self.same_address, 0.15)
            + bonus(self.same_town, 0.05)
            + bonus(self.same_category, 0.05)
            + bonus(self.same_caller, 0.2))
        .min(1.0)
    }
}

/// An address reduced to what identifies the place: letters and digits,
/// lower case (full-width folded), so 东纵路 88 号 and 东纵路88号 agree.
fn place(address: &str) -> String {
    address.chars().flat_map(crate::text::fold_char).filter(|c| c.is_alphanumeric()).collect()
}

/// Whether two addresses name the same place: equal once reduced, or one
/// holding the other when that one is specific enough (six characters or
/// more: 东城街道东纵路88号 holds 东纵路88号, but not just 东城).
pub fn same_address(a: &str, b: &str) -> bool {
    let (a, b) = (place(a), place(b));
    let (short, long) = if a.chars().count() <= b.chars().count() { (a, b) } else { (b, a) };
    !short.is_empty() && (short == long || (short.chars().count() >= 6 && long.contains(&short)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(likeness: f32) -> Evidence {
        Evidence { likeness, ..Evidence::default() }
    }

    #[test]
    fn alike_words_make_a_duplicate_and_a_known_place_needs_fewer() {
        assert_eq!(words(DUPLICATE_LIKENESS).kinship(), Some(Kinship::Duplicate));
        assert_eq!(words(PLACED_LIKENESS).kinship(), Some(Kinship::Related));
        let placed = Evidence { same_address: true, ..words(PLACED_LIKENESS) };
        assert_eq!(placed.kinship(), Some(Kinship::Duplicate));
        let town_and_kind = Evidence { same_town: true, same_category: true, ..words(PLACED_LIKENESS) };
        assert_eq!(town_and_kind.kinship(), Some(Kinship::Duplicate));
        let town_only = Evidence { same_town: true, ..words(PLACED_LIKENESS) };
        assert_eq!(town_only.kinship(), Some(Kinship::Related));
        assert_eq!(words(RELATED_LIKENESS - 0.01).kinship(), None);
    }

    #[test]
    fn the_same_caller_on_the_same_matter_is_a_repeat() {
        let again = Evidence { same_caller: true, same_category: true, ..words(0.05) };
        assert_eq!(again.kinship(), Some(Kinship::Repeat));
        let alike = Evidence { same_caller: true, ..words(RELATED_LIKENESS) };
        assert_eq!(alike.kinship(), Some(Kinship::Repeat));
        let other_matter = Evidence { same_caller: true, ..words(0.05) };
        assert_eq!(other_matter.kinship(), None, "a caller's unrelated earlier order is no repeat");
    }

    #[test]
    fn the_score_ranks_by_words_then_place_and_caller() {
        let near = Evidence { same_address: true, same_caller: true, same_town: true, same_category: true, ..words(0.9) };
        assert_eq!(near.score(), 1.0);
        assert!(Evidence { same_town: true, ..words(0.3) }.score() > words(0.3).score());
    }

    #[test]
    fn addresses_agree_once_spacing_and_width_are_ignored() {
        assert!(same_address("东纵路 88 号", "东纵路８８号"));
        assert!(same_address("东城街道东纵路88号", "东纵路88号"));
        assert!(!same_address("东城", "东城街道东纵路88号"), "too vague to hold");
        assert!(!same_address("东纵路88号", "东纵路86号"));
        assert!(!same_address("", ""));
    }
}
