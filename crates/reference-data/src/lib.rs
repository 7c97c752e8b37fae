//! The data a fresh hotline needs before anyone has typed anything: the
//! files under `data/` in the repository, compiled into the binary (see
//! `data/README.md` for their sources and licences).

use hotline_domain::holiday_cn::{self, HolidayFileError, HolidayYear};
use hotline_domain::{IntegrationMode, UnitKind};
use serde::Deserialize;

macro_rules! holiday_files {
    ($($year:literal),*) => {
        &[$(($year, include_str!(concat!("../../../data/holidays/", $year, ".json")))),*]
    };
}

/// Every year's holiday file: `(year, JSON)`.
pub const HOLIDAY_FILES: &[(&str, &str)] = holiday_files!(
    "2007", "2008", "2009", "2010", "2011", "2012", "2013", "2014", "2015", "2016", "2017", "2018", "2019", "2020", "2021", "2022", "2023",
    "2024", "2025", "2026"
);

/// The parsed holiday years.
pub fn holidays() -> Result<Vec<HolidayYear>, HolidayFileError> {
    HOLIDAY_FILES.iter().map(|(_, json)| holiday_cn::parse(json)).collect()
}

/// A town, subdistrict or park with its official statistical code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
}

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{file} line {line}: {message}")]
    Line { file: &'static str, line: usize, message: String },
    #[error("organisation.toml: {0}")]
    Toml(#[from] toml::de::Error),
}

const DIVISIONS: &str = include_str!("../../../data/divisions/dongguan.csv");
const CATEGORIES: &str = include_str!("../../../data/categories/categories.csv");
const ORGANISATION: &str = include_str!("../../../data/organisation.toml");

/// 330 real citizens' messages labelled with 7 top-level classes
/// (`id,subject,time,detail,category`), to train and evaluate the
/// suggestion model on; see `data/README.md` for their source.
pub const MESSAGES: &str = include_str!("../../../data/messages/train.csv");

/// Second reports of 36 of those messages' matters, written the way another
/// caller (or the same one, again) would put them (`id,same_as,subject,detail`,
/// no quoting), to measure duplicate detection; see `data/duplicates/`.
pub const DUPLICATE_REPORTS: &str = include_str!("../../../data/duplicates/reports.csv");

/// Pairs of those messages that are about one matter (`a,b,note`).
pub const DUPLICATE_PAIRS: &str = include_str!("../../../data/duplicates/pairs.csv");

/// Dongguan's 36 towns, subdistricts and parks.
pub fn divisions() -> Result<Vec<Division>, DataError> {
    csv_rows("divisions/dongguan.csv", DIVISIONS, 3)?
        .into_iter()
        .map(|(line, f)| {
            let kind = UnitKind::from_division_kind(&f[2]).ok_or_else(|| DataError::Line {
                file: "divisions/dongguan.csv",
                line,
                message: format!("unknown kind {:?}", f[2]),
            })?;
            Ok(Division { code: f[0].clone(), name: f[1].clone(), kind })
        })
        .collect()
}

/// The taxonomy as `[level1, level2, level3]` rows.
pub fn categories() -> Result<Vec<[String; 3]>, DataError> {
    Ok(csv_rows("categories/categories.csv", CATEGORIES, 3)?.into_iter().map(|(_, f)| [f[0].clone(), f[1].clone(), f[2].clone()]).collect())
}

/// Header-first CSV without quoting (the files have none); `fields` columns.
fn csv_rows(file: &'static str, text: &str, fields: usize) -> Result<Vec<(usize, Vec<String>)>, DataError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate().skip(1) {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let parts: Vec<String> = line.split(',').map(|p| p.trim().to_owned()).collect();
        if parts.len() != fields || parts.iter().any(String::is_empty) {
            return Err(DataError::Line { file, line: i + 1, message: format!("expected {fields} non-empty fields") });
        }
        out.push((i + 1, parts));
    }
    Ok(out)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub department: Vec<Department>,
    pub catalogue: Vec<CatalogueLine>,
    pub sub_unit: Vec<SubUnit>,
    /// Starting emergency linkage rules (应急联动); administrators edit them.
    #[serde(default)]
    pub emergency_rule: Vec<EmergencyRuleLine>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyRuleLine {
    pub name: String,
    pub keywords: Vec<String>,
    /// Unit codes.
    pub partners: Vec<String>,
    /// Also tell the town where the matter is.
    pub town: bool,
    pub ack_minutes: u32,
    /// The urgency a matching order gets at least.
    pub urgency: hotline_domain::Urgency,
}

impl EmergencyRuleLine {
    /// The rule as an administrator would write it, telling `partners`
    /// (the units its codes name), active.
    pub fn spec(&self, partners: Vec<hotline_domain::UnitId>) -> hotline_domain::emergency::RuleSpec {
        hotline_domain::emergency::RuleSpec {
            name: self.name.clone(),
            keywords: self.keywords.clone(),
            categories: Vec::new(),
            partners,
            town: self.town,
            ack_minutes: self.ack_minutes,
            urgency: self.urgency,
            active: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub hotline: Vec<Hotline>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hotline {
    pub number: String,
    pub name: String,
    #[serde(deserialize_with = "integration_mode")]
    pub mode: IntegrationMode,
}

fn integration_mode<'de, D: serde::Deserializer<'de>>(d: D) -> Result<IntegrationMode, D::Error> {
    let s = String::deserialize(d)?;
    IntegrationMode::parse(&s).map_err(|e| serde::de::Error::custom(e.message))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueLine {
    /// Taxonomy names joined by `/`.
    pub category: String,
    /// A department code, or `territorial`.
    pub lead: String,
    #[serde(default)]
    pub co: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubUnit {
    pub parent: String,
    pub code: String,
    pub name: String,
    #[serde(deserialize_with = "unit_kind")]
    pub kind: UnitKind,
}

fn unit_kind<'de, D: serde::Deserializer<'de>>(d: D) -> Result<UnitKind, D::Error> {
    let s = String::deserialize(d)?;
    UnitKind::parse(&s).map_err(|e| serde::de::Error::custom(e.message))
}

pub fn organisation() -> Result<Organisation, DataError> {
    Ok(toml::from_str(ORGANISATION)?)
}

/// Demo knowledge-base articles in the import format (`hotline kb import`).
pub const DEMO_ARTICLES_CSV: &str = include_str!("../../../data/knowledge/articles.csv");

/// The demo articles' text alone (no department or category: those need the
/// organisation), for search tests and benchmarks on real Chinese.
pub fn demo_article_texts() -> Result<Vec<hotline_domain::knowledge::ArticleContent>, DataError> {
    use hotline_domain::knowledge::{ArticleContent, ArticleInput, Visibility};
    let file = "knowledge/articles.csv";
    let fail = |line: usize, message: String| DataError::Line { file, line, message };
    let table = hotline_tabular::parse_csv(DEMO_ARTICLES_CSV).map_err(|e| fail(1, e.to_string()))?;
    let col = |name: &str| table.header.iter().position(|h| h == name).ok_or_else(|| fail(1, format!("no column {name}")));
    let (title, body, script, keywords, public) = (col("title")?, col("body")?, col("script")?, col("keywords")?, col("public")?);
    table
        .rows
        .iter()
        .map(|(line, c)| {
            ArticleContent::parse(ArticleInput {
                title: c[title].clone(),
                body: c[body].clone(),
                script: Some(c[script].clone()),
                keywords: c[keywords].split_whitespace().map(str::to_owned).collect(),
                visibility: Some(if c[public] == "true" { Visibility::Public } else { Visibility::Internal }),
                ..Default::default()
            })
            .map_err(|e| fail(*line, e.to_string()))
        })
        .collect()
}

/// Synonym sets a fresh platform starts with, one set per line.
pub fn synonym_sets() -> Vec<Vec<String>> {
    include_str!("../../../data/knowledge/synonyms.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn all_36_divisions_with_their_codes() {
        let d = divisions().unwrap();
        assert_eq!(d.len(), 36);
        assert_eq!(d[0], Division { code: "441900003".into(), name: "东城街道".into(), kind: UnitKind::Subdistrict });
        assert_eq!(d.iter().filter(|d| d.kind == UnitKind::Park).count(), 4);
    }

    #[test]
    fn every_holiday_file_parses_and_2026_has_its_make_up_days() {
        let years = holidays().unwrap();
        assert_eq!(years.len(), 20);
        let y2026 = years.iter().find(|y| y.year == 2026).unwrap();
        assert!(y2026.days.iter().any(|d| d.date.to_string() == "2026-02-14" && d.working));
    }

    #[test]
    fn taxonomy_and_catalogue_agree() {
        let rows = categories().unwrap();
        assert_eq!(rows.len(), 517);
        let level1: HashSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(level1.len(), 15);
        let org = organisation().unwrap();
        let codes: HashSet<&str> = org.department.iter().map(|d| d.code.as_str()).collect();
        assert!(org.department.len() >= 30);
        for line in &org.catalogue {
            let names: Vec<&str> = line.category.split('/').collect();
            let known = rows.iter().any(|r| r.iter().zip(&names).all(|(a, b)| a == b));
            assert!(known, "catalogue category {} is not in the taxonomy", line.category);
            assert!(line.lead == "territorial" || codes.contains(line.lead.as_str()), "unknown lead {}", line.lead);
            assert!(line.co.iter().all(|c| codes.contains(c.as_str())), "unknown co-handler in {}", line.category);
        }
        let hotlines: Vec<&str> = org.department.iter().flat_map(|d| d.hotline.iter().map(|h| h.number.as_str())).collect();
        for number in ["12366", "12333", "12358", "12329"] {
            assert!(hotlines.contains(&number), "{number}");
        }
    }
}
