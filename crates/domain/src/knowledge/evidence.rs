//! What answered orders teach the knowledge search. An article a
//! consultant used to answer an order is evidence that the order's words
//! ask for that article: citizens say 路灯 where the article says 道路照明.
//!
//! - [`asked_words`]: the words an article is asked by, for its index
//!   document, so a later search in the citizens' words finds it.
//! - [`synonym_proposals`]: pairs of a citizens' word and the article's own
//!   word, for an editor to accept into the search vocabulary (where they
//!   then serve every article and every order search).
//!
//! Only words several different callers used count: one caller's name,
//! street number or plate never reaches the index or an editor, and no
//! word with a digit does.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Different callers who must have used a word for it to be evidence.
pub const MIN_CALLERS: usize = 2;
/// Different callers behind a synonym proposal.
pub const MIN_PROPOSAL_CALLERS: usize = 3;
/// Proposals per article, most callers first: the name of the matter,
/// not every word of the stories around it.
pub const MAX_PROPOSALS_PER_ARTICLE: usize = 3;
/// Words kept per article, most used first.
pub const MAX_WORDS: usize = 48;

/// One answered order: who asked (the caller's number, or the order
/// itself when none was given) and the words of their request, as the
/// search engine reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub caller: String,
    pub words: Vec<String>,
}

/// Chinese numerals: a word mostly made of them is an amount, a date or a
/// house number (九块, 三十二号), not the name of a matter.
const NUMERALS: &str = "〇零一二三四五六七八九十百千万亿两";

/// A word worth learning: at least two characters (one-character words are
/// particles and measure words more often than matters), no digit, not
/// mostly numerals (一卡通 is a word, 十五块 an amount).
fn learnable(word: &str) -> bool {
    let chars = word.chars().count();
    let numerals = word.chars().filter(|c| NUMERALS.contains(*c)).count();
    chars >= 2 && !word.chars().any(char::is_numeric) && numerals * 2 < chars
}

/// Each learnable word with the callers who used it, however often each.
fn callers_per_word(asked: &[Asked]) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut callers: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for a in asked {
        for w in a.words.iter().filter(|w| learnable(w)) {
            callers.entry(w.as_str()).or_default().insert(a.caller.as_str());
        }
    }
    callers
}

/// The words an article is asked by: those at least [`MIN_CALLERS`]
/// different callers used in orders it answered, with how many, most
/// first (ties by word, so the same orders give the same document).
pub fn asked_words(asked: &[Asked]) -> Vec<(String, usize)> {
    let mut words: Vec<(String, usize)> = callers_per_word(asked)
        .into_iter()
        .filter(|(_, callers)| callers.len() >= MIN_CALLERS)
        .map(|(w, callers)| (w.to_owned(), callers.len()))
        .collect();
    words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    words.truncate(MAX_WORDS);
    words
}

/// An article with what it says and the orders it answered.
#[derive(Debug, Clone)]
pub struct ArticleEvidence {
    pub article: i64,
    pub title: String,
    /// The words of its title and keywords: what it calls the matter.
    pub named_by: Vec<String>,
    /// Every word of its title, keywords, script and body.
    pub says: HashSet<String>,
    pub asked: Vec<Asked>,
}

/// A citizens' word an article never uses, and the article's word it
/// most likely stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynonymProposal {
    /// What citizens said.
    pub word: String,
    /// The article's word proposed as its synonym.
    pub partner: String,
    /// The article's other naming words, for the editor to pick instead.
    pub alternatives: Vec<String>,
    /// Different callers who said `word` in orders these articles answered.
    pub callers: usize,
    /// The articles (id, title), most asked first.
    pub articles: Vec<(i64, String)>,
}

/// Proposes synonyms from answered orders: a word at least
/// [`MIN_PROPOSAL_CALLERS`] different callers used about one article, in
/// orders that use none of its naming words, that the article never uses
/// (at most [`MAX_PROPOSALS_PER_ARTICLE`] per article), paired with the article's naming word that ends
/// in the same character (煤气 → 燃气, 医保卡 → 社保卡) or else its rarest
/// naming word (`rarity`: higher is rarer). `common` words (those a
/// large share of all orders use) are left out, and so is a word `known`
/// (either order) with one of the article's naming words: in a synonym set
/// with it, or turned down. Most callers first.
pub fn synonym_proposals(
    articles: &[ArticleEvidence],
    rarity: &dyn Fn(&str) -> f64,
    common: &dyn Fn(&str) -> bool,
    known: &HashSet<(String, String)>,
) -> Vec<SynonymProposal> {
    let mut found: HashMap<String, HashMap<String, Pairing>> = HashMap::new();
    for article in articles {
        let naming: Vec<&String> = {
            let mut seen = HashSet::new();
            article.named_by.iter().filter(|w| learnable(w) && seen.insert(w.as_str())).collect()
        };
        if naming.is_empty() {
            continue;
        }
        // Orders that found the article without any of its naming words:
        // their words are what the callers call the matter instead. An
        // order that says 出租车 of the article 出租车拒载 names it already,
        // and its other words (乘坐, 火车站) are the story, not a synonym.
        let nameless: Vec<Asked> = article.asked.iter().filter(|a| !a.words.iter().any(|w| naming.contains(&w))).cloned().collect();
        let mut words: Vec<(&str, BTreeSet<&str>)> = callers_per_word(&nameless)
            .into_iter()
            .filter(|(word, callers)| callers.len() >= MIN_PROPOSAL_CALLERS && !article.says.contains(*word) && !common(word))
            .collect();
        words.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| rarity(b.0).total_cmp(&rarity(a.0))).then_with(|| a.0.cmp(b.0)));
        words.truncate(MAX_PROPOSALS_PER_ARTICLE);
        for (word, callers) in words {
            // Paired with one of its naming words already (accepted or
            // turned down): the editor has decided on this word here.
            if naming.iter().any(|v| is_known(known, word, v)) {
                continue;
            }
            let candidates = &naming;
            let Some(partner) = best_partner(word, candidates, rarity) else { continue };
            let entry = found.entry(word.to_owned()).or_default().entry(partner.clone()).or_default();
            entry.callers.extend(callers.iter().map(|c| (*c).to_owned()));
            entry.articles.push((article.article, article.title.clone(), callers.len()));
            for v in candidates.iter().copied() {
                if v != partner && !entry.alternatives.contains(v) {
                    entry.alternatives.push(v.clone());
                }
            }
        }
    }
    let mut proposals: Vec<SynonymProposal> = found
        .into_iter()
        .flat_map(|(word, partners)| {
            partners.into_iter().map(move |(partner, mut p)| {
                p.articles.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
                SynonymProposal {
                    word: word.clone(),
                    partner,
                    alternatives: p.alternatives,
                    callers: p.callers.len(),
                    articles: p.articles.into_iter().map(|(id, title, _)| (id, title)).collect(),
                }
            })
        })
        .collect();
    proposals.sort_by(|a, b| b.callers.cmp(&a.callers).then_with(|| a.word.cmp(&b.word)).then_with(|| a.partner.cmp(&b.partner)));
    proposals
}

/// What a word paired with one partner has gathered: its callers, the
/// articles (id, title, callers there) and the other naming words.
#[derive(Default)]
struct Pairing {
    callers: BTreeSet<String>,
    articles: Vec<(i64, String, usize)>,
    alternatives: Vec<String>,
}

fn is_known(known: &HashSet<(String, String)>, a: &str, b: &str) -> bool {
    known.contains(&(a.to_owned(), b.to_owned())) || known.contains(&(b.to_owned(), a.to_owned()))
}

fn best_partner<'a>(word: &str, candidates: &[&'a String], rarity: &dyn Fn(&str) -> f64) -> Option<&'a String> {
    // Chinese compounds are head-final: words ending in the same character
    // name the same kind of thing (煤气 and 燃气, 医保卡 and 社保卡, 路灯 and
    // 街灯), where sharing another character means little (路灯, 道路).
    let same_head = |v: &str| v.chars().last() == word.chars().last();
    candidates
        .iter()
        .copied()
        .max_by(|a, b| same_head(a).cmp(&same_head(b)).then_with(|| rarity(a).total_cmp(&rarity(b))).then_with(|| b.cmp(a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(caller: &str, words: &[&str]) -> Asked {
        Asked { caller: caller.into(), words: words.iter().map(|w| (*w).into()).collect() }
    }

    #[test]
    fn a_word_is_evidence_once_two_callers_used_it() {
        let words = asked_words(&[
            asked("13800000001", &["东纵路", "路灯", "不亮"]),
            asked("13800000001", &["东纵路", "路灯", "还是", "不亮"]),
            asked("13800000002", &["莞城", "路灯", "坏", "了"]),
            asked("13800000003", &["路灯", "不亮", "3号"]),
        ]);
        assert_eq!(words, [("路灯".to_owned(), 3), ("不亮".to_owned(), 2)]);
    }

    #[test]
    fn no_word_with_a_digit_or_mostly_numerals_and_no_single_character() {
        let said = ["粤S12345", "车", "违停", "十五块", "三十二号", "一卡通"];
        let words = asked_words(&[asked("a", &said), asked("b", &said)]);
        assert_eq!(words, [("一卡通".to_owned(), 2), ("违停".to_owned(), 2)]);
    }

    #[test]
    fn at_most_the_most_used_words_are_kept() {
        let many: Vec<Asked> = (0..3)
            .map(|c| Asked {
                caller: c.to_string(),
                words: (0..100).map(|i| format!("词{}", char::from(b'a' + (i % 26) as u8)).repeat(1 + i / 26)).collect(),
            })
            .collect();
        assert_eq!(asked_words(&many).len(), MAX_WORDS);
    }

    fn gas_article() -> ArticleEvidence {
        ArticleEvidence {
            article: 7,
            title: "燃气泄漏应急处置".into(),
            named_by: vec!["燃气".into(), "泄漏".into(), "应急".into(), "处置".into()],
            says: ["燃气", "泄漏", "应急", "处置", "关闭", "阀门"].iter().map(|w| (*w).to_owned()).collect(),
            asked: vec![
                asked("a", &["厨房", "煤气", "味道"]),
                asked("b", &["煤气", "味道", "很重"]),
                asked("c", &["楼道", "煤气", "味道"]),
                asked("c", &["煤气", "阀门"]),
                // These name the matter as the article does: 楼道 is where, not what.
                asked("d", &["燃气", "泄漏", "楼道"]),
                asked("e", &["燃气", "楼道"]),
            ],
        }
    }

    fn rarity(w: &str) -> f64 {
        match w {
            "燃气" => 3.0,
            "泄漏" => 2.0,
            _ => 1.0,
        }
    }

    #[test]
    fn a_word_citizens_use_and_the_article_does_not_is_proposed_with_the_word_of_the_same_head() {
        let proposals = synonym_proposals(&[gas_article()], &rarity, &|_| false, &HashSet::new());
        let gas = proposals.iter().find(|p| p.word == "煤气").expect("煤气 proposed");
        assert_eq!(gas.partner, "燃气");
        assert_eq!(gas.callers, 3);
        assert_eq!(gas.articles, [(7, "燃气泄漏应急处置".to_owned())]);
        assert!(gas.alternatives.contains(&"泄漏".to_owned()) && !gas.alternatives.contains(&"燃气".to_owned()));
        // 味道 ends like no naming word: the rarest is proposed.
        let smell = proposals.iter().find(|p| p.word == "味道").expect("味道 proposed");
        assert_eq!(smell.partner, "燃气");
        // Used by two callers only, already in the article, or by three
        // callers of whom two named the matter the article's way: not proposed.
        assert!(proposals.iter().all(|p| p.word != "厨房" && p.word != "阀门" && p.word != "楼道"), "{proposals:?}");
    }

    #[test]
    fn common_and_known_pairs_are_not_proposed() {
        let known: HashSet<(String, String)> = [("燃气".to_owned(), "煤气".to_owned())].into_iter().collect();
        let proposals = synonym_proposals(&[gas_article()], &rarity, &|w| w == "味道", &known);
        assert!(proposals.is_empty(), "煤气 is decided, 味道 common: {proposals:?}");
    }

    #[test]
    fn callers_of_several_articles_add_up() {
        let mut other = gas_article();
        other.article = 8;
        other.title = "燃气安全检查".into();
        other.asked = vec![asked("d", &["煤气", "检查"]), asked("e", &["煤气"]), asked("a", &["煤气"])];
        let proposals = synonym_proposals(&[gas_article(), other], &rarity, &|_| false, &HashSet::new());
        let gas = proposals.iter().find(|p| p.word == "煤气").unwrap();
        assert_eq!(gas.callers, 5, "a, b, c, d and e");
        assert_eq!(gas.articles.len(), 2);
        assert_eq!(proposals[0].word, "煤气", "most callers first");
    }

    #[test]
    fn an_article_proposes_at_most_a_few_words_the_most_said_first() {
        let mut story = gas_article();
        let words = ["煤气", "味道", "厨房", "晚上", "邻居"];
        story.asked = (0..4).map(|c| asked(&c.to_string(), &words[..if c == 0 { 2 } else { 5 }])).collect();
        let proposals = synonym_proposals(&[story], &rarity, &|_| false, &HashSet::new());
        assert_eq!(proposals.len(), MAX_PROPOSALS_PER_ARTICLE);
        assert_eq!(proposals.iter().filter(|p| p.callers == 4).count(), 2, "煤气 and 味道, said by all four: {proposals:?}");
    }
}
