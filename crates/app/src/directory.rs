//! The organisation held in memory: units and their tree, categories, the
//! dispatch catalogue and hotlines. It changes rarely and is read on every
//! request, so it is loaded once and swapped whole after each change.

use crate::error::{AppError, AppResult};
use crate::ports::{CatalogueRecord, HotlineRecord, OrgStore};
use hotline_domain::{Category, CategoryId, CategoryPath, DispatchCatalogue, DispatchProposal, Unit, UnitId};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

#[derive(Debug, Default)]
pub struct OrgSnapshot {
    units: HashMap<UnitId, Unit>,
    by_code: HashMap<String, UnitId>,
    children: HashMap<UnitId, Vec<UnitId>>,
    categories: HashMap<CategoryId, Category>,
    catalogue: DispatchCatalogue,
    catalogue_records: Vec<CatalogueRecord>,
    hotlines: Vec<HotlineRecord>,
}

impl OrgSnapshot {
    pub fn build(units: Vec<Unit>, categories: Vec<Category>, catalogue: Vec<CatalogueRecord>, hotlines: Vec<HotlineRecord>) -> Self {
        let mut children: HashMap<UnitId, Vec<UnitId>> = HashMap::new();
        for unit in &units {
            if let Some(parent) = unit.parent {
                children.entry(parent).or_default().push(unit.id);
            }
        }
        Self {
            by_code: units.iter().map(|u| (u.code.clone(), u.id)).collect(),
            units: units.into_iter().map(|u| (u.id, u)).collect(),
            children,
            categories: categories.into_iter().map(|c| (c.id, c)).collect(),
            catalogue: DispatchCatalogue::new(catalogue.iter().map(|r| r.entry.clone()).collect()),
            catalogue_records: catalogue,
            hotlines,
        }
    }

    pub fn unit(&self, id: UnitId) -> Option<&Unit> {
        self.units.get(&id)
    }

    pub fn unit_by_code(&self, code: &str) -> Option<&Unit> {
        self.by_code.get(code).and_then(|id| self.units.get(id))
    }

    /// The town, subdistrict or park with this official code; a query's
    /// unknown code is refused naming the `town` field.
    pub fn town(&self, code: &str) -> AppResult<&Unit> {
        self.unit_by_code(code)
            .filter(|u| u.kind.is_territorial())
            .ok_or_else(|| AppError::invalid("town", format!("no town, subdistrict or park with code {code}")))
    }

    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }

    pub fn unit_name(&self, id: UnitId) -> String {
        self.units.get(&id).map(|u| u.name.clone()).unwrap_or_else(|| format!("#{id}"))
    }

    /// A unit and everything below it.
    pub fn unit_and_descendants(&self, unit: UnitId) -> Vec<UnitId> {
        let mut out = vec![unit];
        let mut i = 0;
        while i < out.len() {
            if let Some(kids) = self.children.get(&out[i]) {
                for k in kids {
                    if !out.contains(k) {
                        out.push(*k);
                    }
                }
            }
            i += 1;
        }
        out
    }

    /// Whether `unit` lies strictly below `ancestor`.
    pub fn is_below(&self, unit: UnitId, ancestor: UnitId) -> bool {
        let mut current = self.units.get(&unit).and_then(|u| u.parent);
        let mut hops = 0;
        while let Some(p) = current {
            if p == ancestor {
                return true;
            }
            hops += 1;
            if hops > 64 {
                return false;
            }
            current = self.units.get(&p).and_then(|u| u.parent);
        }
        false
    }

    pub fn category(&self, id: CategoryId) -> Option<&Category> {
        self.categories.get(&id)
    }

    pub fn categories(&self) -> impl Iterator<Item = &Category> {
        self.categories.values()
    }

    /// The category of requests not yet classified (`待分类`), once created.
    pub fn unclassified(&self) -> Option<CategoryId> {
        self.categories.values().filter(|c| c.parent.is_none() && c.name == hotline_domain::category::UNCLASSIFIED).map(|c| c.id).min()
    }

    /// The category followed by its ancestors.
    pub fn category_lineage(&self, id: CategoryId) -> Vec<CategoryId> {
        let mut out = Vec::with_capacity(3);
        let mut current = Some(id);
        while let Some(c) = current.and_then(|c| self.categories.get(&c)) {
            out.push(c.id);
            current = c.parent;
            if out.len() > 8 {
                break;
            }
        }
        out
    }

    /// A category and everything below it.
    pub fn category_subtree(&self, id: CategoryId) -> Vec<CategoryId> {
        let mut out = vec![id];
        let mut i = 0;
        while i < out.len() {
            let parent = out[i];
            out.extend(self.categories.values().filter(|c| c.parent == Some(parent)).map(|c| c.id));
            i += 1;
        }
        out
    }

    pub fn category_path(&self, id: CategoryId) -> CategoryPath {
        let mut names: Vec<String> =
            self.category_lineage(id).iter().filter_map(|c| self.categories.get(c).map(|c| c.name.clone())).collect();
        names.reverse();
        CategoryPath { id, names }
    }

    pub fn propose(&self, category: CategoryId, town: Option<UnitId>) -> DispatchProposal {
        self.catalogue.propose(&self.category_lineage(category), town)
    }

    pub fn catalogue(&self) -> &[CatalogueRecord] {
        &self.catalogue_records
    }

    pub fn hotlines(&self) -> &[HotlineRecord] {
        &self.hotlines
    }
}

pub struct Directory {
    current: RwLock<Arc<OrgSnapshot>>,
}

impl Directory {
    pub async fn load(store: &dyn OrgStore) -> AppResult<Self> {
        let snapshot = Self::read(store).await?;
        Ok(Self { current: RwLock::new(Arc::new(snapshot)) })
    }

    async fn read(store: &dyn OrgStore) -> AppResult<OrgSnapshot> {
        Ok(OrgSnapshot::build(store.units().await?, store.categories().await?, store.catalogue().await?, store.hotlines().await?))
    }

    pub fn snapshot(&self) -> Arc<OrgSnapshot> {
        self.current.read().expect("directory lock").clone()
    }

    /// Re-reads the organisation after a change.
    pub async fn reload(&self, store: &dyn OrgStore) -> AppResult<()> {
        let snapshot = Self::read(store).await?;
        *self.current.write().expect("directory lock") = Arc::new(snapshot);
        Ok(())
    }
}
