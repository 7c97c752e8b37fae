//! Words that signal danger to life (gas, fire, collapse, self-harm …),
//! however a caller puts them: a lexicon of the ways each danger is said on
//! the phone, to suggest the urgency it calls for and to let an emergency
//! linkage rule written with one phrase (燃气泄漏) match the others (一股液化气味).
//!
//! Only phrases that say the danger itself are listed: 漏气 alone is as
//! often a tyre, 冒烟 a chimney, 中毒 alone both food and a gas heater (a
//! gas heater's 煤气中毒 is gas, not food safety), 被困 also 被困扰 and
//! 炸了 also 气炸了, so they are not here.
//! A match is a hint for the consultant; what is registered stays theirs.
//! Administrators may replace the shipped lexicon with their own (a city's
//! own ways of saying things); [`DangerLexicon::parse`] keeps it sound.

use crate::validation::{FieldError, ValidationErrors};
use crate::work_order::Urgency;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One kind of danger and the ways it is said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DangerKind {
    /// Its name on the desk.
    pub name: String,
    pub urgency: Urgency,
    pub phrases: Vec<String>,
}

/// The lexicon shipped with the platform, until administrators save their own.
const SHIPPED: &[(&str, Urgency, &[&str])] = &[
    (
        "燃气",
        Urgency::Critical,
        &[
            "燃气泄漏",
            "煤气泄漏",
            "天然气泄漏",
            "液化气泄漏",
            "煤气泄露",
            "燃气泄露",
            "煤气味",
            "燃气味",
            "天然气味",
            "液化气味",
            "闻到煤气",
            "闻到燃气",
            "闻到天然气",
            "气罐漏气",
            "煤气罐漏气",
            "煤气中毒",
            "一氧化碳中毒",
        ],
    ),
    ("火情", Urgency::Critical, &["火灾", "着火", "起火", "失火", "烧起来", "火苗", "火光", "爆炸"]),
    (
        "坍塌",
        Urgency::Critical,
        &["倒塌", "坍塌", "塌方", "要塌了", "快塌了", "塌下来", "地面塌陷", "山体滑坡", "墙体开裂", "房屋开裂", "楼房开裂"],
    ),
    ("轻生", Urgency::Critical, &["自杀", "轻生", "不想活", "活不下去", "跳楼", "割腕", "寻死", "喝农药", "喝了农药"]),
    ("食物中毒", Urgency::Urgent, &["食物中毒", "集体中毒", "上吐下泻", "吃完呕吐", "吃了以后呕吐", "吃坏肚子"]),
    ("触电", Urgency::Urgent, &["触电", "漏电", "电线裸露", "电线掉落", "电线掉下来", "高压线断"]),
    ("被困", Urgency::Urgent, &["人被困", "被困在", "困在电梯", "电梯困人", "关在电梯"]),
    ("内涝", Urgency::Urgent, &["内涝", "水浸街", "积水很深", "水淹", "被淹", "水漫进"]),
];

/// Kinds a lexicon holds at most.
pub const MAX_KINDS: usize = 32;
/// Phrases a kind holds at most.
pub const MAX_PHRASES: usize = 100;
/// A phrase's length, in characters: one character says too little
/// matched anywhere in a text.
const PHRASE_CHARS: std::ops::RangeInclusive<usize> = 2..=20;

/// The kinds of danger and the ways each is said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DangerLexicon {
    kinds: Vec<DangerKind>,
}

impl Default for DangerLexicon {
    fn default() -> Self {
        Self::shipped()
    }
}

impl DangerLexicon {
    /// The lexicon shipped with the platform.
    pub fn shipped() -> Self {
        Self {
            kinds: SHIPPED
                .iter()
                .map(|(name, urgency, phrases)| DangerKind {
                    name: (*name).to_owned(),
                    urgency: *urgency,
                    phrases: phrases.iter().map(|p| (*p).to_owned()).collect(),
                })
                .collect(),
        }
    }

    /// A lexicon an administrator wrote: names given once, each kind urgent
    /// or critical (a danger that asks for nothing is no danger), phrases of
    /// 2 to 20 characters without spaces (they are matched with the spaces
    /// of a text taken out), each in one kind only, since a phrase in two
    /// kinds would join their linkage rules.
    pub fn parse(kinds: Vec<DangerKind>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if kinds.len() > MAX_KINDS {
            errors.push(FieldError::coded("kinds", "too_many", format!("at most {MAX_KINDS} kinds")).with_limit(MAX_KINDS));
        }
        // Where each name and phrase was first given (a kind's position, from 1).
        let (mut names, mut seen): (HashMap<String, usize>, HashMap<String, usize>) = Default::default();
        let mut parsed = Vec::with_capacity(kinds.len());
        for (i, kind) in kinds.into_iter().enumerate() {
            let field = |part: &str| format!("kinds[{i}].{part}");
            let name = kind.name.trim().to_owned();
            if name.is_empty() {
                errors.push(FieldError::coded(field("name"), "empty", "must not be empty"));
            } else if name.chars().count() > 20 {
                errors.push(FieldError::coded(field("name"), "too_long", "at most 20 characters").with_limit(20));
            } else if let Some(first) = names.get(&name) {
                errors.push(
                    FieldError::coded(field("name"), "duplicate", format!("{name} is the name of kind {first} too")).with_other(*first),
                );
            } else {
                names.insert(name.clone(), i + 1);
            }
            if kind.urgency == Urgency::Normal {
                errors.push(FieldError::coded(field("urgency"), "unknown_value", "a danger is urgent or critical"));
            }
            let mut phrases: Vec<String> = Vec::new();
            for (j, phrase) in kind.phrases.iter().enumerate() {
                let phrase = phrase.trim();
                let at = field(&format!("phrases[{j}]"));
                if phrase.is_empty() {
                    continue;
                } else if !PHRASE_CHARS.contains(&phrase.chars().count()) || phrase.chars().any(char::is_whitespace) {
                    errors.push(FieldError::coded(at, "phrase", format!("{phrase}: 2 to 20 characters without spaces")));
                } else if let Some(first) = seen.get(phrase) {
                    let message = format!("{phrase} is in kind {first} too; a phrase belongs to one kind");
                    errors.push(FieldError::coded(at, "duplicate", message).with_other(*first));
                } else {
                    seen.insert(phrase.to_owned(), i + 1);
                    phrases.push(phrase.to_owned());
                }
            }
            if phrases.is_empty() {
                errors.push(FieldError::coded(field("phrases"), "empty", "give at least one phrase"));
            } else if phrases.len() > MAX_PHRASES {
                errors.push(
                    FieldError::coded(field("phrases"), "too_many", format!("at most {MAX_PHRASES} phrases")).with_limit(MAX_PHRASES),
                );
            }
            parsed.push(DangerKind { name, urgency: kind.urgency, phrases });
        }
        errors.into_result().map(|()| Self { kinds: parsed })
    }

    pub fn kinds(&self) -> &[DangerKind] {
        &self.kinds
    }

    /// The dangers a text speaks of, each kind once (the first phrase
    /// found), the gravest first.
    pub fn dangers(&self, text: &str) -> Vec<Danger> {
        let text = squeezed(text);
        let mut found: Vec<Danger> = self
            .kinds
            .iter()
            .filter_map(|k| {
                k.phrases.iter().find(|p| text.contains(p.as_str())).map(|p| Danger {
                    kind: k.name.clone(),
                    urgency: k.urgency,
                    phrase: p.clone(),
                })
            })
            .collect();
        found.sort_by_key(|d| std::cmp::Reverse(d.urgency));
        found
    }

    /// Every phrase of the kinds that say `keyword`: a rule's keyword and
    /// the other ways of saying the same danger. Empty when the lexicon
    /// does not know the keyword.
    pub fn alike<'a>(&'a self, keyword: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.kinds.iter().filter(move |k| k.phrases.iter().any(|p| p == keyword)).flat_map(|k| k.phrases.iter().map(String::as_str))
    }
}

/// A danger found in a text: its kind and the phrase that said it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Danger {
    pub kind: String,
    pub urgency: Urgency,
    pub phrase: String,
}

/// Spaces and full-width spaces out, so 煤 气 味 reads as 煤气味.
pub fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The urgency the dangers in a text call for, if any.
pub fn suggested_urgency(found: &[Danger]) -> Option<Urgency> {
    found.iter().map(|d| d.urgency).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(name: &str, urgency: Urgency, phrases: &[&str]) -> DangerKind {
        DangerKind { name: name.into(), urgency, phrases: phrases.iter().map(|p| (*p).to_owned()).collect() }
    }

    #[test]
    fn dangers_are_found_however_put_gravest_first_each_kind_once() {
        let lexicon = DangerLexicon::shipped();
        let found = lexicon.dangers("楼道里一股液化气味，门口电线裸露，闻到煤气了");
        let said: Vec<(&str, &str)> = found.iter().map(|d| (d.kind.as_str(), d.phrase.as_str())).collect();
        assert_eq!(said, [("燃气", "液化气味"), ("触电", "电线裸露")]);
        assert_eq!(suggested_urgency(&found), Some(Urgency::Critical));
        assert_eq!(lexicon.dangers("煤 气 味很重")[0].phrase, "煤气味", "spaces do not hide it");
        assert!(lexicon.dangers("路灯不亮，轮胎漏气，烟囱冒烟").is_empty(), "everyday words are no danger");
        let alike = lexicon.dangers("长期被噪音困扰，我们被困扰很久了，真是气炸了");
        assert!(alike.is_empty(), "nor words that only look alike: {alike:?}");
        assert_eq!(lexicon.dangers("有人被困在电梯里")[0].kind, "被困");
        assert_eq!(suggested_urgency(&lexicon.dangers("好多人吃了食堂的饭上吐下泻")), Some(Urgency::Urgent));
        assert_eq!(suggested_urgency(&[]), None);
    }

    #[test]
    fn a_keywords_alike_phrases_are_those_of_its_kind_only() {
        let lexicon = DangerLexicon::shipped();
        assert!(lexicon.alike("燃气泄漏").any(|p| p == "液化气味"));
        assert!(lexicon.alike("食物中毒").any(|p| p == "上吐下泻"));
        assert!(!lexicon.alike("食物中毒").any(|p| p == "煤气中毒"), "a gas heater's poisoning is no food safety matter");
        assert_eq!(lexicon.alike("不在词表").count(), 0);
    }

    #[test]
    fn the_shipped_lexicon_is_one_an_administrator_could_write() {
        let shipped = DangerLexicon::shipped();
        assert_eq!(DangerLexicon::parse(shipped.kinds().to_vec()), Ok(shipped), "names once, phrases in one kind each");
    }

    #[test]
    fn an_administrators_lexicon_is_refused_naming_each_problem() {
        let own = DangerLexicon::parse(vec![kind(" 燃气 ", Urgency::Critical, &[" 煤气好臭 ", "", "煤气味"])]).unwrap();
        assert_eq!(own.kinds()[0].name, "燃气");
        assert_eq!(own.kinds()[0].phrases, ["煤气好臭", "煤气味"], "trimmed, empty lines dropped");
        assert_eq!(own.dangers("楼下煤气好臭")[0].kind, "燃气");
        let errors = DangerLexicon::parse(vec![
            kind("燃气", Urgency::Normal, &["煤气味", "气"]),
            kind("燃气", Urgency::Urgent, &["煤气味", "煤 气"]),
            kind("", Urgency::Urgent, &[]),
        ])
        .unwrap_err();
        let fields: Vec<String> = errors.0.iter().map(|e| format!("{} {}: {}", e.field, e.code, e.message)).collect();
        for expected in [
            "kinds[0].urgency unknown_value: a danger is urgent or critical",
            "kinds[0].phrases[1] phrase: 气: 2 to 20 characters without spaces",
            "kinds[1].name duplicate: 燃气 is the name of kind 1 too",
            "kinds[1].phrases[0] duplicate: 煤气味 is in kind 1 too; a phrase belongs to one kind",
            "kinds[1].phrases[1] phrase: 煤 气: 2 to 20 characters without spaces",
            "kinds[1].phrases empty: give at least one phrase",
            "kinds[2].name empty: must not be empty",
            "kinds[2].phrases empty: give at least one phrase",
        ] {
            assert!(fields.iter().any(|f| f == expected), "{expected} not in {fields:?}");
        }
        assert_eq!(errors.0.iter().find(|e| e.field == "kinds[1].phrases[0]").and_then(|e| e.other), Some(1), "the kind it is in");
        let many: Vec<DangerKind> = (0..=MAX_KINDS).map(|i| kind(&format!("危险{i}"), Urgency::Urgent, &[&format!("危险词{i}")])).collect();
        assert!(DangerLexicon::parse(many).unwrap_err().0.iter().any(|e| e.field == "kinds"));
    }
}
