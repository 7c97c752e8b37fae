//! `[sip]`: where the gateway listens, which carriers it trusts and what
//! callers hear. Every field is documented in `docs/configuration.md`.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SipConfig {
    /// Address for SIP over UDP and TCP; unset: the centre takes no real calls.
    pub listen: Option<SocketAddr>,
    /// The address written in SDP for RTP (and in our Contact); default:
    /// the listening address, which must then not be 0.0.0.0.
    pub media_address: Option<IpAddr>,
    /// The first and last UDP port for RTP; each call takes two even ports.
    pub rtp_ports: [u16; 2],
    /// Carriers whose INVITEs to the centre's numbers are answered.
    pub trunks: Vec<TrunkConfig>,
    /// The longest registration a phone is granted, in seconds.
    pub max_register_secs: u32,
    /// Music between two notices to a waiting caller, in seconds.
    pub hold_notice_secs: u32,
    /// The notice tells the caller's place in the queue (您前面还有 N 位);
    /// false: a please-hold notice.
    pub announce_position: bool,
    pub prompts: PromptsConfig,
    /// The carrier's trunk for outgoing calls: transfers and three-way
    /// calls to sub-centres (12366 …) and to 110/119/120.
    pub outbound: Option<OutboundTrunk>,
    /// Seconds a caller has to rate the call by keypad after the consultant
    /// hung up (1 satisfied, 2 basically satisfied, 3 unsatisfied), counted
    /// from the end of the prompt; 0: no rating, the call ends at once.
    pub rating_secs: u32,
    /// The shortest session interval (RFC 4028) a carrier may ask for;
    /// shorter ones get 422 with this as Min-SE.
    pub min_session_secs: u32,
    /// The session interval set on carriers' calls that asked for none
    /// (the gateway then refreshes, or the carrier when it supports
    /// timers), and asked for on the legs the gateway places (phones,
    /// sub-centres, callbacks); 0: timers only when the carrier asks.
    pub session_secs: u32,
    /// Whether answered calls are recorded (stereo WAV in the attachment store).
    pub record: bool,
    /// Where recordings are written while a call lasts; default: the
    /// system's temporary directory.
    pub spool_dir: Option<PathBuf>,
}

/// Where outgoing calls go, and as whom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundTrunk {
    /// The carrier's SIP address (UDP).
    pub address: SocketAddr,
    /// Digest credentials when the carrier challenges.
    pub username: Option<String>,
    pub password: Option<String>,
    /// The number shown to the called party, unless `show_caller`.
    #[serde(default = "centre_number")]
    pub caller_id: String,
    /// Show the citizen's number instead (a sub-centre then sees who calls).
    #[serde(default)]
    pub show_caller: bool,
    /// Seconds between OPTIONS probes to `address` (the wallboard shows the
    /// trunk down before a transfer needs it); 0: no probes.
    #[serde(default = "keepalive_default")]
    pub keepalive_secs: u32,
}

fn keepalive_default() -> u32 {
    30
}

fn register_default() -> u32 {
    600
}

fn centre_number() -> String {
    "12345".into()
}

impl Default for SipConfig {
    fn default() -> Self {
        Self {
            listen: None,
            media_address: None,
            rtp_ports: [30000, 39999],
            trunks: Vec::new(),
            max_register_secs: 3600,
            hold_notice_secs: 30,
            announce_position: true,
            prompts: PromptsConfig::default(),
            outbound: None,
            rating_secs: 8,
            min_session_secs: 90,
            session_secs: 1800,
            record: true,
            spool_dir: None,
        }
    }
}

/// A carrier's SIP trunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrunkConfig {
    pub name: String,
    /// Addresses calls from this carrier come from (`server`'s address is
    /// trusted too).
    #[serde(default)]
    pub addresses: Vec<IpAddr>,
    /// The carrier's SIP server (UDP): where OPTIONS probes and REGISTERs
    /// go. Unset: the trunk is only trusted, never probed.
    #[serde(default)]
    pub server: Option<SocketAddr>,
    /// Seconds between OPTIONS probes to `server`; 0: no probes.
    #[serde(default = "keepalive_default")]
    pub keepalive_secs: u32,
    /// Register with the carrier (trunks sold as a registered account).
    #[serde(default)]
    pub register: Option<TrunkRegistration>,
}

impl TrunkConfig {
    /// A trunk trusted by address only: no server, no probes, no registration.
    pub fn trusted(name: impl Into<String>, addresses: Vec<IpAddr>) -> Self {
        Self { name: name.into(), addresses, server: None, keepalive_secs: keepalive_default(), register: None }
    }
}

/// The account a trunk registers as; calls then come to
/// `sip:<username>@<our address>` and the number dialled is read from the
/// request line or, failing that, the To header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrunkRegistration {
    pub username: String,
    pub password: String,
    /// The digest user when it differs from `username`.
    #[serde(default)]
    pub auth_username: Option<String>,
    /// The carrier's domain in the registered address
    /// (`sip:<username>@<domain>`); default: `server`'s address.
    #[serde(default)]
    pub domain: Option<String>,
    /// The registration's lifetime asked for; it is refreshed at 3/4 of
    /// what the carrier grants.
    #[serde(default = "register_default")]
    pub expires_secs: u32,
}

/// WAV files (mono 8 kHz, PCM 16-bit, A-law or µ-law) replacing the
/// shipped prompts; unset ones keep the shipped ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PromptsConfig {
    pub greeting: Option<PathBuf>,
    /// A greeting per number dialled, e.g. `"12333" = "/etc/hotline/12333.wav"`.
    pub greetings: HashMap<String, PathBuf>,
    pub music: Option<PathBuf>,
    pub please_hold: Option<PathBuf>,
    pub callback: Option<PathBuf>,
    pub rating: Option<PathBuf>,
    pub thanks: Option<PathBuf>,
}

impl SipConfig {
    /// Refuses settings the gateway cannot start with.
    pub fn check(&self) -> Result<(), String> {
        let [first, last] = self.rtp_ports;
        if first < 1024 || last < first + 1 {
            return Err("sip.rtp_ports must be two ports from 1024 up, the first below the last".into());
        }
        if let Some(listen) = self.listen
            && listen.ip().is_unspecified()
            && self.media_address.is_none()
        {
            return Err("sip.media_address must be set when sip.listen is an unspecified address (0.0.0.0 or ::)".into());
        }
        if self.min_session_secs == 0 || (self.session_secs != 0 && self.session_secs < self.min_session_secs) {
            return Err("sip.min_session_secs must be at least 1, and sip.session_secs 0 or at least min_session_secs".into());
        }
        if self.max_register_secs < 60 {
            return Err("sip.max_register_secs must be at least 60".into());
        }
        for trunk in &self.trunks {
            if let Some(register) = &trunk.register {
                if trunk.server.is_none() {
                    return Err(format!("sip.trunks \"{}\": register needs the carrier's server (sip.trunks.server)", trunk.name));
                }
                if register.expires_secs < 60 {
                    return Err(format!("sip.trunks \"{}\": register.expires_secs must be at least 60", trunk.name));
                }
                if register.username.trim().is_empty() {
                    return Err(format!("sip.trunks \"{}\": register.username is empty", trunk.name));
                }
            }
        }
        Ok(())
    }

    /// Whether a request from `ip` comes from a trusted carrier.
    pub fn trunk_of(&self, ip: IpAddr) -> Option<&TrunkConfig> {
        self.trunks.iter().find(|t| t.addresses.contains(&ip) || t.server.is_some_and(|s| s.ip() == ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_pass_and_mistakes_are_named() {
        assert_eq!(SipConfig::default().check(), Ok(()));
        let wildcard = SipConfig { listen: Some("0.0.0.0:5060".parse().unwrap()), ..Default::default() };
        assert!(wildcard.check().unwrap_err().contains("media_address"));
        let ports = SipConfig { rtp_ports: [4000, 4000], ..Default::default() };
        assert!(ports.check().unwrap_err().contains("rtp_ports"));
        let registration =
            TrunkRegistration { username: "076912345".into(), password: "s".into(), auth_username: None, domain: None, expires_secs: 600 };
        let serverless = SipConfig {
            trunks: vec![TrunkConfig { register: Some(registration.clone()), ..TrunkConfig::trusted("telecom", vec![]) }],
            ..Default::default()
        };
        assert!(serverless.check().unwrap_err().contains("sip.trunks.server"));
        let short = SipConfig {
            trunks: vec![TrunkConfig {
                server: Some("10.0.0.1:5060".parse().unwrap()),
                register: Some(TrunkRegistration { expires_secs: 30, ..registration }),
                ..TrunkConfig::trusted("telecom", vec![])
            }],
            ..Default::default()
        };
        assert!(short.check().unwrap_err().contains("expires_secs"));
    }

    #[test]
    fn a_trunks_server_is_trusted_like_its_addresses() {
        let config = SipConfig {
            trunks: vec![TrunkConfig {
                server: Some("10.0.0.1:5060".parse().unwrap()),
                ..TrunkConfig::trusted("telecom", vec!["10.0.0.2".parse().unwrap()])
            }],
            ..Default::default()
        };
        assert!(config.trunk_of("10.0.0.1".parse().unwrap()).is_some());
        assert!(config.trunk_of("10.0.0.2".parse().unwrap()).is_some());
        assert!(config.trunk_of("10.0.0.3".parse().unwrap()).is_none());
    }
}
