//! Live events between the nodes sharing a database, over NATS: each node
//! publishes what its own screens hear (`hotline_app::live::LiveEvent`)
//! on one subject and tells its screens what the other nodes publish
//! there. Core NATS, at most once: a screen that misses an event shows it
//! at its next reload, as after a dropped connection.

use futures_util::StreamExt;
use hotline_app::App;
use hotline_app::live::{LiveEvent, LiveRelay};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::mpsc;

/// The `[cluster]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// `nats://host:4222` (several, comma-separated, for a NATS cluster);
    /// empty: this node is alone and relays nothing.
    pub nats_url: String,
    /// The subject the nodes of one platform share; another platform on
    /// the same NATS takes another.
    pub subject: String,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self { nats_url: String::new(), subject: "hotline.live".into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("cannot reach NATS at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("cannot subscribe to {subject}: {reason}")]
    Subscribe { subject: String, reason: String },
    #[error("this node already relays its live events")]
    AlreadyJoined,
}

/// What goes over the wire: the event and the node it came from, so a
/// node does not hear its own events twice.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    from: i64,
    event: LiveEvent,
}

/// Hands this node's events to the task that publishes them, in order.
struct Outbox(mpsc::UnboundedSender<LiveEvent>);

impl LiveRelay for Outbox {
    fn publish(&self, event: LiveEvent) {
        // The task ends only with the process.
        let _ = self.0.send(event);
    }
}

/// Connects this node to the others: its live events go out on
/// `config.subject`, theirs come in to its screens. The task runs until
/// the process ends; NATS's client reconnects by itself.
pub async fn join(config: &ClusterConfig, app: &App) -> Result<tokio::task::JoinHandle<()>, RelayError> {
    let url = config.nats_url.trim();
    let client = async_nats::connect(url).await.map_err(|e| RelayError::Connect { url: url.to_owned(), reason: e.to_string() })?;
    let subject = config.subject.clone();
    let mut incoming =
        client.subscribe(subject.clone()).await.map_err(|e| RelayError::Subscribe { subject: subject.clone(), reason: e.to_string() })?;
    // The subscription is only queued until the server has it: flushed (a
    // round trip), the node hears every event published after it joined.
    client.flush().await.map_err(|e| RelayError::Subscribe { subject: subject.clone(), reason: e.to_string() })?;
    let (tx, mut outgoing) = mpsc::unbounded_channel();
    if !app.relay.attach(Arc::new(Outbox(tx))) {
        return Err(RelayError::AlreadyJoined);
    }
    // Unique among the nodes, as every id the generator gives.
    let me = app.ids.next();
    let app = app.clone();
    tracing::info!(url, subject = %subject, "live events relayed between the nodes over NATS");
    Ok(tokio::spawn(async move {
        loop {
            tokio::select! {
                Some(event) = outgoing.recv() => {
                    let body = match serde_json::to_vec(&Envelope { from: me, event }) {
                        Ok(body) => body,
                        Err(e) => { tracing::warn!(error = %e, "a live event could not be written"); continue }
                    };
                    if let Err(e) = client.publish(subject.clone(), body.into()).await {
                        tracing::warn!(error = %e, "a live event could not be relayed to the other nodes");
                    }
                }
                Some(message) = incoming.next() => {
                    match serde_json::from_slice::<Envelope>(&message.payload) {
                        Ok(envelope) if envelope.from == me => {}
                        Ok(envelope) => hear(&app, envelope.event).await,
                        Err(e) => tracing::warn!(error = %e, subject = %message.subject, "a live event from another node could not be read"),
                    }
                }
                else => break,
            }
        }
    }))
}

async fn hear(app: &App, event: LiveEvent) {
    match event {
        LiveEvent::Order(change) => app.orders.hear(change),
        LiveEvent::AlertsRaised { ids } => app.supervision.hear(&ids, true).await,
        LiveEvent::AlertsCounted { ids } => app.supervision.hear(&ids, false).await,
    }
}
