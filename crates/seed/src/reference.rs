//! Reference data for a fresh install.

use crate::{SeedError, SeedResult};
use hotline_app::App;
use hotline_app::access::AdminDesk;
use hotline_app::org::NewUnit;
use hotline_domain::{CatalogueEntry, CatalogueTarget, CategoryId, UnitKind};
use hotline_reference_data as data;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReferenceReport {
    pub units: usize,
    pub hotlines: usize,
    pub categories: usize,
    pub catalogue_entries: usize,
    pub calendar_days: usize,
    pub synonym_sets: usize,
    pub emergency_rules: usize,
}

impl ReferenceReport {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Seeds reference data unless the database already has units.
pub async fn seed_reference(app: &App) -> SeedResult<ReferenceReport> {
    if app.directory.snapshot().units().next().is_some() {
        return Ok(ReferenceReport::default());
    }
    let admin = AdminDesk::operator();
    let mut report = ReferenceReport::default();

    for d in data::divisions()? {
        app.org.create_unit(&admin, NewUnit { code: d.code, name: d.name, kind: d.kind, parent: None }).await?;
        report.units += 1;
    }
    let organisation = data::organisation()?;
    for dept in &organisation.department {
        let unit = app
            .org
            .create_unit(&admin, NewUnit { code: dept.code.clone(), name: dept.name.clone(), kind: UnitKind::Department, parent: None })
            .await?;
        report.units += 1;
        for h in &dept.hotline {
            app.org.create_hotline(&admin, unit.id, &h.number, &h.name, h.mode).await?;
            report.hotlines += 1;
        }
    }
    for sub in &organisation.sub_unit {
        let parent = unit_id(app, &sub.parent)?;
        app.org
            .create_unit(&admin, NewUnit { code: sub.code.clone(), name: sub.name.clone(), kind: sub.kind, parent: Some(parent) })
            .await?;
        report.units += 1;
    }

    report.categories = app.org.import_taxonomy(&admin, &data::categories()?).await?;

    let mut entries = Vec::new();
    for line in &organisation.catalogue {
        let category = category_by_path(app, &line.category)?;
        let target = |code: &str| -> SeedResult<CatalogueTarget> {
            Ok(if code == "territorial" { CatalogueTarget::Territorial } else { CatalogueTarget::Unit(unit_id(app, code)?) })
        };
        entries.push(CatalogueEntry { category, target: target(&line.lead)?, co_handler: false });
        for co in &line.co {
            entries.push(CatalogueEntry { category, target: target(co)?, co_handler: true });
        }
    }
    report.catalogue_entries = app.org.import_catalogue(&admin, entries).await?;

    for year in data::holidays()? {
        report.calendar_days += app.calendar.import(&admin, year.days).await?;
    }
    report.synonym_sets = app.knowledge.import_synonyms(&admin, &data::synonym_sets()).await?;
    for line in &organisation.emergency_rule {
        let partners = line.partners.iter().map(|code| unit_id(app, code)).collect::<SeedResult<Vec<_>>>()?;
        app.emergency.save_rule(&admin, None, line.spec(partners)).await?;
        report.emergency_rules += 1;
    }
    tracing::info!(?report, "reference data seeded");
    Ok(report)
}

fn unit_id(app: &App, code: &str) -> SeedResult<hotline_domain::UnitId> {
    app.directory
        .snapshot()
        .unit_by_code(code)
        .map(|u| u.id)
        .ok_or_else(|| SeedError::Inconsistent(format!("organisation.toml names unknown unit {code}")))
}

/// A category from its path of names, `level1/level2/level3`.
pub(crate) fn category_by_path(app: &App, path: &str) -> SeedResult<CategoryId> {
    let org = app.directory.snapshot();
    let mut parent = None;
    for name in path.split('/') {
        let found = org.categories().find(|c| c.parent == parent && c.name == name);
        parent = Some(found.ok_or_else(|| SeedError::Inconsistent(format!("no category {path}")))?.id);
    }
    parent.ok_or_else(|| SeedError::Inconsistent(format!("empty category path {path:?}")))
}
