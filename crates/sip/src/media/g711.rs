//! G.711 (ITU-T): A-law and µ-law companding of 16-bit linear samples, the
//! only codecs a public telephone trunk and every SIP phone share.

/// A-law, as ITU-T G.711 (and Sun's g711.c) define it.
pub fn alaw_encode(sample: i16) -> u8 {
    let mut pcm = i32::from(sample) >> 3;
    let mask = if pcm >= 0 {
        0xD5
    } else {
        pcm = -pcm - 1;
        0x55
    };
    let segment = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF].iter().position(|&end| pcm <= end);
    let byte = match segment {
        None => 0x7F,
        Some(seg) => {
            let shift = if seg < 2 { 1 } else { seg as i32 };
            ((seg as i32) << 4 | ((pcm >> shift) & 0x0F)) as u8
        }
    };
    byte ^ mask
}

pub fn alaw_decode(byte: u8) -> i16 {
    let a = byte ^ 0x55;
    let mut t = i32::from(a & 0x0F) << 4;
    let seg = (a & 0x70) >> 4;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => t = (t + 0x108) << (seg - 1),
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

const BIAS: i32 = 0x84;

pub fn ulaw_encode(sample: i16) -> u8 {
    let mut pcm = i32::from(sample) >> 2;
    let mask = if pcm < 0 {
        pcm = -pcm;
        0x7F
    } else {
        0xFF
    };
    pcm = pcm.min(8159) + (BIAS >> 2);
    let segment = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF].iter().position(|&end| pcm <= end);
    let byte = match segment {
        None => 0x7F,
        Some(seg) => ((seg as i32) << 4 | ((pcm >> (seg + 1)) & 0x0F)) as u8,
    };
    byte ^ mask
}

pub fn ulaw_decode(byte: u8) -> i16 {
    let u = !byte;
    let mut t = (i32::from(u & 0x0F) << 3) + BIAS;
    t <<= (u & 0x70) >> 4;
    (if u & 0x80 != 0 { BIAS - t } else { t - BIAS }) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_survives_a_round_trip() {
        for byte in 0..=255u8 {
            assert_eq!(alaw_encode(alaw_decode(byte)), byte, "A-law {byte:#04x}");
            // µ-law has two zeros (0x7F and 0xFF); both decode to 0.
            if byte != 0x7F {
                assert_eq!(ulaw_encode(ulaw_decode(byte)), byte, "µ-law {byte:#04x}");
            }
        }
    }

    #[test]
    fn known_values_match_the_standard() {
        // Silence and full scale as G.711's tables give them.
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(alaw_decode(0xAA), 32256);
    }

    #[test]
    fn the_error_stays_within_a_segment_step() {
        for sample in (-32768i32..32767).step_by(97) {
            let s = sample as i16;
            let a = i32::from(alaw_decode(alaw_encode(s)));
            let u = i32::from(ulaw_decode(ulaw_encode(s)));
            let step = (sample.abs() / 16).max(16);
            assert!((a - sample).abs() <= step, "A-law {sample} → {a}");
            assert!((u - sample).abs() <= step, "µ-law {sample} → {u}");
        }
    }
}
