//! The WAV files prompts come in: mono, 8 kHz, 16-bit PCM, A-law or µ-law
//! (the formats telephony prompts are shipped in), read into linear samples.

use super::g711;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WavError {
    #[error("not a RIFF WAVE file")]
    NotWave,
    #[error("no fmt or data chunk")]
    Incomplete,
    #[error("{0}: prompts must be mono 8000 Hz PCM 16-bit, A-law or µ-law")]
    Unsupported(String),
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, *b.get(at + 3)?]))
}

/// The samples of a prompt.
pub fn read(bytes: &[u8]) -> Result<Vec<i16>, WavError> {
    if bytes.get(0..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WAVE") {
        return Err(WavError::NotWave);
    }
    let (mut format, mut data) = (None, None);
    let mut at = 12;
    while let (Some(id), Some(len)) = (bytes.get(at..at + 4), u32_at(bytes, at + 4)) {
        let body = at + 8;
        let end = body.saturating_add(len as usize).min(bytes.len());
        match id {
            b"fmt " => format = Some((u16_at(bytes, body), u16_at(bytes, body + 2), u32_at(bytes, body + 4), u16_at(bytes, body + 14))),
            b"data" => data = Some(&bytes[body.min(end)..end]),
            _ => {}
        }
        at = end + (len as usize & 1);
    }
    let (Some((Some(tag), Some(channels), Some(rate), Some(bits))), Some(data)) = (format, data) else {
        return Err(WavError::Incomplete);
    };
    if channels != 1 || rate != 8000 {
        return Err(WavError::Unsupported(format!("{channels} channel(s) at {rate} Hz")));
    }
    match (tag, bits) {
        (1, 16) => Ok(data.chunks_exact(2).map(|s| i16::from_le_bytes([s[0], s[1]])).collect()),
        (6, 8) => Ok(data.iter().map(|b| g711::alaw_decode(*b)).collect()),
        (7, 8) => Ok(data.iter().map(|b| g711::ulaw_decode(*b)).collect()),
        _ => Err(WavError::Unsupported(format!("format {tag} with {bits} bits"))),
    }
}

/// A mono 8 kHz 16-bit PCM file of `samples`, or a stereo one of pairs.
pub fn write_pcm16(channels: u16, samples: &[i16]) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&(8000 * 2 * u32::from(channels)).to_le_bytes());
    out.extend_from_slice(&(2 * channels).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcm_reads_back() {
        let samples = [0i16, 1000, -1000, i16::MAX, i16::MIN];
        assert_eq!(read(&write_pcm16(1, &samples)).unwrap(), samples);
    }

    #[test]
    fn the_shipped_prompts_are_readable_alaw() {
        for (name, bytes) in crate::media::prompts::SHIPPED {
            let samples = read(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(samples.len() > 8000, "{name} lasts more than a second");
            assert_eq!(u16_at(bytes, 20), Some(6), "{name} is A-law");
        }
    }

    #[test]
    fn stereo_and_other_rates_are_refused_with_the_reason() {
        let stereo = write_pcm16(2, &[0, 0]);
        assert_eq!(read(&stereo), Err(WavError::Unsupported("2 channel(s) at 8000 Hz".into())));
        assert_eq!(read(b"RIFF\0\0\0\0WAVE"), Err(WavError::Incomplete));
        assert_eq!(read(b"hello"), Err(WavError::NotWave));
    }
}
