//! The application assembled: one value holding every service, built once
//! at start-up and shared by the HTTP server, the command line and tests.

use crate::access::Access;
use crate::attachments::{AttachmentPolicy, BlobStore};
use crate::attempts::Attempts;
use crate::audit::{AuditAnchor, Auditor};
use crate::auth::Auth;
use crate::calendar::CalendarService;
use crate::calls::CallStore;
use crate::calls::{CallCentre, CallCentreConfig, CallCentreParts, Lines};
use crate::clock::Clock;
use crate::directory::Directory;
use crate::emergency::EmergencyStore;
use crate::error::AppResult;
use crate::evaluation::Evaluation;
use crate::ids::IdGenerator;
use crate::knowledge::index::SearchEngine;
use crate::knowledge::{KnowledgeBase, SearchService};
use crate::numbering::OrderNumbers;
use crate::orders::WorkOrders;
use crate::org::Organisation;
use crate::ports::{AttemptStore, AuditStore, CalendarStore, EvaluationStore, KnowledgeStore, OrderStore, OrgStore, SettingStore};
use crate::supervision::SupervisionStore;
use chrono::Duration;
use hotline_domain::{DeadlineRules, OrderNoPrefix, WorkCalendar};
use std::sync::Arc;

/// Everything storage offers, implemented once by the SQL store. Each
/// service is handed only the parts it uses.
#[async_trait::async_trait]
pub trait Store:
    OrderStore
    + OrgStore
    + CalendarStore
    + SettingStore
    + AttemptStore
    + crate::ports::LeaseStore
    + AuditStore
    + KnowledgeStore
    + EvaluationStore
    + CallStore
    + SupervisionStore
    + EmergencyStore
    + crate::partners::ApiKeyStore
    + crate::external::ExternalStore
    + crate::sms::SmsStore
    + crate::topics::TopicStore
{
    /// A cheap round trip, for health checks.
    async fn ping(&self) -> crate::ports::StoreResult<()>;
    /// Background work due at `now` and not done, counted.
    async fn backlog(&self, now: chrono::DateTime<chrono::Utc>) -> crate::ports::StoreResult<crate::ports::Backlog>;
}

/// Settings the services need (the binary reads them from its TOML file).
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Distinguishes nodes sharing a database in generated ids (0–1023).
    pub node_id: u16,
    pub order_prefix: OrderNoPrefix,
    /// Order numbers reserved from the database at a time.
    pub number_block: u64,
    pub rules: DeadlineRules,
    /// Weekly template, time zone and close of business.
    pub calendar_template: WorkCalendar,
    pub session_ttl: Duration,
    /// zxcvbn score (0–4) a new password needs.
    pub password_min_score: u8,
    pub attachments: AttachmentPolicy,
    pub callcentre: CallCentreConfig,
    /// Weights of the monthly assessment score.
    pub evaluation_weights: hotline_domain::kpi::Weights,
    pub supervision: crate::supervision::SupervisionConfig,
    pub emergency: crate::emergency::EmergencyConfig,
    /// Pushes to units' own case systems.
    pub external: crate::external::ExternalConfig,
    /// Texts to citizens.
    pub sms: crate::sms::SmsConfig,
    /// Bytes of photos the portal takes from anonymous citizens.
    pub portal_photos: crate::portal::PhotoBudget,
    /// The city and organiser the portal names.
    pub portal_identity: crate::portal::PortalIdentity,
    /// Hot topics from the orders' words.
    pub topics: crate::topics::TopicsConfig,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            node_id: 0,
            order_prefix: OrderNoPrefix::parse("DG").expect("valid prefix"),
            number_block: 50,
            rules: DeadlineRules::default(),
            calendar_template: WorkCalendar::china_default(),
            session_ttl: Duration::hours(12),
            password_min_score: crate::auth::DEFAULT_PASSWORD_SCORE,
            attachments: AttachmentPolicy::default(),
            callcentre: CallCentreConfig::default(),
            evaluation_weights: hotline_domain::kpi::Weights::default(),
            supervision: crate::supervision::SupervisionConfig::default(),
            emergency: crate::emergency::EmergencyConfig::default(),
            external: crate::external::ExternalConfig::default(),
            sms: crate::sms::SmsConfig::default(),
            portal_photos: crate::portal::PhotoBudget::default(),
            portal_identity: crate::portal::PortalIdentity::default(),
            topics: crate::topics::TopicsConfig::default(),
        }
    }
}

#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<IdGenerator>,
    pub directory: Arc<Directory>,
    pub access: Access,
    pub auditor: Arc<Auditor>,
    pub auth: Arc<Auth>,
    pub calendar: Arc<CalendarService>,
    pub orders: Arc<WorkOrders>,
    pub org: Arc<Organisation>,
    pub knowledge: Arc<KnowledgeBase>,
    pub search: Arc<SearchService>,
    pub calls: Arc<CallCentre>,
    pub evaluation: Arc<Evaluation>,
    pub supervision: Arc<crate::supervision::Supervision>,
    pub emergency: Arc<crate::emergency::Emergency>,
    pub reports: Arc<crate::reports::Reports>,
    pub dashboard: Arc<crate::dashboard::Dashboard>,
    pub portal: Arc<crate::portal::Portal>,
    /// Partners' API keys.
    pub api_keys: Arc<crate::partners::ApiKeys>,
    /// Open311 GeoReport v2 for partners' systems.
    pub open311: Arc<crate::partners::open311::Open311>,
    /// Units' own case systems: pushes out, updates back.
    pub external: Arc<crate::external::ExternalSystems>,
    /// Texts to citizens and their delivery log.
    pub texts: Arc<crate::sms::Texts>,
    /// Texts citizens send: ratings and new requests.
    pub inbox: Arc<crate::inbox::SmsInbox>,
    /// Category and unit suggested from a request's words.
    pub suggestions: Arc<crate::suggestions::Suggestions>,
    /// Duplicates, repeats and related orders of a request.
    pub similar: Arc<crate::similar::SimilarOrders>,
    /// What many citizens report now, grouped by their words.
    pub topics: Arc<crate::topics::HotTopics>,
    /// Attempts and requests counted against limits in the database,
    /// shared by every node.
    pub attempts: Arc<Attempts>,
    /// Live events to and from the other nodes.
    pub relay: crate::live::Relay,
    /// Work one node does for all, in turns.
    pub leases: Arc<crate::leases::Leases>,
}

/// The adapters the application runs on, chosen at start-up from the
/// configuration (the binary) or by a test.
pub struct Adapters {
    pub store: Arc<dyn Store>,
    /// Attachment content.
    pub blobs: Arc<dyn BlobStore>,
    /// The full-text engine behind knowledge and order search.
    pub search: Arc<dyn SearchEngine>,
    /// The call centre's lines: the simulator, none, or the network.
    pub lines: Lines,
    /// The audit key and the checkpoint log, both outside the database.
    pub audit: AuditAnchor,
    /// Trained suggestion models, by version.
    pub models: Arc<dyn crate::suggestions::ModelShelf>,
}

impl App {
    pub async fn new(adapters: Adapters, config: AppConfig, clock: Arc<dyn Clock>) -> AppResult<Self> {
        let Adapters { store, blobs, search: engine, lines, audit, models } = adapters;
        // Each service is handed the parts of the store it uses.
        let orders_store: Arc<dyn OrderStore> = store.clone();
        let org_store: Arc<dyn OrgStore> = store.clone();
        let evaluation_store: Arc<dyn EvaluationStore> = store.clone();
        let supervision_store: Arc<dyn SupervisionStore> = store.clone();
        let ids = Arc::new(IdGenerator::new(config.node_id));
        let auditor = Arc::new(Auditor::new(store.clone(), ids.clone(), clock.clone(), audit));
        let directory = Arc::new(Directory::load(org_store.as_ref()).await?);
        let calendar = Arc::new(CalendarService::load(store.clone(), auditor.clone(), config.calendar_template.clone()).await?);
        let sessions = Arc::new(crate::auth::SessionCache::default());
        let attempts = Arc::new(Attempts::new(store.clone(), clock.clone()));
        let relay = crate::live::Relay::default();
        // By node: a node restarting takes its own lease back at once.
        let leases = Arc::new(crate::leases::Leases::new(store.clone(), clock.clone(), i64::from(config.node_id)));
        let auth =
            Arc::new(Auth::new(org_store.clone(), auditor.clone(), clock.clone(), config.session_ttl, sessions.clone(), attempts.clone())?);
        let changed = Arc::new(tokio::sync::Notify::new());
        let search = Arc::new(SearchService::new(
            store.clone(),
            engine.clone(),
            directory.clone(),
            clock.clone(),
            config.calendar_template.time_zone(),
            changed.clone(),
        ));
        search.load_vocabulary().await?;
        let topics =
            Arc::new(crate::topics::HotTopics::new(store.clone(), engine.clone(), directory.clone(), clock.clone(), config.topics.clone()));
        let supervision = Arc::new(crate::supervision::Supervision {
            store: supervision_store.clone(),
            orders: orders_store.clone(),
            ids: ids.clone(),
            clock: clock.clone(),
            directory: directory.clone(),
            auditor: auditor.clone(),
            config: config.supervision.clone(),
            live: tokio::sync::broadcast::channel(256).0,
            relay: relay.clone(),
        });
        let emergency = crate::emergency::Emergency::start(crate::emergency::EmergencyParts {
            store: store.clone(),
            vocabulary: store.clone(),
            settings: store.clone(),
            orders: orders_store.clone(),
            directory: directory.clone(),
            ids: ids.clone(),
            clock: clock.clone(),
            auditor: auditor.clone(),
            supervision: supervision.clone(),
            config: config.emergency.clone(),
        })
        .await?;
        let registry = Arc::new(crate::external::Registry::default());
        let texts = Arc::new(crate::sms::Texts {
            store: store.clone(),
            settings: store.clone(),
            ids: ids.clone(),
            clock: clock.clone(),
            calendar: calendar.clone(),
            auditor: auditor.clone(),
            config: config.sms.clone(),
            templates: Default::default(),
            wake: Default::default(),
        });
        texts.load_templates().await?;
        let orders = Arc::new(WorkOrders {
            texts: texts.clone(),
            external: registry.clone(),
            emergency: emergency.clone(),
            store: orders_store.clone(),
            settings: store.clone(),
            users: org_store.clone(),
            changed,
            blobs: blobs.clone(),
            ids: ids.clone(),
            numbers: OrderNumbers::new(orders_store.clone(), config.order_prefix.clone(), config.number_block),
            calendar: calendar.clone(),
            rules: std::sync::RwLock::new(config.rules.clone()),
            directory: directory.clone(),
            auditor: auditor.clone(),
            clock: clock.clone(),
            attachment_policy: config.attachments.clone(),
            live: tokio::sync::broadcast::channel(256).0,
            relay: relay.clone(),
        });
        let org = Arc::new(Organisation {
            store: org_store.clone(),
            directory: directory.clone(),
            auditor: auditor.clone(),
            ids: ids.clone(),
            clock: clock.clone(),
            sessions,
            password_min_score: config.password_min_score,
            phone_realm: config.callcentre.phone_realm.clone(),
        });
        let knowledge = Arc::new(KnowledgeBase {
            store: store.clone(),
            directory: directory.clone(),
            auditor: auditor.clone(),
            ids: ids.clone(),
            clock: clock.clone(),
            search: search.clone(),
        });
        let calls = Arc::new(
            CallCentre::start(CallCentreParts {
                store: store.clone(),
                orders: orders_store.clone(),
                users: org_store.clone(),
                directory: directory.clone(),
                auditor: auditor.clone(),
                ids: ids.clone(),
                clock: clock.clone(),
                calendar: calendar.clone(),
                config: config.callcentre.clone(),
                lines,
                blobs: blobs.clone(),
                attempts: attempts.clone(),
            })
            .await?,
        );
        let evaluation = Arc::new(Evaluation {
            store: evaluation_store.clone(),
            users: org_store.clone(),
            directory: directory.clone(),
            calendar: calendar.clone(),
            clock: clock.clone(),
            weights: config.evaluation_weights,
        });
        let reports = Arc::new(crate::reports::Reports {
            store: evaluation_store.clone(),
            alerts: supervision_store.clone(),
            evaluation: evaluation.clone(),
            calls: calls.clone(),
        });
        let dashboard = Arc::new(crate::dashboard::Dashboard {
            store: evaluation_store,
            alerts: supervision_store,
            evaluation: evaluation.clone(),
            calls: calls.clone(),
            knowledge: knowledge.clone(),
            topics: topics.clone(),
        });
        orders.load_saved_rules().await?;
        let access = Access::new(directory.clone());
        let mut portal =
            crate::portal::Portal::open(orders.clone(), directory.clone(), &access, &auditor, &ids, clock.clone(), attempts.clone())
                .await?;
        portal.photo_budget = config.portal_photos;
        portal.identity = config.portal_identity.clone();
        let portal = Arc::new(portal);
        let api_keys = Arc::new(crate::partners::ApiKeys::new(
            store.clone(),
            auditor.clone(),
            ids.clone(),
            clock.clone(),
            attempts.clone(),
            directory.clone(),
        ));
        let open311 = Arc::new(crate::partners::open311::Open311::new(
            directory.clone(),
            orders_store.clone(),
            portal.clone(),
            config.calendar_template.time_zone(),
        ));
        let external = Arc::new(crate::external::ExternalSystems {
            store: store.clone(),
            users: org_store.clone(),
            registry,
            directory: directory.clone(),
            access: access.clone(),
            auditor: auditor.clone(),
            ids: ids.clone(),
            clock: clock.clone(),
            config: config.external.clone(),
        });
        external.refresh().await?;
        let inbox = Arc::new(crate::inbox::SmsInbox {
            texts: texts.clone(),
            store: store.clone(),
            orders: orders_store.clone(),
            portal: portal.clone(),
            ids: ids.clone(),
            clock: clock.clone(),
        });
        let suggestions = Arc::new(crate::suggestions::Suggestions {
            store: orders_store.clone(),
            shelf: models,
            directory: directory.clone(),
            clock: clock.clone(),
            current: Default::default(),
        });
        let similar = Arc::new(crate::similar::SimilarOrders {
            engine: engine.clone(),
            store: orders_store.clone(),
            calls: store.clone(),
            orders: orders.clone(),
            clock: clock.clone(),
        });
        Ok(Self {
            leases,
            relay,
            attempts,
            topics,
            similar,
            suggestions,
            inbox,
            texts,
            external,
            api_keys,
            open311,
            dashboard,
            portal,
            access,
            store,
            clock,
            ids,
            directory,
            auditor,
            auth,
            calendar,
            orders,
            org,
            knowledge,
            search,
            calls,
            evaluation,
            supervision,
            reports,
            emergency,
        })
    }

    /// Re-reads the organisation and calendar, e.g. after seeding.
    pub async fn reload(&self) -> AppResult<()> {
        let org: &dyn OrgStore = self.store.as_ref();
        self.directory.reload(org).await?;
        self.search.load_vocabulary().await
    }
}
