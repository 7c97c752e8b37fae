//! What an article says. Everything is checked once, when the input is
//! parsed; an [`ArticleContent`] is valid by construction.

use crate::ids::{CategoryId, UnitId};
use crate::text::{AnswerScript, ArticleBody, ArticleTitle, SourceDocument};
use crate::validation::{FieldError, ValidationErrors};
use crate::vocabulary::vocabulary;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

vocabulary!(
    /// Who may read an article.
    Visibility, "visibility" {
        /// 内部: consultants and staff only (answer scripts, internal procedures).
        Internal = "internal", "内部";
        /// 公开: also citizens on the public portal.
        Public = "public", "公开";
    }
);

/// Where an article applies: the whole city, or only some towns (a town's
/// own procedure, a local policy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "scope", content = "towns")]
pub enum Region {
    City,
    Towns(Vec<UnitId>),
}

impl Region {
    pub fn towns(&self) -> &[UnitId] {
        match self {
            Self::City => &[],
            Self::Towns(towns) => towns,
        }
    }
}

/// Search keywords an author adds (关键词): the words citizens use that the
/// text may not contain. Deduplicated, in the author's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct Keywords(Vec<String>);

impl Keywords {
    pub const MAX_COUNT: usize = 30;
    pub const MAX_CHARS: usize = 30;

    /// Reads keywords separated by spaces, commas (also `，` and `、`) or
    /// semicolons, as typed in a form or a spreadsheet cell.
    pub fn parse_list(text: &str) -> Result<Self, FieldError> {
        let words = text.split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';' | '；')).map(str::to_owned).collect();
        Self::from_words(words)
    }

    pub fn from_words(words: Vec<String>) -> Result<Self, FieldError> {
        let mut kept: Vec<String> = Vec::new();
        for word in words {
            let word = word.trim();
            if word.is_empty() || kept.iter().any(|k| k == word) {
                continue;
            }
            if word.chars().count() > Self::MAX_CHARS {
                return Err(FieldError::new("", format!("keyword {word:?} is longer than {} characters", Self::MAX_CHARS)));
            }
            if word.chars().any(char::is_control) {
                return Err(FieldError::new("", format!("keyword {word:?} contains a control character")));
            }
            kept.push(word.to_owned());
        }
        if kept.len() > Self::MAX_COUNT {
            return Err(FieldError::new("", format!("{} keywords given; at most {} are allowed", kept.len(), Self::MAX_COUNT)));
        }
        Ok(Self(kept))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

impl TryFrom<Vec<String>> for Keywords {
    type Error = FieldError;
    fn try_from(words: Vec<String>) -> Result<Self, FieldError> {
        Self::from_words(words)
    }
}

impl From<Keywords> for Vec<String> {
    fn from(k: Keywords) -> Self {
        k.0
    }
}

/// One version of an article's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleContent {
    pub title: ArticleTitle,
    /// Markdown.
    pub body: ArticleBody,
    /// The short answer read out on the phone; the body's first paragraph
    /// serves when there is none.
    pub script: Option<AnswerScript>,
    /// The department or town that maintains it; `None`: the centre.
    pub owner: Option<UnitId>,
    pub category: Option<CategoryId>,
    pub keywords: Keywords,
    pub region: Region,
    pub source: Option<SourceDocument>,
    /// First day it applies; `None`: already.
    pub effective_from: Option<NaiveDate>,
    /// Last day it applies; `None`: until retired.
    pub expires_on: Option<NaiveDate>,
    pub visibility: Visibility,
}

/// An article as typed, before checking. Units and categories are ids the
/// caller has already resolved; whether they exist is checked by the
/// application, which knows the organisation.
#[derive(Debug, Clone, Default)]
pub struct ArticleInput {
    pub title: String,
    pub body: String,
    pub script: Option<String>,
    pub owner: Option<UnitId>,
    pub category: Option<CategoryId>,
    pub keywords: Vec<String>,
    pub towns: Vec<UnitId>,
    pub source: Option<String>,
    pub effective_from: Option<NaiveDate>,
    pub expires_on: Option<NaiveDate>,
    pub visibility: Option<Visibility>,
}

fn optional<T>(errors: &mut ValidationErrors, field: &str, value: Option<&str>, parse: fn(&str) -> Result<T, FieldError>) -> Option<T> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    errors.collect(parse(value).map_err(|e| e.within(field)))
}

impl ArticleContent {
    /// Checks every field and reports all problems at once.
    pub fn parse(input: ArticleInput) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let title = errors.collect(ArticleTitle::parse(&input.title).map_err(|e| e.within("title")));
        let body = errors.collect(ArticleBody::parse(&input.body).map_err(|e| e.within("body")));
        let script = optional(&mut errors, "script", input.script.as_deref(), AnswerScript::parse);
        let source = optional(&mut errors, "source", input.source.as_deref(), SourceDocument::parse);
        let keywords = errors.collect(Keywords::from_words(input.keywords).map_err(|e| e.within("keywords")));
        if let (Some(from), Some(to)) = (input.effective_from, input.expires_on)
            && to < from
        {
            errors.push(FieldError::new("expires_on", format!("{to} is before the effective date {from}")));
        }
        let mut towns = input.towns;
        towns.sort();
        towns.dedup();
        errors.into_result()?;
        Ok(Self {
            title: title.expect("checked"),
            body: body.expect("checked"),
            script,
            owner: input.owner,
            category: input.category,
            keywords: keywords.expect("checked"),
            region: if towns.is_empty() { Region::City } else { Region::Towns(towns) },
            source,
            effective_from: input.effective_from,
            expires_on: input.expires_on,
            visibility: input.visibility.unwrap_or(Visibility::Internal),
        })
    }

    /// Whether it applies on this day.
    pub fn in_force(&self, today: NaiveDate) -> bool {
        self.effective_from.is_none_or(|from| from <= today) && self.expires_on.is_none_or(|to| today <= to)
    }

    /// What the consultant reads out: the script, else the body's first
    /// paragraph.
    pub fn answer(&self) -> &str {
        match &self.script {
            Some(script) => script.as_str(),
            None => self.body.as_str().split("\n\n").map(str::trim).find(|p| !p.is_empty()).unwrap_or(""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ArticleInput {
        ArticleInput {
            title: "社保卡遗失如何补办".into(), body: "携带身份证到社保服务网点办理。\n\n详情……".into(), ..Default::default()
        }
    }

    #[test]
    fn keywords_split_on_chinese_and_western_separators() {
        let k = Keywords::parse_list("社保卡，补办、挂失 社保卡;遗失").unwrap();
        assert_eq!(k.as_slice(), ["社保卡", "补办", "挂失", "遗失"]);
        assert!(Keywords::parse_list(&"长".repeat(31)).unwrap_err().message.contains("longer than 30"));
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let bad = ArticleInput {
            title: " ".into(),
            body: String::new(),
            effective_from: NaiveDate::from_ymd_opt(2026, 5, 1),
            expires_on: NaiveDate::from_ymd_opt(2026, 4, 1),
            ..Default::default()
        };
        let errors = ArticleContent::parse(bad).unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "body", "expires_on"]);
    }

    #[test]
    fn defaults_to_internal_and_the_whole_city_and_answers_with_the_first_paragraph() {
        let a = ArticleContent::parse(input()).unwrap();
        assert_eq!(a.visibility, Visibility::Internal);
        assert_eq!(a.region, Region::City);
        assert_eq!(a.answer(), "携带身份证到社保服务网点办理。");
    }

    #[test]
    fn in_force_between_its_dates_inclusive() {
        let mut i = input();
        i.effective_from = NaiveDate::from_ymd_opt(2026, 1, 1);
        i.expires_on = NaiveDate::from_ymd_opt(2026, 12, 31);
        let a = ArticleContent::parse(i).unwrap();
        assert!(!a.in_force(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()));
        assert!(a.in_force(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()));
        assert!(!a.in_force(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()));
    }
}
