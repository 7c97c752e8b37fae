//! Configuration: built-in defaults, then the TOML file, then `HOTLINE_*`
//! environment variables (`__` separates sections:
//! `HOTLINE_CALENDAR__CLOSE_OF_BUSINESS=17:30`), then command-line flags.
//! Every option is documented in `docs/configuration.md` and
//! `hotline.example.toml`.

use anyhow::{Context, bail};
use chrono::{NaiveTime, Weekday};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use hotline_app::AppConfig;
use hotline_app::attachments::AttachmentPolicy;
use hotline_app::calls::CallCentreConfig;
use hotline_domain::kpi::Weights;
use hotline_domain::{DeadlineRules, OrderNoPrefix, WorkCalendar};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Directory for the embedded database and attachments.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://…`; empty: `sqlite://<data_dir>/hotline.db`.
    pub database_url: String,
    /// Unique per node sharing a database (0–1023).
    pub node_id: u16,
    /// Two capital letters starting every order number.
    pub order_prefix: String,
    /// Log filter, e.g. `info` or `hotline=debug,sqlx=warn`.
    pub log: String,
    /// `text` for people reading a terminal, `json` (one object a line,
    /// with the request id) for a log collector.
    pub log_format: LogFormat,
    pub database: DatabaseConfig,
    pub calendar: CalendarConfig,
    pub deadlines: DeadlineRules,
    pub sessions: SessionConfig,
    pub attachments: AttachmentConfig,
    pub search: SearchConfig,
    pub callcentre: CallCentreConfig,
    pub evaluation: EvaluationSection,
    pub supervision: hotline_app::supervision::SupervisionConfig,
    pub notify: hotline_notify::NotifyConfig,
    pub emergency: hotline_app::emergency::EmergencyConfig,
    /// Hot topics grouped from the orders' words.
    pub topics: hotline_app::topics::TopicsConfig,
    /// Pushes to units' own case systems (`docs/external-systems.md`).
    pub external: hotline_app::external::ExternalConfig,
    /// Texts to citizens (`docs/sms.md`).
    pub sms: hotline_app::sms::SmsConfig,
    /// The Kannel SMS gateway, for `sms.gateway = "kannel"`.
    pub kannel: hotline_notify::KannelConfig,
    /// The operator's SMS centre, for `sms.gateway = "smpp"`.
    pub smpp: hotline_smpp::SmppConfig,
    pub portal: PortalConfig,
    pub http: HttpSection,
    /// Open311 GeoReport v2 for partners' systems (`docs/open311.md`).
    pub open311: hotline_http::open311::Open311Config,
    pub audit: AuditSection,
    pub sip: hotline_sip::SipConfig,
    /// Several nodes on one database: live events between them.
    pub cluster: hotline_nats::ClusterConfig,
}

/// Where the audit log's anchors live, outside the database.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditSection {
    /// The key that signs audit records and checkpoints (64 hex digits),
    /// created when missing; empty: `<data_dir>/audit.key`. Every node of
    /// one database needs the same key; back it up apart from the database.
    pub key_file: String,
    /// Checkpoints appended here; empty: `<data_dir>/audit-checkpoints.log`.
    /// Put it where the database's administrators cannot rewrite it (another
    /// disk, an append-only file, a log shipper's input).
    pub checkpoint_file: String,
}

/// The HTTP boundary: proxies in front of the server, other sites allowed in.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSection {
    /// Addresses of reverse proxies (nginx, HAProxy) whose `X-Forwarded-For`
    /// names the client and whose `X-Forwarded-Proto: https` turns on HSTS
    /// and the cookie's `Secure` flag. Empty: every peer is the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Other origins (`https://host[:port]`) whose pages may send writes with
    /// the session cookie and open the desk's WebSocket; empty: only this
    /// server's own pages.
    pub allowed_origins: Vec<String>,
    /// The bearer token Prometheus must send to read `/metrics`; empty:
    /// `/metrics` is open to whoever reaches the port.
    pub metrics_token: String,
    /// Seconds a stopping server keeps serving with `/readyz` at 503, for
    /// the load balancer to notice before the listener closes.
    pub drain_seconds: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The top-level options, for picking configuration out of the environment.
const TOP_LEVEL_KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "node_id",
    "order_prefix",
    "log",
    "log_format",
    "database",
    "calendar",
    "deadlines",
    "sessions",
    "attachments",
    "search",
    "portal",
    "callcentre",
    "evaluation",
    "supervision",
    "notify",
    "emergency",
    "topics",
    "external",
    "sms",
    "kannel",
    "smpp",
    "http",
    "open311",
    "audit",
    "sip",
    "cluster",
];

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".parse().expect("valid address"),
            data_dir: PathBuf::from("hotline-data"),
            database_url: String::new(),
            node_id: 0,
            order_prefix: "DG".into(),
            log: "info,sqlx=warn,tower_http=info".into(),
            log_format: LogFormat::Text,
            database: DatabaseConfig::default(),
            calendar: CalendarConfig::default(),
            deadlines: DeadlineRules::default(),
            sessions: SessionConfig::default(),
            attachments: AttachmentConfig::default(),
            search: SearchConfig::default(),
            callcentre: CallCentreConfig::default(),
            evaluation: EvaluationSection::default(),
            supervision: Default::default(),
            notify: Default::default(),
            emergency: Default::default(),
            topics: Default::default(),
            external: Default::default(),
            sms: Default::default(),
            kannel: Default::default(),
            smpp: Default::default(),
            portal: Default::default(),
            http: Default::default(),
            open311: Default::default(),
            audit: Default::default(),
            sip: Default::default(),
            cluster: Default::default(),
        }
    }
}

/// Evaluation of units and consultants.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvaluationSection {
    /// Weights of the monthly assessment score (see `docs/kpi.md`).
    pub weights: Weights,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// Directory of the search indexes; empty: `<data_dir>/index`.
    pub index_dir: String,
    /// Seconds between passes that bring the indexes up to date with changes
    /// made by other nodes (changes made on this node are indexed at once).
    pub refresh_seconds: u64,
    /// Searches one client may make per minute on the public portal.
    pub public_per_minute: u32,
}

/// The citizens' portal.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PortalConfig {
    /// Requests one client (IP address) may submit per hour.
    pub submissions_per_hour: u32,
    /// Bytes of photos one address may add to its requests per hour.
    pub photo_bytes_per_address_hour: i64,
    /// Bytes of photos all citizens together may add per day.
    pub photo_bytes_per_day: i64,
    /// The city, organiser, contact and number every portal page shows.
    pub identity: hotline_app::portal::PortalIdentity,
}

impl Default for PortalConfig {
    fn default() -> Self {
        let photos = hotline_app::portal::PhotoBudget::default();
        Self {
            submissions_per_hour: 10,
            photo_bytes_per_address_hour: photos.per_address_per_hour,
            photo_bytes_per_day: photos.per_day,
            identity: Default::default(),
        }
    }
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self { index_dir: String::new(), refresh_seconds: 5, public_per_minute: 60 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Connections in the pool (PostgreSQL), or reader connections (SQLite, at most 8).
    pub max_connections: u32,
    /// PostgreSQL with tables partitioned by month (`hotline partitions`):
    /// the months made ahead of the current one, by the server hourly.
    pub partition_months_ahead: u32,
    /// PostgreSQL: one generic plan per prepared statement instead of
    /// planning it again for its parameters (`plan_cache_mode`).
    pub generic_plans: bool,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { max_connections: 16, partition_months_ahead: 3, generic_plans: false }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarConfig {
    /// IANA time zone of the centre.
    pub time_zone: String,
    /// Working hours (`2wh` deadlines) start at this local time.
    pub start_of_business: String,
    /// Deadlines in working days end at this local time; working hours end here.
    pub close_of_business: String,
    /// The weekly template: `mon` … `sun`.
    pub working_weekdays: Vec<String>,
}

impl Default for CalendarConfig {
    fn default() -> Self {
        Self {
            time_zone: "Asia/Shanghai".into(),
            start_of_business: "09:00".into(),
            close_of_business: "18:00".into(),
            working_weekdays: ["mon", "tue", "wed", "thu", "fri"].map(String::from).to_vec(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    /// How long a login lasts.
    pub ttl_hours: u32,
    /// Strength a new password needs: zxcvbn's score from 0 (anything) to 4.
    pub password_min_score: u8,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self { ttl_hours: 12, password_min_score: hotline_app::auth::DEFAULT_PASSWORD_SCORE }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttachmentConfig {
    /// Largest file accepted, in bytes.
    pub max_bytes: usize,
    /// Most files on one order.
    pub max_per_order: usize,
}

impl Default for AttachmentConfig {
    fn default() -> Self {
        let d = AttachmentPolicy::default();
        Self { max_bytes: d.max_bytes, max_per_order: d.max_per_order }
    }
}

/// Overrides from the command line; `None` keeps the configured value.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
}

impl Config {
    pub fn load(file: Option<&Path>, overrides: Overrides) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                if !path.exists() {
                    bail!("configuration file {} does not exist", path.display());
                }
                figment = figment.merge(Toml::file(path));
            }
            None if Path::new("hotline.toml").exists() => figment = figment.merge(Toml::file("hotline.toml")),
            None => {}
        }
        // Only configuration keys: HOTLINE_CONFIG, HOTLINE_NEW_PASSWORD and the
        // test suite's variables share the prefix but are not options.
        let env = Env::prefixed("HOTLINE_").split("__").filter(|key| {
            // Nested keys arrive as `sessions.ttl_hours` once split.
            let top = key.as_str().split(['.']).next().unwrap_or_default().split("__").next().unwrap_or_default().to_ascii_lowercase();
            TOP_LEVEL_KEYS.contains(&top.as_str())
        });
        let config: Config = figment.merge(env).merge(Serialized::defaults(overrides)).extract().context("invalid configuration")?;
        config.app_config()?;
        config.sip.check().map_err(|e| anyhow::anyhow!("sip: {e}"))?;
        Ok(config)
    }

    pub fn database_url(&self) -> String {
        if self.database_url.trim().is_empty() {
            format!("sqlite://{}", self.data_dir.join("hotline.db").display())
        } else {
            self.database_url.clone()
        }
    }

    pub fn attachments_dir(&self) -> PathBuf {
        self.data_dir.join("attachments")
    }

    /// Trained suggestion models, one file per version.
    pub fn models_dir(&self) -> PathBuf {
        self.data_dir.join("models")
    }

    pub fn audit_key_file(&self) -> PathBuf {
        if self.audit.key_file.trim().is_empty() { self.data_dir.join("audit.key") } else { PathBuf::from(&self.audit.key_file) }
    }

    pub fn audit_checkpoint_file(&self) -> PathBuf {
        if self.audit.checkpoint_file.trim().is_empty() {
            self.data_dir.join("audit-checkpoints.log")
        } else {
            PathBuf::from(&self.audit.checkpoint_file)
        }
    }

    pub fn index_dir(&self) -> PathBuf {
        if self.search.index_dir.trim().is_empty() { self.data_dir.join("index") } else { PathBuf::from(&self.search.index_dir) }
    }

    /// What the application services need, checked.
    pub fn app_config(&self) -> anyhow::Result<AppConfig> {
        let tz: chrono_tz::Tz = self
            .calendar
            .time_zone
            .parse()
            .map_err(|_| anyhow::anyhow!("calendar.time_zone: unknown time zone {:?}", self.calendar.time_zone))?;
        let close = NaiveTime::parse_from_str(&self.calendar.close_of_business, "%H:%M")
            .with_context(|| format!("calendar.close_of_business: {:?} is not HH:MM", self.calendar.close_of_business))?;
        let open = NaiveTime::parse_from_str(&self.calendar.start_of_business, "%H:%M")
            .with_context(|| format!("calendar.start_of_business: {:?} is not HH:MM", self.calendar.start_of_business))?;
        let weekdays = self
            .calendar
            .working_weekdays
            .iter()
            .map(|d| d.parse::<Weekday>().map_err(|_| anyhow::anyhow!("calendar.working_weekdays: {d:?} is not a weekday (mon … sun)")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        if weekdays.is_empty() {
            bail!("calendar.working_weekdays: at least one working weekday is needed");
        }
        let prefix = OrderNoPrefix::parse(&self.order_prefix).map_err(|e| anyhow::anyhow!("order_prefix: {}", e.message))?;
        if self.node_id > hotline_app::ids::MAX_NODE {
            bail!("node_id: must be at most {}", hotline_app::ids::MAX_NODE);
        }
        if self.sessions.ttl_hours == 0 {
            bail!("sessions.ttl_hours: must be at least 1");
        }
        if self.database.partition_months_ahead == 0 {
            // With none ahead, rows of the 1st would find no month until the next round.
            bail!("database.partition_months_ahead: must be at least 1");
        }
        Ok(AppConfig {
            node_id: self.node_id,
            order_prefix: prefix,
            number_block: 50,
            rules: {
                self.deadlines.check().map_err(|e| anyhow::anyhow!("deadlines: {e}"))?;
                self.deadlines.clone()
            },
            calendar_template: WorkCalendar::new(tz, close, &weekdays)
                .with_start_of_business(open)
                .map_err(|_| anyhow::anyhow!("calendar.start_of_business: must be before close_of_business"))?,
            session_ttl: chrono::Duration::hours(i64::from(self.sessions.ttl_hours)),
            password_min_score: {
                anyhow::ensure!(self.sessions.password_min_score <= 4, "sessions.password_min_score: must be 0 to 4");
                self.sessions.password_min_score
            },
            attachments: AttachmentPolicy { max_bytes: self.attachments.max_bytes, max_per_order: self.attachments.max_per_order },
            portal_photos: {
                anyhow::ensure!(
                    self.portal.photo_bytes_per_address_hour >= 0 && self.portal.photo_bytes_per_day >= 0,
                    "portal.photo_bytes_per_address_hour and portal.photo_bytes_per_day: must not be negative"
                );
                hotline_app::portal::PhotoBudget {
                    per_address_per_hour: self.portal.photo_bytes_per_address_hour,
                    per_day: self.portal.photo_bytes_per_day,
                }
            },
            portal_identity: {
                self.portal.identity.check().map_err(|e| anyhow::anyhow!("portal.identity: {e}"))?;
                self.portal.identity.clone()
            },
            callcentre: {
                self.callcentre.check().map_err(|e| anyhow::anyhow!("callcentre: {e}"))?;
                self.callcentre.clone()
            },
            emergency: {
                self.emergency.check().map_err(|e| anyhow::anyhow!("emergency: {e}"))?;
                self.emergency.clone()
            },
            topics: {
                self.topics.check().map_err(|e| anyhow::anyhow!("topics: {e}"))?;
                self.topics.clone()
            },
            supervision: {
                self.supervision.check().map_err(|e| anyhow::anyhow!("supervision: {e}"))?;
                self.supervision.clone()
            },
            external: {
                self.external.check().map_err(|e| anyhow::anyhow!("external: {e}"))?;
                self.external.clone()
            },
            sms: {
                self.sms.check().map_err(|e| anyhow::anyhow!("sms: {e}"))?;
                self.sms.clone()
            },
            evaluation_weights: {
                self.evaluation.weights.check().map_err(|e| anyhow::anyhow!("evaluation.weights: {e}"))?;
                self.evaluation.weights
            },
        })
    }
}

#[cfg(test)]
// figment's test jail returns its large error type by design.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_files_and_environment_override_them() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "custom.toml",
                "listen = \"0.0.0.0:9000\"\n[calendar]\nclose_of_business = \"17:30\"\n[deadlines.completion]\nconsultation = \"3wd\"\n",
            )?;
            jail.set_env("HOTLINE_NODE_ID", "7");
            jail.set_env("HOTLINE_SESSIONS__TTL_HOURS", "8");
            jail.set_env("HOTLINE_NEW_PASSWORD", "not an option");
            let c = Config::load(Some(Path::new("custom.toml")), Overrides { data_dir: Some("/tmp/x".into()), ..Default::default() })
                .expect("loads");
            assert_eq!(c.listen.port(), 9000);
            assert_eq!(c.node_id, 7);
            assert_eq!(c.sessions.ttl_hours, 8);
            assert_eq!(c.calendar.close_of_business, "17:30");
            assert_eq!(c.database_url(), "sqlite:///tmp/x/hotline.db");
            let app = c.app_config().expect("valid");
            assert_eq!(
                app.rules.completion_span(hotline_domain::OrderType::Consultation, hotline_domain::Urgency::Normal).to_string(),
                "3wd"
            );
            Ok(())
        });
    }

    #[test]
    fn the_example_file_documents_exactly_the_defaults() {
        let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../hotline.example.toml");
        let from_file: Config = Figment::from(Toml::file(example)).extract().expect("the example parses");
        let defaults = Config::default();
        assert_eq!(serde_json::to_value(&from_file).unwrap(), serde_json::to_value(&defaults).unwrap());
    }

    #[test]
    fn bad_values_name_the_option() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("bad.toml", "[calendar]\nclose_of_business = \"six\"\n")?;
            let e = Config::load(Some(Path::new("bad.toml")), Overrides::default()).unwrap_err();
            assert!(format!("{e:#}").contains("calendar.close_of_business"), "{e:#}");
            jail.create_file("late.toml", "[calendar]\nstart_of_business = \"19:00\"\n")?;
            let e = Config::load(Some(Path::new("late.toml")), Overrides::default()).unwrap_err();
            assert!(format!("{e:#}").contains("calendar.start_of_business: must be before close_of_business"), "{e:#}");
            jail.create_file("weights.toml", "[evaluation.weights]\nsatisfaction = -1.0\n")?;
            let e = Config::load(Some(Path::new("weights.toml")), Overrides::default()).unwrap_err();
            assert!(format!("{e:#}").contains("evaluation.weights: weights must be 0 or more"), "{e:#}");
            jail.create_file("ring.toml", "[callcentre]\nring_secs = 0\n")?;
            let e = Config::load(Some(Path::new("ring.toml")), Overrides::default()).unwrap_err();
            assert!(format!("{e:#}").contains("callcentre: ring_secs"), "{e:#}");
            jail.create_file("lease.toml", "[callcentre]\nlease_seconds = 0\n")?;
            let e = Config::load(Some(Path::new("lease.toml")), Overrides::default()).unwrap_err();
            assert!(format!("{e:#}").contains("lease_seconds must be at least 1"), "{e:#}");
            jail.create_file("ahead.toml", "[database]\npartition_months_ahead = 0\n")?;
            let e = Config::load(Some(Path::new("ahead.toml")), Overrides::default()).unwrap_err();
            assert!(format!("{e:#}").contains("database.partition_months_ahead: must be at least 1"), "{e:#}");
            jail.create_file("night.toml", "[sms]\nsending_hours = \"21:00-08:00\"\n")?;
            let e = Config::load(Some(Path::new("night.toml")), Overrides::default()).unwrap_err();
            assert!(format!("{e:#}").contains("sms: sending_hours"), "{e:#}");
            jail.create_file(
                "trunk.toml",
                "[[sip.trunks]]\nname = \"telecom\"\n[sip.trunks.register]\nusername = \"076912345\"\npassword = \"x\"\n",
            )?;
            let e = Config::load(Some(Path::new("trunk.toml")), Overrides::default()).unwrap_err();
            assert!(format!("{e:#}").contains("register needs the carrier's server (sip.trunks.server)"), "{e:#}");
            jail.create_file("typo.toml", "listne = \"x\"\n")?;
            let e = Config::load(Some(Path::new("typo.toml")), Overrides::default()).unwrap_err();
            assert!(format!("{e:#}").contains("listne"), "{e:#}");
            Ok(())
        });
    }
}
