//! Emergency linkage (应急联动): rules that link categories and keywords to
//! the partner units told at once when an order matches, and the surge
//! rule that turns many minor orders into an early warning (预警, see
//! [`crate::surge`]).

use crate::danger::DangerLexicon;
use crate::ids::{CategoryId, UnitId};
use crate::validation::{FieldError, ValidationErrors};
use crate::work_order::Urgency;
use aho_corasick::{AhoCorasick, AhoCorasickKind};
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
    pub fn of(rules: &LinkageRules, lineage: &[CategoryId], text: &str, town: Option<UnitId>) -> Option<Self> {
        let matching = rules.matching(lineage, text);
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

/// The linkage rules as they are matched: every keyword of every active
/// rule in one automaton (Aho–Corasick), so a text is read once however
/// many rules and keywords a city writes. Each registration is matched
/// twice (when registered and when screened), and a rule's keywords grow
/// with the synonym sets and the danger lexicon: a substring search per
/// keyword and rule took three to four times as long (`docs/benchmarks.md`).
#[derive(Debug, Clone)]
pub struct LinkageRules {
    rules: Vec<EmergencyRule>,
    /// Keywords without spaces, read in the text with its spaces taken
    /// out: found as written, they are found there too.
    solid: Keywords,
    /// Keywords with a space (rare), read in the text as written.
    spaced: Keywords,
}

#[derive(Debug, Clone)]
struct Keywords {
    automaton: AhoCorasick,
    /// The rule of each keyword, by the automaton's pattern index.
    owners: Vec<usize>,
}

impl Keywords {
    fn of<'a>(keywords: impl Iterator<Item = (usize, &'a str)>) -> Self {
        let (owners, patterns): (Vec<usize>, Vec<&str>) = keywords.unzip();
        // At most MAX_KEYWORDS keywords of at most 20 characters a rule: a
        // deterministic automaton stays small, and far below its limits.
        let automaton = AhoCorasick::builder().kind(Some(AhoCorasickKind::DFA)).build(patterns).expect("linkage keywords fit an automaton");
        Self { automaton, owners }
    }

    fn mark(&self, text: &str, hit: &mut [bool]) {
        if self.owners.is_empty() {
            return;
        }
        for found in self.automaton.find_overlapping_iter(text) {
            hit[self.owners[found.pattern().as_usize()]] = true;
        }
    }
}

impl LinkageRules {
    pub fn new(rules: Vec<EmergencyRule>) -> Self {
        let keywords = || {
            rules.iter().enumerate().filter(|(_, r)| r.spec.active).flat_map(|(i, r)| r.spec.keywords.iter().map(move |k| (i, k.as_str())))
        };
        let solid = Keywords::of(keywords().filter(|(_, k)| !k.contains(char::is_whitespace)));
        let spaced = Keywords::of(keywords().filter(|(_, k)| k.contains(char::is_whitespace)));
        Self { rules, solid, spaced }
    }

    pub fn rules(&self) -> &[EmergencyRule] {
        &self.rules
    }

    /// The active rules an order in a category (given with its ancestors)
    /// with this text matches, in the rules' order. Keywords are matched as
    /// substrings (Chinese has no spaces, and an emergency word is rare
    /// enough not to need segmentation), in the text as written or with its
    /// spaces taken out (煤 气 味); see [`EmergencyRule::widened`] for the
    /// other ways of saying them.
    pub fn matching(&self, lineage: &[CategoryId], text: &str) -> Vec<&EmergencyRule> {
        let mut hit: Vec<bool> =
            self.rules.iter().map(|r| r.spec.active && r.spec.categories.iter().any(|c| lineage.contains(c))).collect();
        if text.contains(char::is_whitespace) {
            self.solid.mark(&crate::danger::squeezed(text), &mut hit);
            self.spaced.mark(text, &mut hit);
        } else {
            self.solid.mark(text, &mut hit);
        }
        self.rules.iter().zip(hit).filter_map(|(r, hit)| hit.then_some(r)).collect()
    }
}

impl EmergencyRule {
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

    fn matches(rule: &EmergencyRule, lineage: &[CategoryId], text: &str) -> bool {
        !LinkageRules::new(vec![rule.clone()]).matching(lineage, text).is_empty()
    }

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
        assert!(!matches(&rule, &[], text));
        let sets = vec![vec!["没有井盖".to_owned(), "井盖不见".to_owned(), "盖".to_owned()], vec!["停水".to_owned(), "断水".to_owned()]];
        let widened = rule.widened(&sets, &DangerLexicon::shipped());
        assert!(matches(&widened, &[], text));
        assert_eq!(widened.spec.keywords, ["井盖不见", "没有井盖"], "one character and unrelated sets are not added");
        assert!(!matches(&widened, &[], "小区断水了"));
    }

    #[test]
    fn matches_by_keyword_or_category_and_tells_each_unit_once() {
        let rule = gas();
        assert_eq!((rule.spec.name.as_str(), rule.spec.keywords.len()), ("燃气泄漏", 2));
        assert!(matches(&rule, &[CategoryId(5)], "楼道里有很重的煤气味，怕爆炸"));
        assert!(matches(&rule, &[CategoryId(71), CategoryId(70)], "安全隐患"), "a category below the rule's");
        assert!(!matches(&rule, &[CategoryId(5)], "路灯不亮"));
        assert!(!matches(&rule, &[CategoryId(5)], "厨房一股液化气味"), "as written");
        let widened = rule.clone().widened(&[], &DangerLexicon::shipped());
        assert!(matches(&widened, &[CategoryId(5)], "厨房一股液化气味"), "the danger put in other words");
        assert!(matches(&widened, &[CategoryId(5)], "厨房 一股 液化 气味"), "spaces do not hide it");
        assert!(!matches(&widened, &[CategoryId(5)], "家里煤气灶打不着火"));
        // A city's own lexicon: its phrase widens the rule, the shipped ones no longer do.
        let own = DangerLexicon::parse(vec![DangerKind {
            name: "燃气".into(),
            urgency: Urgency::Critical,
            phrases: vec!["煤气味".into(), "煤气好臭".into()],
        }])
        .unwrap();
        let widened = rule.clone().widened(&[], &own);
        assert!(matches(&widened, &[CategoryId(5)], "楼下煤气好臭") && !matches(&widened, &[CategoryId(5)], "厨房一股液化气味"));
        assert_eq!(rule.recipients(Some(UnitId(100))), vec![UnitId(1), UnitId(100)]);
        assert_eq!(rule.recipients(Some(UnitId(1))), vec![UnitId(1)]);
        assert_eq!(rule.recipients(None), vec![UnitId(1)]);
        let off = EmergencyRule { spec: RuleSpec { active: false, ..rule.spec.clone() }, ..rule };
        assert!(!matches(&off, &[CategoryId(70)], "燃气泄漏"));
    }

    #[test]
    fn rules_sharing_overlapping_keywords_all_match_in_their_order_and_retired_ones_do_not() {
        let rule = |id: i64, keywords: &[&str], active: bool| EmergencyRule {
            id,
            spec: RuleSpec {
                name: format!("规则{id}"),
                keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
                categories: if id == 1 { vec![CategoryId(70)] } else { vec![] },
                active,
                ..gas().spec
            },
        };
        let rules = LinkageRules::new(vec![
            rule(1, &["燃气泄漏"], true),
            rule(2, &["燃气"], true),
            rule(3, &["气泄"], false),
            rule(4, &["gas leak", "漏"], true),
            rule(5, &["泄漏", "燃"], true),
        ]);
        let ids = |lineage: &[CategoryId], text: &str| rules.matching(lineage, text).iter().map(|r| r.id).collect::<Vec<_>>();
        // Keywords inside one another, and one across the others' ends.
        assert_eq!(ids(&[], "楼下燃气泄漏了"), [1, 2, 4, 5]);
        assert_eq!(ids(&[], "燃 气泄 漏"), [1, 2, 4, 5], "spaces taken out");
        assert_eq!(ids(&[], "a gas leak at home"), [4], "a keyword with a space matches as written");
        assert_eq!(ids(&[], "agasleak"), Vec::<i64>::new());
        assert_eq!(ids(&[CategoryId(70)], "路灯不亮"), [1], "the category of the first rule, the others have none");
        assert_eq!(rules.rules().len(), 5);
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
        let rules = LinkageRules::new(vec![gas, flood]);
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
