//! The link to the SMS centre: bound as a transceiver, bound again when it
//! drops; texts handed over through it, receipts and citizens' texts read
//! from it.

use crate::SmppConfig;
use crate::parts::{Assembler, Part, Whole};
use crate::receipt::parse_receipt;
use async_trait::async_trait;
use futures_util::StreamExt;
use hotline_app::inbox::{Incoming, SmsInbox};
use hotline_app::ports::SmsMessage;
use hotline_app::sms::{SmsGateway, Texts};
use hotline_domain::PhoneNumber;
use rusmpp::extra::concatenation::SubmitSmMultipartExt;
use rusmpp::extra::encoding::ucs2::Ucs2;
use rusmpp::pdus::{BindTransceiver, DeliverSm, DeliverSmResp, SubmitSm};
use rusmpp::types::COctetString;
use rusmpp::values::{MessageType, Npi, RegisteredDelivery, ServiceType, Ton};
use rusmpp::{Command, CommandStatus, Pdu};
use rusmppc::{Client, ConnectionBuilder, Event};
use sha2::{Digest, Sha256};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// A citizen's text handed over twice within this many seconds (the centre
/// resending one we did not acknowledge in time) is one text.
const SAME_TEXT_WINDOW_SECS: u64 = 600;

pub struct Smpp {
    config: SmppConfig,
    texts: Arc<Texts>,
    inbox: Arc<SmsInbox>,
    /// The bound link, while there is one.
    client: RwLock<Option<Arc<Client>>>,
    parts: Mutex<Assembler>,
    /// Woken when the link is bound (tests and the first sending round wait for it).
    bound: tokio::sync::Notify,
}

impl std::fmt::Debug for Smpp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smpp").field("address", &self.config.address).field("system_id", &self.config.system_id).finish()
    }
}

fn c_octets<const MIN: usize, const MAX: usize>(field: &str, value: &str) -> Result<COctetString<MIN, MAX>, String> {
    COctetString::from_str(value).map_err(|e| format!("{field} {value:?}: {e}"))
}

impl Smpp {
    pub fn new(config: SmppConfig, texts: Arc<Texts>, inbox: Arc<SmsInbox>) -> Result<Arc<Self>, String> {
        config.check()?;
        Ok(Arc::new(Self {
            config,
            texts,
            inbox,
            client: RwLock::new(None),
            parts: Mutex::new(Assembler::default()),
            bound: tokio::sync::Notify::new(),
        }))
    }

    /// Whether the link is bound now.
    pub async fn is_bound(&self) -> bool {
        self.client.read().await.as_ref().is_some_and(|c| c.is_active())
    }

    /// Waits until the link is bound, at most `timeout`.
    pub async fn wait_bound(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let woken = self.bound.notified();
            if self.is_bound().await {
                return true;
            }
            if tokio::time::timeout_at(deadline, woken).await.is_err() {
                return self.is_bound().await;
            }
        }
    }

    /// Binds, serves the link until it drops, and binds again, for as long as the server runs.
    pub fn spawn(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                if let Err(error) = self.serve_link().await {
                    tracing::warn!(address = %self.config.address, %error, "the SMPP link is down; binding again");
                }
                *self.client.write().await = None;
                tokio::time::sleep(Duration::from_secs(u64::from(self.config.reconnect_secs))).await;
            }
        })
    }

    async fn serve_link(&self) -> Result<(), String> {
        let (client, mut events) = ConnectionBuilder::new()
            .enquire_link_interval(Duration::from_secs(u64::from(self.config.enquire_link_secs)))
            .enquire_link_response_timeout(Duration::from_secs(u64::from(self.config.response_timeout_secs)))
            .response_timeout(Duration::from_secs(u64::from(self.config.response_timeout_secs)))
            // Operators' centres speak SMPP 3.4; what we send is the same in 3.4 and 5.0.
            .disable_interface_version_check()
            .connect(format!("smpp://{}", self.config.address))
            .await
            .map_err(|e| format!("connecting to {}: {e}", self.config.address))?;
        let bind = BindTransceiver::builder()
            .system_id(c_octets("system_id", &self.config.system_id)?)
            .password(c_octets("password", self.config.password.expose())?)
            .system_type(c_octets("system_type", &self.config.system_type)?)
            .addr_ton(Ton::Unknown)
            .addr_npi(Npi::Unknown)
            .address_range(COctetString::empty())
            .build();
        client.bind_transceiver(bind).await.map_err(|e| format!("binding as {}: {e}", self.config.system_id))?;
        let client = Arc::new(client);
        *self.client.write().await = Some(client.clone());
        self.bound.notify_waiters();
        tracing::info!(address = %self.config.address, system_id = %self.config.system_id, "bound to the SMS centre");
        self.texts.queued();
        while let Some(event) = events.next().await {
            match event {
                Event::Incoming(command) => self.incoming(&client, command).await,
                Event::Error(error) => tracing::warn!(%error, "SMPP link"),
            }
        }
        Err("the SMS centre closed the link".into())
    }

    async fn incoming(&self, client: &Client, command: Command) {
        let sequence = command.sequence_number();
        let Some(Pdu::DeliverSm(deliver)) = command.pdu() else {
            return;
        };
        let status = match self.delivered(deliver).await {
            Ok(()) => CommandStatus::EsmeRok,
            Err(error) => {
                // The centre keeps it and tries again later.
                tracing::warn!(%error, "a deliver_sm could not be taken");
                CommandStatus::EsmeRxTAppn
            }
        };
        let resp = DeliverSmResp::builder().message_id(COctetString::empty()).build();
        if let Err(e) = client.status(status).deliver_sm_resp(sequence, resp).await {
            tracing::warn!(error = %e, "answering a deliver_sm");
        }
    }

    /// A receipt for a text we handed over, or a citizen's text (or a part of one).
    async fn delivered(&self, deliver: &DeliverSm) -> Result<(), String> {
        let bytes = deliver.short_message().as_ref().to_vec();
        let receipt_type = matches!(
            deliver.esm_class.message_type,
            MessageType::ShortMessageContainsMCDeliveryReceipt | MessageType::ShortMessageContainsIntermediateDeliveryNotification
        );
        if receipt_type {
            let text = String::from_utf8_lossy(&bytes);
            let Some(receipt) = parse_receipt(&text) else {
                return Err(format!("a receipt that cannot be read: {text:?}"));
            };
            let known = self.texts.receipt_for(&receipt.id, receipt.state(), &receipt.describe()).await.map_err(|e| e.to_string())?;
            if !known {
                tracing::info!(id = %receipt.id, "a receipt for a text this hotline does not know");
            }
            return Ok(());
        }
        let part = Part {
            from: deliver.source_addr.to_string(),
            to: deliver.destination_addr.to_string(),
            data_coding: u8::from(deliver.data_coding),
            udhi: u8::from(deliver.esm_class) & 0x40 != 0,
            bytes,
        };
        let whole = self.parts.lock().expect("parts lock").add(part, Instant::now());
        match whole {
            Some(whole) => self.citizens_text(whole).await,
            None => Ok(()),
        }
    }

    async fn citizens_text(&self, whole: Whole) -> Result<(), String> {
        let from = match PhoneNumber::parse(&whole.from) {
            Ok(phone) => phone,
            Err(e) => {
                // Nobody to answer: kept in the log, not retried.
                tracing::warn!(from = %whole.from, error = %e.message, "a text from a number that is not a phone");
                return Ok(());
            }
        };
        let window = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() / SAME_TEXT_WINDOW_SECS);
        let digest = Sha256::digest(format!("{}\n{}\n{}\n{window}", from.as_str(), whole.to, whole.text));
        let incoming = Incoming { gateway_id: format!("smpp:{}", &hex::encode(digest)[..32]), from, to: whole.to, text: whole.text };
        self.inbox.take(incoming).await.map(|_| ()).map_err(|e| e.to_string())
    }

    /// The parts of a text, each asking for the centre's receipt only on the
    /// last one (which is the one the delivery log follows).
    fn submits(&self, text: &SmsMessage) -> Result<Vec<SubmitSm>, String> {
        let base = SubmitSm::builder()
            .service_type(ServiceType::default())
            .source_addr_ton(Ton::Unknown)
            .source_addr_npi(Npi::Unknown)
            .source_addr(c_octets("source_addr", &self.config.source_addr)?)
            .dest_addr_ton(Ton::Unknown)
            .dest_addr_npi(Npi::Isdn)
            .destination_addr(c_octets("phone", text.phone.as_str())?)
            .build();
        let mut parts = base.multipart(&text.text).fallback(Ucs2::new()).build().map_err(|e| format!("the text cannot be encoded: {e}"))?;
        if let Some(last) = parts.last_mut() {
            last.registered_delivery = RegisteredDelivery::from(1u8);
        }
        Ok(parts)
    }
}

#[async_trait]
impl SmsGateway for Smpp {
    async fn send(&self, text: &SmsMessage) -> Result<Option<String>, String> {
        let client = self.client.read().await.clone().ok_or_else(|| format!("not bound to the SMS centre at {}", self.config.address))?;
        let mut reference = None;
        for part in self.submits(text)? {
            let resp = client.submit_sm(part).await.map_err(|e| format!("submit_sm: {e}"))?;
            reference = Some(resp.message_id().to_string());
        }
        Ok(reference)
    }
}
