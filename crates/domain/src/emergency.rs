//! Emergency linkage (应急联动): rules that link categories and keywords to
//! the partner units told at once when an order matches, and the surge
//! rule that turns many minor orders into an early warning (预警, see
//! [`crate::surge`]).

use crate::danger::DangerLexicon;
use crate::ids::{CategoryId, UnitId};
use crate::validation::{FieldError, ValidationErrors};
use crate::work_order::Urgency;
use serde::{Deserialize, Serialize};

/// A linkage rule as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmergencyRule {
    #[serde(serialize_with = "crate::ids::id_text")]
    pub id: i64,
    #[serde(flatten)]
    pub spec: RuleSpec,
}

/// What an administrator writes; valid by construction through [`RuleSpec::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// E.g. 燃气泄漏.
    pub name: String,
    /// Words that, found in the subject or description, make an order match.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Categories whose orders (with everything below them) match.
    #[serde(default)]
    pub categories: Vec<CategoryId>,
    /// Units told: the emergency office, disease control, ecology and
    /// environment, market regulation …
    #[serde(default)]
    pub partners: Vec<UnitId>,
    /// Also tell the town, subdistrict or park where the matter is.
    #[serde(default)]
    pub town: bool,
    /// Minutes a partner has to acknowledge before the alert escalates.
    #[serde(default = "default_ack_minutes")]
    pub ack_minutes: u32,
    /// The urgency a matching order gets at least, so its citizen is
    /// promised the emergency's time, not an ordinary order's.
    #[serde(default = "default_urgency")]
    pub urgency: Urgency,
    #[serde(default = "active_by_default")]
    pub active: bool,
}

pub const MAX_KEYWORDS: usize = 50;

fn default_ack_minutes() -> u32 {
    15
}

fn default_urgency() -> Urgency {
    Urgency::Urgent
}

fn active_by_default() -> bool {
    true
}
pub const MAX_ACK_MINUTES: u32 = 24 * 60;

impl RuleSpec {
    /// Checks a rule: a name, something to match on, someone to tell, and an
    /// acknowledgement time of 1 to 1,440 minutes.
    pub fn parse(mut self) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() || self.name.chars().count() > 50 {
            errors.push(FieldError::new("name", "must be 1 to 50 characters"));
        }
        self.keywords = self.keywords.iter().map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()).collect();
        self.keywords.dedup();
        if self.keywords.len() > MAX_KEYWORDS || self.keywords.iter().any(|k| k.chars().count() > 20) {
            errors.push(FieldError::new("keywords", format!("at most {MAX_KEYWORDS} keywords of at most 20 characters")));
        }
        if self.keywords.is_empty() && self.categories.is_empty() {
            errors.push(FieldError::new("keywords", "give keywords or categories for the rule to match"));
        }
        if self.partners.is_empty() && !self.town {
            errors.push(FieldError::new("partners", "name the partner units to tell, or set town"));
        }
        if !(1..=MAX_ACK_MINUTES).contains(&self.ack_minutes) {
            errors.push(FieldError::new("ack_minutes", format!("must be between 1 and {MAX_ACK_MINUTES}")));
        }
        errors.into_result().map(|()| self)
    }
}

/// What the linkage rules say of an order at registration: which rules it
/// matched, the urgency they ask for and the partner units that may read
/// it and add their own progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyMark {
    pub rules: Vec<MatchedRule>,
    /// The highest urgency of the matched rules.
    pub urgency: Urgency,
    pub partners: Vec<UnitId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedRule {
    #[serde(serialize_with = "crate::ids::id_text", deserialize_with = "crate::ids::id_read")]
    pub id: i64,
    pub name: String,
}

impl EmergencyMark {
    /// The mark of an order in a category (given with its ancestors) with
    /// this text in `town`; none when no active rule matches.
    pub fn of(rules: &[EmergencyRule], lineage: &[CategoryId], text: &str, town: Option<UnitId>) -> Option<Self> {
        let matching: Vec<&EmergencyRule> = rules.iter().filter(|r| r.matches(lineage, text)).collect();
        let urgency = matching.iter().map(|r| r.spec.urgency).max()?;
        let mut partners = Vec::new();
        for unit in matching.iter().flat_map(|r| r.recipients(town)) {
            if !partners.contains(&unit) {
                partners.push(unit);
            }
        }
        let rules = matching.iter().map(|r| MatchedRule { id: r.id, name: r.spec.name.clone() }).collect();
        Some(Self { rules, urgency, partners })
    }
}

impl EmergencyRule {
    /// Whether an order in a category (given with its ancestors) with this
    /// text matches. Keywords are matched as substrings (Chinese has no
    /// spaces, and an emergency word is rare enough not to need
    /// segmentation), in the text as written or with its spaces taken out
    /// (煤 气 味); see [`Self::widened`] for the other ways of saying them.
    pub fn matches(&self, lineage: &[CategoryId], text: &str) -> bool {
        if !self.spec.active {
            return false;
        }
        if self.spec.categories.iter().any(|c| lineage.contains(c)) {
            return true;
        }
        let keywords = &self.spec.keywords;
        keywords.iter().any(|k| text.contains(k.as_str())) || {
            let squeezed = crate::danger::squeezed(text);
            keywords.iter().any(|k| squeezed.contains(k.as_str()))
        }
    }

    /// The rule with its keywords widened, as it matches:
    /// - by the danger lexicon: a keyword that is one of a danger's phrases
    ///   adds the others (燃气泄漏 also matches 一股液化气味);
    /// - by the search vocabulary's synonym sets: a set holding one of its
    ///   keywords adds its other words, so a rule written with 井盖不见 also
    ///   matches 没有井盖 once the knowledge base's editors say they mean
    ///   the same. Words of one character are not added: matched anywhere
    ///   in a text, they say too little.
    pub fn widened(mut self, synonym_sets: &[Vec<String>], lexicon: &DangerLexicon) -> Self {
        let mut added: Vec<String> = Vec::new();
        for set in synonym_sets.iter().filter(|set| set.iter().any(|w| self.spec.keywords.contains(w))) {
            for word in set {
                if word.chars().count() >= 2 && !self.spec.keywords.contains(word) && !added.contains(word) {
                    added.push(word.clone());
                }
            }
        }
        self.spec.keywords.extend(added);
        let phrases: Vec<String> = self
            .spec
            .keywords
            .iter()
            .flat_map(|k| lexicon.alike(k))
            .filter(|p| !self.spec.keywords.iter().any(|k| k == p))
            .map(str::to_owned)
            .collect();
        for phrase in phrases {
            if !self.spec.keywords.contains(&phrase) {
                self.spec.keywords.push(phrase);
            }
        }
        self
    }

    /// The units to tell about an order in `town`, each once.
    pub fn recipients(&self, town: Option<UnitId>) -> Vec<UnitId> {
        let mut out = self.spec.partners.clone();
        if self.spec.town
            && let Some(t) = town
            && !out.contains(&t)
        {
            out.push(t);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::danger::DangerKind;

    fn gas() -> EmergencyRule {
        let spec = RuleSpec {
            name: " 燃气泄漏 ".into(),
            keywords: vec!["燃气泄漏".into(), " 煤气味 ".into(), "".into()],
            categories: vec![CategoryId(70)],
            partners: vec![UnitId(1)],
            town: true,
            ack_minutes: 15,
            urgency: Urgency::Critical,
            active: true,
        };
        EmergencyRule { id: 1, spec: spec.parse().unwrap() }
    }

    #[test]
    fn the_vocabularys_synonyms_widen_a_rules_keywords() {
        let rule = EmergencyRule {
            id: 2,
            spec: RuleSpec { name: "井盖缺失".into(), keywords: vec!["井盖不见".into()], ..gas().spec }.parse().unwrap(),
        };
        let text = "路口没有井盖，晚上很危险";
        assert!(!rule.matches(&[], text));
        let sets = vec![vec!["没有井盖".to_owned(), "井盖不见".to_owned(), "盖".to_owned()], vec!["停水".to_owned(), "断水".to_owned()]];
        let widened = rule.widened(&sets, &DangerLexicon::shipped());
        assert!(widened.matches(&[], text));
        assert_eq!(widened.spec.keywords, ["井盖不见", "没有井盖"], "one character and unrelated sets are not added");
        assert!(!widened.matches(&[], "小区断水了"));
    }

    #[test]
    fn matches_by_keyword_or_category_and_tells_each_unit_once() {
        let rule = gas();
        assert_eq!((rule.spec.name.as_str(), rule.spec.keywords.len()), ("燃气泄漏", 2));
        assert!(rule.matches(&[CategoryId(5)], "楼道里有很重的煤气味，怕爆炸"));
        assert!(rule.matches(&[CategoryId(71), CategoryId(70)], "安全隐患"), "a category below the rule's");
        assert!(!rule.matches(&[CategoryId(5)], "路灯不亮"));
        assert!(!rule.matches(&[CategoryId(5)], "厨房一股液化气味"), "as written");
        let widened = rule.clone().widened(&[], &DangerLexicon::shipped());
        assert!(widened.matches(&[CategoryId(5)], "厨房一股液化气味"), "the danger put in other words");
        assert!(widened.matches(&[CategoryId(5)], "厨房 一股 液化 气味"), "spaces do not hide it");
        assert!(!widened.matches(&[CategoryId(5)], "家里煤气灶打不着火"));
        // A city's own lexicon: its phrase widens the rule, the shipped ones no longer do.
        let own = DangerLexicon::parse(vec![DangerKind {
            name: "燃气".into(),
            urgency: Urgency::Critical,
            phrases: vec!["煤气味".into(), "煤气好臭".into()],
        }])
        .unwrap();
        let widened = rule.clone().widened(&[], &own);
        assert!(widened.matches(&[CategoryId(5)], "楼下煤气好臭") && !widened.matches(&[CategoryId(5)], "厨房一股液化气味"));
        assert_eq!(rule.recipients(Some(UnitId(100))), vec![UnitId(1), UnitId(100)]);
        assert_eq!(rule.recipients(Some(UnitId(1))), vec![UnitId(1)]);
        assert_eq!(rule.recipients(None), vec![UnitId(1)]);
        let off = EmergencyRule { spec: RuleSpec { active: false, ..rule.spec.clone() }, ..rule };
        assert!(!off.matches(&[CategoryId(70)], "燃气泄漏"));
    }

    #[test]
    fn a_mark_names_every_matching_rule_with_the_highest_urgency_and_each_partner_once() {
        let gas = gas();
        let flood = EmergencyRule {
            id: 2,
            spec: RuleSpec {
                name: "内涝".into(),
                keywords: vec!["水浸街".into()],
                urgency: Urgency::Urgent,
                partners: vec![UnitId(1), UnitId(3)],
                ..gas.spec.clone()
            },
        };
        let rules = [gas, flood];
        assert_eq!(EmergencyMark::of(&rules, &[CategoryId(5)], "路灯不亮", Some(UnitId(100))), None);
        let mark = EmergencyMark::of(&rules, &[CategoryId(5)], "水浸街，还闻到煤气味", Some(UnitId(100))).unwrap();
        let names: Vec<&str> = mark.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["燃气泄漏", "内涝"]);
        assert_eq!(mark.urgency, Urgency::Critical);
        assert_eq!(mark.partners, [UnitId(1), UnitId(100), UnitId(3)]);
        let only_flood = EmergencyMark::of(&rules, &[CategoryId(5)], "水浸街", None).unwrap();
        assert_eq!((only_flood.urgency, only_flood.partners), (Urgency::Urgent, vec![UnitId(1), UnitId(3)]));
    }

    #[test]
    fn refuses_a_rule_that_matches_nothing_or_tells_nobody() {
        let empty = RuleSpec {
            name: "".into(),
            keywords: vec![],
            categories: vec![],
            partners: vec![],
            town: false,
            ack_minutes: 0,
            urgency: Urgency::Urgent,
            active: true,
        };
        let fields: Vec<String> = empty.parse().unwrap_err().0.iter().map(|e| e.field.clone()).collect();
        assert_eq!(fields, vec!["name", "keywords", "partners", "ack_minutes"]);
    }
}
