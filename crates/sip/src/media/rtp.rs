//! RTP (RFC 3550) headers: read to relay and count, written for prompts.

/// The fixed header of an RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
}

/// A packet's header and where its payload starts; `None` for anything
/// that is not RTP version 2 or is cut short.
pub fn parse(packet: &[u8]) -> Option<(Header, usize)> {
    if packet.len() < 12 || packet[0] >> 6 != 2 {
        return None;
    }
    let csrcs = usize::from(packet[0] & 0x0F);
    let mut start = 12 + 4 * csrcs;
    if packet[0] & 0x10 != 0 {
        let words = usize::from(u16::from_be_bytes([*packet.get(start + 2)?, *packet.get(start + 3)?]));
        start += 4 + 4 * words;
    }
    let mut end = packet.len();
    if packet[0] & 0x20 != 0 {
        end = end.checked_sub(usize::from(*packet.last()?))?;
    }
    if start > end {
        return None;
    }
    let header = Header {
        marker: packet[1] & 0x80 != 0,
        payload_type: packet[1] & 0x7F,
        sequence: u16::from_be_bytes([packet[2], packet[3]]),
        timestamp: u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]),
        ssrc: u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]),
    };
    Some((header, start))
}

/// Writes a packet without CSRCs, extension or padding.
pub fn write(header: &Header, payload: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.push(0x80);
    out.push(u8::from(header.marker) << 7 | (header.payload_type & 0x7F));
    out.extend_from_slice(&header.sequence.to_be_bytes());
    out.extend_from_slice(&header.timestamp.to_be_bytes());
    out.extend_from_slice(&header.ssrc.to_be_bytes());
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_packet_reads_back() {
        let header = Header { marker: true, payload_type: 8, sequence: 65535, timestamp: 160, ssrc: 0xDEADBEEF };
        let mut out = Vec::new();
        write(&header, &[1, 2, 3], &mut out);
        assert_eq!(parse(&out), Some((header, 12)));
        assert_eq!(&out[12..], &[1, 2, 3]);
    }

    #[test]
    fn csrcs_extension_and_padding_are_skipped() {
        let mut p = vec![0x80 | 0x20 | 0x10 | 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
        p.extend_from_slice(&[0, 0, 0, 9]); // one CSRC
        p.extend_from_slice(&[0xBE, 0xDE, 0, 1, 7, 7, 7, 7]); // one-word extension
        p.extend_from_slice(&[42, 43]); // payload
        p.extend_from_slice(&[0, 2]); // two bytes of padding
        let (_, start) = parse(&p).unwrap();
        assert_eq!(&p[start..p.len() - 2], &[42, 43]);
    }

    #[test]
    fn junk_is_refused() {
        assert_eq!(parse(&[0x80; 5]), None);
        assert_eq!(parse(&[0x40; 12]), None, "version 1");
        let mut padded_too_much = vec![0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        padded_too_much.push(200);
        assert_eq!(parse(&padded_too_much), None);
    }
}
