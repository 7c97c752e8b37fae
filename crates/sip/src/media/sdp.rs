//! The audio part of SDP offers and answers (RFC 3264): where a peer wants
//! RTP, and which of G.711 A-law, µ-law and RFC 4733 telephone-events it
//! speaks. Parsing is sdp-types'; only the choice is ours.

use std::net::{IpAddr, SocketAddr};

/// A G.711 variant with its static payload type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Pcmu,
    Pcma,
}

impl Codec {
    pub fn payload_type(self) -> u8 {
        match self {
            Self::Pcmu => 0,
            Self::Pcma => 8,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Pcmu => "PCMU",
            Self::Pcma => "PCMA",
        }
    }
}

/// What one side of a call negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Media {
    /// Where the peer receives RTP.
    pub addr: SocketAddr,
    pub codec: Codec,
    /// The payload type of telephone-events (keypad digits), if offered.
    pub events: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    #[error("the session description could not be read: {0}")]
    Unreadable(String),
    #[error("the session description offers no audio over RTP/AVP")]
    NoAudio,
    #[error("the session description gives no connection address for its audio")]
    NoAddress,
    #[error("none of the offered codecs is G.711 (PCMA or PCMU)")]
    NoCommonCodec,
}

/// Reads an offer or an answer: the first audio stream, the first G.711
/// codec in the peer's order of preference.
pub fn read(body: &[u8]) -> Result<Media, SdpError> {
    let session = sdp_types::Session::parse(body).map_err(|e| SdpError::Unreadable(e.to_string()))?;
    let audio = session.medias.iter().find(|m| m.media == "audio" && m.proto.starts_with("RTP/AVP")).ok_or(SdpError::NoAudio)?;
    let connection = audio.connections.first().or(session.connection.as_ref()).ok_or(SdpError::NoAddress)?;
    let ip: IpAddr = connection.connection_address.split('/').next().unwrap_or_default().parse().map_err(|_| SdpError::NoAddress)?;
    let mut events = None;
    let mut names = Vec::new();
    for attribute in audio.attributes.iter().filter(|a| a.attribute == "rtpmap") {
        let Some((pt, name)) = attribute.value.as_deref().and_then(|v| v.split_once(' ')) else { continue };
        let Ok(pt) = pt.parse::<u8>() else { continue };
        let name = name.to_ascii_uppercase();
        if name.starts_with("TELEPHONE-EVENT/8000") {
            events = Some(pt);
        }
        names.push((pt, name));
    }
    let codec = audio
        .fmt
        .split_whitespace()
        .filter_map(|f| f.parse::<u8>().ok())
        .find_map(|pt| {
            let named = names.iter().find(|(p, _)| *p == pt).map(|(_, n)| n.as_str());
            match (pt, named) {
                (0, None) => Some(Codec::Pcmu),
                (8, None) => Some(Codec::Pcma),
                (_, Some(n)) if n.starts_with("PCMU/8000") => Some(Codec::Pcmu),
                (_, Some(n)) if n.starts_with("PCMA/8000") => Some(Codec::Pcma),
                _ => None,
            }
        })
        .ok_or(SdpError::NoCommonCodec)?;
    Ok(Media { addr: SocketAddr::new(ip, audio.port), codec, events })
}

/// Which way a description lets the audio flow, from its writer's side
/// (RFC 3264 §5.1); a phone puts a call on hold with `sendonly` or
/// `inactive`, older ones with the connection address 0.0.0.0 (RFC 2543).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    /// The direction of the answer to an offer going this way (§6.1).
    pub fn answer(self) -> Self {
        match self {
            Self::SendOnly => Self::RecvOnly,
            Self::RecvOnly => Self::SendOnly,
            other => other,
        }
    }

    /// The writer no longer listens: the call is on hold at its end.
    pub fn holds(self) -> bool {
        matches!(self, Self::SendOnly | Self::Inactive)
    }

    fn attribute(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }
}

/// The direction of a description's first audio stream (its own attribute,
/// else the session's; `sendrecv` when neither says); a connection address
/// of 0.0.0.0 is hold the old way.
pub fn direction(body: &[u8]) -> Result<Direction, SdpError> {
    let session = sdp_types::Session::parse(body).map_err(|e| SdpError::Unreadable(e.to_string()))?;
    let audio = session.medias.iter().find(|m| m.media == "audio" && m.proto.starts_with("RTP/AVP")).ok_or(SdpError::NoAudio)?;
    let named = |attributes: &[sdp_types::Attribute]| {
        attributes.iter().find_map(|a| {
            [Direction::SendRecv, Direction::SendOnly, Direction::RecvOnly, Direction::Inactive]
                .into_iter()
                .find(|d| a.attribute.eq_ignore_ascii_case(d.attribute()))
        })
    };
    let connection = audio.connections.first().or(session.connection.as_ref());
    let zero = connection.is_some_and(|c| {
        c.connection_address.split('/').next().and_then(|ip| ip.parse::<IpAddr>().ok()).is_some_and(|ip| ip.is_unspecified())
    });
    Ok(match named(&audio.attributes).or_else(|| named(&session.attributes)).unwrap_or(Direction::SendRecv) {
        Direction::SendRecv if zero => Direction::SendOnly,
        Direction::RecvOnly if zero => Direction::Inactive,
        d => d,
    })
}

/// The payload type our descriptions give telephone-events.
pub const EVENTS_PT: u8 = 101;

/// Our description for RTP at `addr`: an answer lists the one codec
/// chosen, an offer both G.711 variants (A-law first, as Chinese trunks use).
pub fn describe(addr: SocketAddr, codecs: &[Codec], session_id: u64) -> String {
    describe_directed(addr, codecs, session_id, Direction::SendRecv)
}

/// [`describe`], with the direction of an answer to a hold or a resume.
pub fn describe_directed(addr: SocketAddr, codecs: &[Codec], session_id: u64, direction: Direction) -> String {
    let family = if addr.is_ipv4() { "IP4" } else { "IP6" };
    let ip = addr.ip();
    let mut fmt: Vec<String> = codecs.iter().map(|c| c.payload_type().to_string()).collect();
    fmt.push(EVENTS_PT.to_string());
    let mut sdp = format!(
        "v=0\r\no=hotline {session_id} {session_id} IN {family} {ip}\r\ns=hotline\r\nc=IN {family} {ip}\r\nt=0 0\r\nm=audio {} RTP/AVP {}\r\n",
        addr.port(),
        fmt.join(" ")
    );
    for codec in codecs {
        sdp.push_str(&format!("a=rtpmap:{} {}/8000\r\n", codec.payload_type(), codec.name()));
    }
    sdp.push_str(&format!(
        "a=rtpmap:{EVENTS_PT} telephone-event/8000\r\na=fmtp:{EVENTS_PT} 0-16\r\na=ptime:20\r\na={}\r\n",
        direction.attribute()
    ));
    sdp
}

#[cfg(test)]
mod tests {
    use super::*;

    // SIPp's uac_pcap scenario offers this.
    const SIPP: &str = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                        m=audio 6000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-11,16\r\n";

    #[test]
    fn sipps_offer_is_read() {
        let media = read(SIPP.as_bytes()).unwrap();
        assert_eq!(media, Media { addr: "127.0.0.1:6000".parse().unwrap(), codec: Codec::Pcma, events: Some(101) });
    }

    #[test]
    fn the_peers_preference_wins_and_static_types_need_no_rtpmap() {
        let offer = "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18 0 8\r\nc=IN IP4 10.0.0.3\r\n";
        let media = read(offer.as_bytes()).unwrap();
        assert_eq!(media.codec, Codec::Pcmu);
        assert_eq!(media.addr, "10.0.0.3:4000".parse().unwrap(), "the media's own address wins over the session's");
        assert_eq!(media.events, None);
    }

    #[test]
    fn offers_without_g711_or_audio_or_sense_are_refused() {
        let g729 = SIPP.replace("RTP/AVP 8 101", "RTP/AVP 18").replace("a=rtpmap:8 PCMA/8000\r\n", "");
        assert_eq!(read(g729.as_bytes()), Err(SdpError::NoCommonCodec));
        let video = SIPP.replace("m=audio", "m=video");
        assert_eq!(read(video.as_bytes()), Err(SdpError::NoAudio));
        assert!(matches!(read(b"hello"), Err(SdpError::Unreadable(_))));
        let no_c = SIPP.replace("c=IN IP4 127.0.0.1\r\n", "");
        assert_eq!(read(no_c.as_bytes()), Err(SdpError::NoAddress));
    }

    #[test]
    fn hold_is_read_every_way_phones_say_it_and_answered_in_the_mirror() {
        assert_eq!(direction(SIPP.as_bytes()), Ok(Direction::SendRecv));
        let media_level = format!("{SIPP}a=sendonly\r\n");
        assert_eq!(direction(media_level.as_bytes()), Ok(Direction::SendOnly));
        let session_level = SIPP.replace("t=0 0\r\n", "t=0 0\r\na=inactive\r\n");
        assert_eq!(direction(session_level.as_bytes()), Ok(Direction::Inactive));
        let old_style = SIPP.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0");
        assert!(direction(old_style.as_bytes()).unwrap().holds(), "c=0.0.0.0 is hold (RFC 2543)");
        assert_eq!(Direction::SendOnly.answer(), Direction::RecvOnly);
        assert_eq!(Direction::Inactive.answer(), Direction::Inactive);
        let answer = describe_directed("127.0.0.1:30000".parse().unwrap(), &[Codec::Pcma], 7, Direction::RecvOnly);
        assert_eq!(direction(answer.as_bytes()), Ok(Direction::RecvOnly));
        assert!(!Direction::RecvOnly.holds() && !Direction::SendRecv.holds());
    }

    #[test]
    fn our_description_reads_back() {
        let sdp = describe("127.0.0.1:30000".parse().unwrap(), &[Codec::Pcma, Codec::Pcmu], 7);
        let media = read(sdp.as_bytes()).unwrap();
        assert_eq!(media, Media { addr: "127.0.0.1:30000".parse().unwrap(), codec: Codec::Pcma, events: Some(EVENTS_PT) });
    }
}
