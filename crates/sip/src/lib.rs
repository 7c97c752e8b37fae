//! The SIP gateway: real phone calls behind the switchboard's telephony
//! port (`hotline_app::calls::TelephonyAdapter`).
//!
//! Carriers' INVITEs to the centre's numbers are answered, greeted and
//! queued by the number dialled; consultants' phones REGISTER with digest
//! credentials and are rung when the engine offers them a call; RTP is
//! anchored in the server and relayed between the legs. The SIP stack is
//! rsipstack (transactions, dialogs, UDP and TCP); see `docs/callcentre.md`.

pub mod config;
mod gateway;
pub mod media;
pub mod registrar;
pub mod softphone;

pub use config::{OutboundTrunk, PromptsConfig, SipConfig, TrunkConfig, TrunkRegistration};

use hotline_app::calls::{LineContext, Telephony, TelephonyAdapter};
use media::prompts::Prompts;
use rsipstack::EndpointBuilder;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::transaction::{Endpoint, TransactionReceiver};
use rsipstack::transport::TransportLayer;
use rsipstack::transport::tcp_listener::TcpListenerConnection;
use rsipstack::transport::udp::UdpConnection;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

#[derive(Debug, thiserror::Error)]
pub enum SipError {
    #[error("sip configuration: {0}")]
    Config(String),
    #[error("sip: cannot listen on {addr}: {message}")]
    Listen { addr: SocketAddr, message: String },
}

/// A bound SIP endpoint, waiting to be attached to the switchboard.
pub struct SipGateway {
    config: SipConfig,
    endpoint: Endpoint,
    incoming: Mutex<Option<TransactionReceiver>>,
    media_ip: IpAddr,
    prompts: Prompts,
    cancel: CancellationToken,
    listen: SocketAddr,
    stats: Arc<media::relay::MediaStats>,
}

impl SipGateway {
    /// Listens on `config.listen` over UDP and TCP (the same port).
    pub async fn bind(config: SipConfig) -> Result<Arc<Self>, SipError> {
        config.check().map_err(SipError::Config)?;
        let addr = config.listen.ok_or_else(|| SipError::Config("sip.listen is not set".into()))?;

        let prompts = Prompts::load(&config.prompts, config.hold_notice_secs, config.announce_position).map_err(SipError::Config)?;
        let cancel = CancellationToken::new();
        let transport = TransportLayer::new(cancel.clone());
        let listen_error = |e: rsipstack::Error| SipError::Listen { addr, message: e.to_string() };
        let udp = UdpConnection::create_connection(addr, None, Some(cancel.child_token())).await.map_err(listen_error)?;
        let bound = udp.get_addr().get_socketaddr().map_err(listen_error)?;
        transport.add_transport(udp.into());
        let tcp = TcpListenerConnection::new(bound, None).await.map_err(listen_error)?;
        transport.add_transport(tcp.into());
        let endpoint =
            EndpointBuilder::new().with_cancel_token(cancel.clone()).with_transport_layer(transport).with_user_agent("hotline").build();
        let incoming = endpoint.incoming_transactions().map_err(|e| SipError::Config(e.to_string()))?;
        let media_ip = config.media_address.unwrap_or(bound.ip());
        Ok(Arc::new(Self {
            config,
            endpoint,
            incoming: Mutex::new(Some(incoming)),
            media_ip,
            prompts,
            cancel,
            listen: bound,
            stats: Arc::default(),
        }))
    }

    /// Where SIP is received (the port chosen when the configuration said 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listen
    }

    /// RTP packets relayed and played since the gateway started.
    pub fn media_stats(&self) -> &media::relay::MediaStats {
        &self.stats
    }

    /// Stops listening; calls in progress are dropped.
    pub fn shutdown(&self) {
        self.cancel.cancel();
    }
}

impl TelephonyAdapter for SipGateway {
    fn attach(&self, lines: LineContext) -> Arc<dyn Telephony> {
        let endpoint = self.endpoint.inner.clone();
        let serving = endpoint.clone();
        tokio::spawn(async move {
            if let Err(e) = serving.serve().await {
                tracing::error!(error = %e, "the SIP endpoint stopped");
            }
        });
        let dialogs = Arc::new(DialogLayer::new(endpoint));
        let incoming = self.incoming.lock().expect("incoming lock").take().expect("the SIP gateway is attached once");
        let host = SocketAddr::new(self.media_ip, self.listen.port());
        let contact: rsipstack::sip::Uri = format!("sip:hotline@{host}").as_str().try_into().expect("a SIP URI of an address");
        Arc::new(gateway::Core::start(
            self.config.clone(),
            lines,
            dialogs,
            incoming,
            self.media_ip,
            self.prompts.clone(),
            contact,
            self.stats.clone(),
            self.cancel.child_token(),
        ))
    }
}
