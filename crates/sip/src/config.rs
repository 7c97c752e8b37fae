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
    /// Music between two please-hold notices, in seconds.
    pub hold_notice_secs: u32,
    pub prompts: PromptsConfig,
    /// The carrier's trunk for outgoing calls: transfers and three-way
    /// calls to sub-centres (12366 …) and to 110/119/120.
    pub outbound: Option<OutboundTrunk>,
    /// Seconds a caller has to rate the call by keypad after the consultant
    /// hung up (1 satisfied, 2 basically satisfied, 3 unsatisfied), counted
    /// from the end of the prompt; 0: no rating, the call ends at once.
    pub rating_secs: u32,
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
            prompts: PromptsConfig::default(),
            outbound: None,
            rating_secs: 8,
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
    /// Addresses calls from this carrier come from.
    pub addresses: Vec<IpAddr>,
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
        if self.max_register_secs < 60 {
            return Err("sip.max_register_secs must be at least 60".into());
        }
        Ok(())
    }

    /// Whether a request from `ip` comes from a trusted carrier.
    pub fn trunk_of(&self, ip: IpAddr) -> Option<&TrunkConfig> {
        self.trunks.iter().find(|t| t.addresses.contains(&ip))
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
    }
}
