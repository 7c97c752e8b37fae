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

use crate::work_order::Urgency;
use serde::Serialize;

/// One kind of danger and the ways it is said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DangerKind {
    /// Its name on the desk.
    pub name: &'static str,
    pub urgency: Urgency,
    pub phrases: &'static [&'static str],
}

pub const LEXICON: &[DangerKind] = &[
    DangerKind {
        name: "燃气",
        urgency: Urgency::Critical,
        phrases: &[
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
    },
    DangerKind {
        name: "火情", urgency: Urgency::Critical, phrases: &["火灾", "着火", "起火", "失火", "烧起来", "火苗", "火光", "爆炸"]
    },
    DangerKind {
        name: "坍塌",
        urgency: Urgency::Critical,
        phrases: &["倒塌", "坍塌", "塌方", "要塌了", "快塌了", "塌下来", "地面塌陷", "山体滑坡", "墙体开裂", "房屋开裂", "楼房开裂"],
    },
    DangerKind {
        name: "轻生",
        urgency: Urgency::Critical,
        phrases: &["自杀", "轻生", "不想活", "活不下去", "跳楼", "割腕", "寻死", "喝农药", "喝了农药"],
    },
    DangerKind {
        name: "食物中毒",
        urgency: Urgency::Urgent,
        phrases: &["食物中毒", "集体中毒", "上吐下泻", "吃完呕吐", "吃了以后呕吐", "吃坏肚子"],
    },
    DangerKind {
        name: "触电", urgency: Urgency::Urgent, phrases: &["触电", "漏电", "电线裸露", "电线掉落", "电线掉下来", "高压线断"]
    },
    DangerKind {
        name: "被困", urgency: Urgency::Urgent, phrases: &["人被困", "被困在", "困在电梯", "电梯困人", "关在电梯"]
    },
    DangerKind {
        name: "内涝", urgency: Urgency::Urgent, phrases: &["内涝", "水浸街", "积水很深", "水淹", "被淹", "水漫进"]
    },
];

/// A danger found in a text: its kind and the phrase that said it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Danger {
    pub kind: &'static str,
    pub urgency: Urgency,
    pub phrase: &'static str,
}

/// Spaces and full-width spaces out, so 煤 气 味 reads as 煤气味.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The dangers a text speaks of, each kind once (the first phrase found),
/// the gravest first.
pub fn dangers(text: &str) -> Vec<Danger> {
    let text = squeezed(text);
    let mut found: Vec<Danger> = LEXICON
        .iter()
        .filter_map(|k| k.phrases.iter().find(|p| text.contains(**p)).map(|p| Danger { kind: k.name, urgency: k.urgency, phrase: p }))
        .collect();
    found.sort_by_key(|d| std::cmp::Reverse(d.urgency));
    found
}

/// The urgency the dangers in a text call for, if any.
pub fn suggested_urgency(found: &[Danger]) -> Option<Urgency> {
    found.iter().map(|d| d.urgency).max()
}

/// Every phrase of the kinds that say `keyword`: a rule's keyword and the
/// other ways of saying the same danger. Empty when the lexicon does not
/// know the keyword.
pub fn alike(keyword: &str) -> impl Iterator<Item = &'static str> + '_ {
    LEXICON.iter().filter(move |k| k.phrases.contains(&keyword)).flat_map(|k| k.phrases.iter().copied())
}

/// Whether a text says `keyword`, in its words or in another phrase of the
/// same danger.
pub fn says(text: &str, keyword: &str) -> bool {
    text.contains(keyword) || {
        let text = squeezed(text);
        text.contains(keyword) || alike(keyword).any(|p| text.contains(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dangers_are_found_however_put_gravest_first_each_kind_once() {
        let found = dangers("楼道里一股液化气味，门口电线裸露，闻到煤气了");
        assert_eq!(found.iter().map(|d| (d.kind, d.phrase)).collect::<Vec<_>>(), [("燃气", "液化气味"), ("触电", "电线裸露")]);
        assert_eq!(suggested_urgency(&found), Some(Urgency::Critical));
        assert_eq!(dangers("煤 气 味很重")[0].phrase, "煤气味", "spaces do not hide it");
        assert!(dangers("路灯不亮，轮胎漏气，烟囱冒烟").is_empty(), "everyday words are no danger");
        let alike = dangers("长期被噪音困扰，我们被困扰很久了，真是气炸了");
        assert!(alike.is_empty(), "nor words that only look alike: {alike:?}");
        assert_eq!(dangers("有人被困在电梯里")[0].kind, "被困");
        assert_eq!(suggested_urgency(&dangers("好多人吃了食堂的饭上吐下泻")), Some(Urgency::Urgent));
        assert_eq!(suggested_urgency(&[]), None);
    }

    #[test]
    fn a_rules_keyword_matches_the_other_ways_of_saying_its_danger() {
        assert!(says("楼道里一股液化气味", "燃气泄漏"));
        assert!(says("好多人吃了食堂的饭上吐下泻", "食物中毒"));
        assert!(!says("家里煤气中毒了", "食物中毒"), "a gas heater's poisoning is no food safety matter");
        assert!(says("家里煤气中毒了", "燃气泄漏"));
        assert!(says("发现有人偷排污水", "偷排"), "a keyword the lexicon does not know still matches itself");
        assert!(!says("路灯不亮", "燃气泄漏"));
        assert_eq!(alike("不在词表").count(), 0);
    }

    #[test]
    fn every_phrase_belongs_to_one_kind() {
        let mut all: Vec<&str> = LEXICON.iter().flat_map(|k| k.phrases.iter().copied()).collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "a phrase in two kinds would join unrelated rules");
    }
}
