//! Category and unit suggested from a request's words (issue 18), learned
//! from the centre's own dispatched and directly answered orders: their
//! final category and lead unit, as the dispatchers left them, so each
//! training learns from the last corrections. People stay in control: a
//! suggestion carries its calibrated confidence, and the dispatch
//! catalogue's unit for the first category comes with it, to be preferred
//! when the model is unsure.

use crate::access::Desk;
use crate::clock::Clock;
use crate::directory::Directory;
use crate::error::{AppError, AppResult};
use crate::ports::OrderStore;
pub use crate::ports::TrainingOrder;
use chrono::{DateTime, Utc};
use hotline_domain::{CategoryId, CategoryPath, Role, UnitId};
use hotline_suggest::{Bundle, Featurizer, Linear, SparseVec, Tfidf, TrainOptions};
use std::sync::{Arc, RwLock};

/// Where trained models are kept, one file per version (the data
/// directory's `models/`): `hotline model train` and the server's own
/// trainings put them there, and every server serves the newest.
#[async_trait::async_trait]
pub trait ModelShelf: Send + Sync {
    /// Stores a version whole or not at all.
    async fn put(&self, version: &str, bytes: &[u8]) -> std::io::Result<()>;
    /// The newest version, by name (names sort by training time).
    async fn latest(&self) -> std::io::Result<Option<String>>;
    async fn get(&self, version: &str) -> std::io::Result<Vec<u8>>;
    /// Deletes all but the newest `keep` versions.
    async fn prune(&self, keep: usize) -> std::io::Result<()>;
}

/// A shelf that keeps nothing: tests and tools that train in memory only.
pub struct NoShelf;

#[async_trait::async_trait]
impl ModelShelf for NoShelf {
    async fn put(&self, _: &str, _: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
    async fn latest(&self) -> std::io::Result<Option<String>> {
        Ok(None)
    }
    async fn get(&self, version: &str) -> std::io::Result<Vec<u8>> {
        Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("no model {version} is kept")))
    }
    async fn prune(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
}

/// Versions kept on the shelf: the newest and a few to go back to.
pub const KEPT_VERSIONS: usize = 5;

/// The most orders a training reads (newest first).
pub const TRAINING_LIMIT: u32 = 200_000;
/// Below this many orders there is nothing worth suggesting.
pub const MIN_EXAMPLES: usize = 50;
/// A unit suggested with less confidence than this is marked unsure: the
/// dispatch catalogue's proposal is the better guide.
pub const SURE: f32 = 0.5;
/// The dense weights of one model stay under this many bytes: the hash
/// buckets shrink as the classes grow (2^18 for 60 classes, 2^14 for 600).
const MODEL_BYTES: usize = 64 << 20;

struct Labelled<T> {
    labels: Vec<T>,
    model: Linear,
}

impl<T: Copy> Labelled<T> {
    fn rank(&self, x: &SparseVec, k: usize) -> Vec<(T, f32)> {
        hotline_suggest::top_k(&self.model.probabilities(x), k).into_iter().map(|(i, p)| (self.labels[i], p)).collect()
    }
}

/// Categories and units with their confidence, best first.
pub type Ranking = (Vec<(CategoryId, f32)>, Vec<(UnitId, f32)>);

/// A trained pair of models and what they were trained on.
pub struct Trained {
    pub trained_at: DateTime<Utc>,
    pub examples: usize,
    tfidf: Tfidf,
    categories: Labelled<CategoryId>,
    units: Option<Labelled<UnitId>>,
}

impl Trained {
    /// The `k` likeliest categories and lead units for a request's words.
    pub fn rank(&self, subject: &str, description: &str, town: Option<&str>, k: usize) -> Ranking {
        let counts = self.tfidf.featurizer.counts_with(&text(subject, description), town.as_slice());
        let x = self.tfidf.weigh(&counts);
        (self.categories.rank(&x, k), self.units.as_ref().map(|u| u.rank(&x, k)).unwrap_or_default())
    }

    /// `<training time>-<orders learned from>`: which model answered, and
    /// its name on the shelf.
    pub fn version(&self) -> String {
        format!("{}-{}", self.trained_at.format("%Y%m%dT%H%M%SZ"), self.examples)
    }

    pub fn to_bundle(&self) -> Bundle {
        let mut models = vec![(self.categories.labels.iter().map(|c| c.0).collect(), self.categories.model.clone())];
        if let Some(units) = &self.units {
            models.push((units.labels.iter().map(|u| u.0).collect(), units.model.clone()));
        }
        Bundle { trained_at: self.trained_at.timestamp(), examples: self.examples as u64, tfidf: self.tfidf.clone(), models }
    }

    pub fn from_bundle(bundle: Bundle) -> Result<Self, String> {
        let trained_at = DateTime::from_timestamp(bundle.trained_at, 0).ok_or("the training time is out of range")?;
        let mut models = bundle.models.into_iter();
        let (labels, model) = models.next().ok_or("the file holds no category model")?;
        let categories = Labelled { labels: labels.into_iter().map(CategoryId).collect(), model };
        let units = models.next().map(|(labels, model)| Labelled { labels: labels.into_iter().map(UnitId).collect(), model });
        Ok(Self { trained_at, examples: bundle.examples as usize, tfidf: bundle.tfidf, categories, units })
    }
}

fn text(subject: &str, description: &str) -> String {
    format!("{subject}\n{description}")
}

pub fn bits_for(classes: usize) -> u8 {
    let buckets = MODEL_BYTES / (4 * classes.max(1));
    (buckets.max(1).ilog2() as u8).clamp(12, 18)
}

/// Labels as indices, in first-seen order.
fn index<T: Copy + Eq + std::hash::Hash>(values: impl Iterator<Item = T>) -> (Vec<T>, Vec<usize>) {
    let mut labels = Vec::new();
    let mut seen = std::collections::HashMap::new();
    let ys = values
        .map(|v| {
            *seen.entry(v).or_insert_with(|| {
                labels.push(v);
                labels.len() - 1
            })
        })
        .collect();
    (labels, ys)
}

/// Epochs of SGD: many over a few thousand orders, few over a million
/// (each pass then sees plenty of every category).
pub fn epochs_for(orders: usize) -> u32 {
    (2_000_000 / orders.max(1)).clamp(3, 20) as u32
}

/// Cuts and counts every text, on every core.
fn count_all(featurizer: Featurizer, orders: &[TrainingOrder]) -> Vec<Vec<(u32, u32)>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = orders.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = orders
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|o| featurizer.counts_with(&text(&o.subject, &o.description), o.town.as_deref().as_slice()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts.into_iter().flat_map(|p| p.join().expect("featurizing")).collect()
    })
}

/// Trains both models on orders given oldest first, side by side on two
/// cores; `None` with too few.
pub fn train(orders: &[TrainingOrder], at: DateTime<Utc>) -> Option<Trained> {
    if orders.len() < MIN_EXAMPLES {
        return None;
    }
    let (category_labels, category_ys) = index(orders.iter().map(|o| o.category));
    let featurizer = Featurizer { bits: bits_for(category_labels.len()) };
    let counts = count_all(featurizer, orders);
    let tfidf = Tfidf::fit(featurizer, &counts);
    let xs: Vec<SparseVec> = counts.iter().map(|c| tfidf.weigh(c)).collect();
    let options = TrainOptions { epochs: epochs_for(orders.len()), ..TrainOptions::default() };
    let dispatched: Vec<usize> = (0..orders.len()).filter(|i| orders[*i].lead_unit.is_some()).collect();
    let (categories, units) = std::thread::scope(|scope| {
        let units = scope.spawn(|| {
            (dispatched.len() >= MIN_EXAMPLES).then(|| {
                let (labels, ys) = index(dispatched.iter().filter_map(|i| orders[*i].lead_unit));
                // Copied only when some orders were answered directly.
                let unit_xs: std::borrow::Cow<[SparseVec]> = if dispatched.len() == xs.len() {
                    std::borrow::Cow::Borrowed(&xs)
                } else {
                    std::borrow::Cow::Owned(dispatched.iter().map(|i| xs[*i].clone()).collect())
                };
                Labelled { model: Linear::train_calibrated(&unit_xs, &ys, labels.len(), featurizer.dims(), options), labels }
            })
        });
        let categories = Labelled {
            model: Linear::train_calibrated(&xs, &category_ys, category_labels.len(), featurizer.dims(), options),
            labels: category_labels,
        };
        (categories, units.join().expect("training the unit model"))
    });
    Some(Trained { trained_at: at, examples: orders.len(), tfidf, categories, units })
}

/// What a consultant or dispatcher has typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuggestionInput {
    pub subject: String,
    pub description: String,
    /// The town, when known: territorial matters go to the town they are in.
    pub town: Option<UnitId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SuggestedCategory {
    pub path: CategoryPath,
    pub confidence: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SuggestedUnit {
    pub unit: UnitId,
    pub confidence: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// The model's version (`Trained::version`); `None` before the first
    /// training, when nothing is suggested.
    pub model: Option<String>,
    pub categories: Vec<SuggestedCategory>,
    pub units: Vec<SuggestedUnit>,
    /// The dispatch catalogue's lead unit for the first category.
    pub catalogue_unit: Option<UnitId>,
    /// The model's first unit is below `SURE`: follow the catalogue.
    pub unsure: bool,
}

pub struct Suggestions {
    pub store: Arc<dyn OrderStore>,
    pub shelf: Arc<dyn ModelShelf>,
    pub directory: Arc<Directory>,
    pub clock: Arc<dyn Clock>,
    pub current: RwLock<Option<Arc<Trained>>>,
}

impl Suggestions {
    /// Trains on the stored orders and serves the new models from now on;
    /// the previous ones answer until then. Returns how many orders it
    /// learned from (0: too few, nothing changed).
    pub async fn retrain(&self) -> AppResult<usize> {
        let mut orders = self.store.training_orders(TRAINING_LIMIT).await?;
        orders.reverse();
        let at = self.clock.now();
        let trained = tokio::task::spawn_blocking(move || train(&orders, at))
            .await
            .map_err(|e| AppError::Unavailable(format!("the suggestion training stopped: {e}")))?;
        let Some(trained) = trained else { return Ok(0) };
        let examples = trained.examples;
        let version = trained.version();
        tracing::info!(examples, version = %version, "suggestion models trained");
        let bytes = hotline_suggest::bundle::encode(&trained.to_bundle());
        *self.current.write().expect("suggestions lock") = Some(Arc::new(trained));
        let shelved = async {
            self.shelf.put(&version, &bytes).await?;
            self.shelf.prune(KEPT_VERSIONS).await
        };
        shelved.await.map_err(|e| AppError::Unavailable(format!("the trained model {version} could not be kept: {e}")))?;
        Ok(examples)
    }

    /// Serves the newest model on the shelf when it is not the one being
    /// served (another process trained it); returns its version then.
    pub async fn pick_up(&self) -> AppResult<Option<String>> {
        let unavailable = |e: std::io::Error| AppError::Unavailable(format!("the kept models cannot be read: {e}"));
        let Some(latest) = self.shelf.latest().await.map_err(unavailable)? else { return Ok(None) };
        if self.model().is_some_and(|m| m.version() >= latest) {
            return Ok(None);
        }
        let bytes = self.shelf.get(&latest).await.map_err(unavailable)?;
        let trained = tokio::task::spawn_blocking(move || {
            hotline_suggest::bundle::decode(&bytes).map_err(|e| e.to_string()).and_then(Trained::from_bundle)
        })
        .await
        .map_err(|e| AppError::Unavailable(format!("reading the model stopped: {e}")))?
        .map_err(|e| AppError::Unavailable(format!("the kept model {latest} cannot be used: {e}")))?;
        tracing::info!(version = %latest, "suggestion models picked up");
        *self.current.write().expect("suggestions lock") = Some(Arc::new(trained));
        Ok(Some(latest))
    }

    pub fn model(&self) -> Option<Arc<Trained>> {
        self.current.read().expect("suggestions lock").clone()
    }

    /// The five likeliest categories and units for what was typed.
    pub fn suggest(&self, desk: &Desk, input: &SuggestionInput) -> AppResult<Suggestion> {
        desk.require(&[Role::Consultant, Role::Dispatcher, Role::Supervisor], "suggestions")?;
        if input.subject.trim().is_empty() && input.description.trim().is_empty() {
            return Err(AppError::invalid("subject", "a subject or a description is needed to suggest from"));
        }
        let org = self.directory.snapshot();
        let town = input.town.and_then(|id| org.unit(id));
        let Some(trained) = self.model() else {
            return Ok(Suggestion { model: None, categories: vec![], units: vec![], catalogue_unit: None, unsure: true });
        };
        let (categories, units) = trained.rank(&input.subject, &input.description, town.map(|u| u.code.as_str()), 5);
        let categories: Vec<SuggestedCategory> = categories
            .into_iter()
            .filter(|(id, _)| org.category(*id).is_some())
            .map(|(id, confidence)| SuggestedCategory { path: org.category_path(id), confidence })
            .collect();
        let units: Vec<SuggestedUnit> = units
            .into_iter()
            .filter(|(id, _)| org.unit(*id).is_some())
            .map(|(unit, confidence)| SuggestedUnit { unit, confidence })
            .collect();
        let catalogue_unit = categories.first().and_then(|c| org.propose(c.path.id, town.map(|u| u.id)).lead);
        let unsure = units.first().is_none_or(|u| u.confidence < SURE);
        Ok(Suggestion { model: Some(trained.version()), categories, units, catalogue_unit, unsure })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_domain::OrderId;

    fn order(i: i64, category: i64, unit: i64, subject: &str) -> TrainingOrder {
        TrainingOrder {
            id: OrderId(i),
            created_at: DateTime::from_timestamp(1_700_000_000 + i * 60, 0).unwrap(),
            subject: subject.to_owned(),
            description: format!("来电人反映{subject}，请尽快处理。"),
            category: CategoryId(category),
            lead_unit: Some(UnitId(unit)),
            town: None,
        }
    }

    #[test]
    fn the_models_learn_categories_and_units_from_orders_and_need_enough_of_them() {
        let subjects = [(1, 10, "路灯损坏不亮"), (2, 20, "工厂拖欠工资"), (3, 30, "夜间施工噪音扰民")];
        let orders: Vec<TrainingOrder> =
            (0..90).map(|i| order(i, subjects[i as usize % 3].0, subjects[i as usize % 3].1, subjects[i as usize % 3].2)).collect();
        assert!(train(&orders[..MIN_EXAMPLES - 1], Utc::now()).is_none(), "too few to learn from");
        let trained = train(&orders, Utc::now()).unwrap();
        let x = trained.tfidf.vector("老板拖欠我三个月工资");
        let (category, confidence) = trained.categories.rank(&x, 1)[0];
        assert_eq!(category, CategoryId(2));
        assert!(confidence > 0.5, "{confidence}");
        assert_eq!(trained.units.as_ref().unwrap().rank(&x, 1)[0].0, UnitId(20));
        assert_eq!(trained.examples, 90);
    }

    #[test]
    fn a_territorial_matter_goes_to_the_town_it_is_in() {
        // The same street-light text, dispatched to whichever town it is in.
        let orders: Vec<TrainingOrder> =
            (0..120).map(|i| TrainingOrder { town: Some(format!("t{}", i % 3)), ..order(i, 10, 100 + i % 3, "路灯损坏不亮") }).collect();
        let trained = train(&orders, Utc::now()).unwrap();
        for town in 0..3 {
            let (_, units) = trained.rank("路灯不亮", "", Some(&format!("t{town}")), 1);
            assert_eq!(units[0].0, UnitId(100 + town), "town t{town}");
        }
        let (_, unknown) = trained.rank("路灯不亮", "", None, 3);
        assert!(unknown[0].1 < 0.6, "without the town it cannot know: {unknown:?}");
    }

    #[test]
    fn fewer_passes_over_more_orders() {
        assert_eq!((epochs_for(50), epochs_for(100_000), epochs_for(1_000_000)), (20, 20, 3));
    }

    #[test]
    fn the_hash_buckets_shrink_as_the_classes_grow() {
        assert_eq!(bits_for(7), 18);
        assert_eq!(bits_for(600), 14);
        assert!(600 * (1usize << bits_for(600)) * 4 <= MODEL_BYTES);
        assert_eq!(bits_for(1_000_000), 12);
    }
}
