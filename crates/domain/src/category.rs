//! The three-level request taxonomy and the dispatch catalogue (派单目录)
//! that maps a category to the units responsible for it.

use crate::ids::{CategoryId, UnitId};
use serde::{Deserialize, Serialize};

/// The level-1 category of requests nobody has classified yet: a citizen
/// submits on the portal by type alone and the centre decides the category
/// (重新分类). An order in it cannot be dispatched.
pub const UNCLASSIFIED: &str = "待分类";

/// The name of the taxonomy's catch-all categories (其他, "other"), which
/// say nothing without their parent's name.
pub const OTHER: &str = "其他";

/// A node of the taxonomy: level 1 (e.g. 城乡建设), 2 (城市建设和市政管理)
/// or 3 (园林绿化环卫).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub id: CategoryId,
    pub parent: Option<CategoryId>,
    pub level: u8,
    pub name: String,
    pub active: bool,
}

/// A category with the names of its ancestors, for display and export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryPath {
    pub id: CategoryId,
    /// Names from level 1 down to this category.
    pub names: Vec<String>,
}

impl CategoryPath {
    pub fn display(&self) -> String {
        self.names.join(" / ")
    }
}

/// Who a catalogue entry sends the order to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "unit_id", rename_all = "snake_case")]
pub enum CatalogueTarget {
    /// Always this unit (e.g. tax matters → the tax bureau).
    Unit(UnitId),
    /// The town, subdistrict or park where the matter is (属地管理).
    Territorial,
}

/// One line of the dispatch catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueEntry {
    pub category: CategoryId,
    pub target: CatalogueTarget,
    /// A co-handler (协办) rather than the lead unit (主办).
    pub co_handler: bool,
}

/// The units the catalogue proposes for a new order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchProposal {
    pub lead: Option<UnitId>,
    pub co_handlers: Vec<UnitId>,
    /// The category whose entries matched (the order's own or an ancestor).
    pub matched_category: Option<CategoryId>,
}

/// The whole catalogue, consulted when an order is registered.
#[derive(Debug, Clone, Default)]
pub struct DispatchCatalogue {
    entries: Vec<CatalogueEntry>,
}

impl DispatchCatalogue {
    pub fn new(entries: Vec<CatalogueEntry>) -> Self {
        Self { entries }
    }

    pub fn entries(&self) -> &[CatalogueEntry] {
        &self.entries
    }

    /// Proposes a lead unit and co-handlers. `lineage` is the order's category
    /// followed by its ancestors; the most specific category with entries
    /// wins. A territorial entry needs the order's town; without one it is
    /// skipped so a department entry of the same category can still apply.
    pub fn propose(&self, lineage: &[CategoryId], town: Option<UnitId>) -> DispatchProposal {
        for category in lineage {
            let resolve = |e: &CatalogueEntry| match e.target {
                CatalogueTarget::Unit(u) => Some(u),
                CatalogueTarget::Territorial => town,
            };
            let matching: Vec<&CatalogueEntry> = self.entries.iter().filter(|e| e.category == *category).collect();
            let lead = matching.iter().filter(|e| !e.co_handler).find_map(|e| resolve(e));
            if let Some(lead) = lead {
                let mut co_handlers = Vec::new();
                for unit in matching.iter().filter(|e| e.co_handler).filter_map(|e| resolve(e)) {
                    if unit != lead && !co_handlers.contains(&unit) {
                        co_handlers.push(unit);
                    }
                }
                return DispatchProposal { lead: Some(lead), co_handlers, matched_category: Some(*category) };
            }
        }
        DispatchProposal::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(category: i64, target: CatalogueTarget, co_handler: bool) -> CatalogueEntry {
        CatalogueEntry { category: CategoryId(category), target, co_handler }
    }

    #[test]
    fn most_specific_category_wins_and_territorial_needs_a_town() {
        let tax = UnitId(10);
        let housing = UnitId(11);
        let town = UnitId(99);
        let catalogue = DispatchCatalogue::new(vec![
            entry(1, CatalogueTarget::Unit(housing), false),
            entry(3, CatalogueTarget::Territorial, false),
            entry(3, CatalogueTarget::Unit(housing), true),
            entry(4, CatalogueTarget::Territorial, false),
            entry(4, CatalogueTarget::Unit(tax), false),
        ]);
        // Leaf 3 under 2 under 1: the leaf's territorial entry, with housing helping.
        let p = catalogue.propose(&[CategoryId(3), CategoryId(2), CategoryId(1)], Some(town));
        assert_eq!(p.lead, Some(town));
        assert_eq!(p.co_handlers, vec![housing]);
        assert_eq!(p.matched_category, Some(CategoryId(3)));
        // No town given: the leaf has no usable lead, the level-1 entry applies.
        let p = catalogue.propose(&[CategoryId(3), CategoryId(2), CategoryId(1)], None);
        assert_eq!(p.lead, Some(housing));
        // Same category, department entry used when the town is unknown.
        assert_eq!(catalogue.propose(&[CategoryId(4)], None).lead, Some(tax));
        assert_eq!(catalogue.propose(&[CategoryId(5)], Some(town)), DispatchProposal::default());
    }
}
