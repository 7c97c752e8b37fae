//! What a caller hears before a consultant answers: the greeting of the
//! number dialled, then music with a periodic please-hold notice; and the
//! callback notice when the queue cannot take the call.

use super::wav;
use crate::config::PromptsConfig;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The defaults shipped in `crates/sip/prompts` (see its README).
pub const SHIPPED: [(&str, &[u8]); 6] = [
    ("greeting.wav", include_bytes!("../../prompts/greeting.wav")),
    ("music.wav", include_bytes!("../../prompts/music.wav")),
    ("please-hold.wav", include_bytes!("../../prompts/please-hold.wav")),
    ("callback.wav", include_bytes!("../../prompts/callback.wav")),
    ("rating.wav", include_bytes!("../../prompts/rating.wav")),
    ("thanks.wav", include_bytes!("../../prompts/thanks.wav")),
];

/// Linear 8 kHz samples, shared by every call playing them.
pub type Clip = Arc<[i16]>;

#[derive(Debug, Clone)]
pub struct Prompts {
    pub greeting: Clip,
    /// Greetings of particular numbers (e.g. 12333's own wording).
    pub greetings: HashMap<String, Clip>,
    pub music: Clip,
    pub please_hold: Clip,
    pub callback: Clip,
    /// Asks for a keypad rating after the consultant hung up.
    pub rating: Clip,
    pub thanks: Clip,
    /// Music between two please-hold notices, in samples.
    pub notice_every: usize,
}

fn shipped(name: &str) -> Clip {
    let (_, bytes) = SHIPPED.iter().find(|(n, _)| *n == name).expect("a shipped prompt");
    wav::read(bytes).expect("shipped prompts are tested readable").into()
}

fn load(path: &Path) -> Result<Clip, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    wav::read(&bytes).map(Into::into).map_err(|e| format!("{}: {e}", path.display()))
}

impl Prompts {
    /// Loads the configured files, the shipped ones where none is named.
    pub fn load(files: &PromptsConfig, notice_every_secs: u32) -> Result<Self, String> {
        let pick = |path: &Option<PathBuf>, name: &str| path.as_deref().map(load).unwrap_or_else(|| Ok(shipped(name)));
        let mut greetings = HashMap::new();
        for (number, path) in &files.greetings {
            greetings.insert(number.clone(), load(path)?);
        }
        Ok(Self {
            greeting: pick(&files.greeting, "greeting.wav")?,
            greetings,
            music: pick(&files.music, "music.wav")?,
            please_hold: pick(&files.please_hold, "please-hold.wav")?,
            callback: pick(&files.callback, "callback.wav")?,
            rating: pick(&files.rating, "rating.wav")?,
            thanks: pick(&files.thanks, "thanks.wav")?,
            notice_every: notice_every_secs as usize * 8000,
        })
    }

    pub fn greeting_for(&self, dialled: &str) -> Clip {
        self.greetings.get(dialled).unwrap_or(&self.greeting).clone()
    }
}

/// What a leg plays, 20 ms at a time.
#[derive(Debug, Clone)]
pub enum Programme {
    Silence,
    /// Clips one after the other, then silence.
    Once(Vec<Clip>),
    /// The intro once (the greeting), then music looped with a notice
    /// every so often.
    Hold {
        intro: Vec<Clip>,
        music: Clip,
        notice: Clip,
        every: usize,
    },
}

/// Plays a programme.
#[derive(Debug)]
pub struct Player {
    programme: Programme,
    clip: usize,
    at: usize,
    since_notice: usize,
    in_notice: bool,
}

impl Player {
    pub fn new(programme: Programme) -> Self {
        Self { programme, clip: 0, at: 0, since_notice: 0, in_notice: false }
    }

    /// Whether a `Once` programme has played to its end.
    pub fn finished(&self) -> bool {
        match &self.programme {
            Programme::Once(clips) => self.clip >= clips.len(),
            Programme::Silence => true,
            Programme::Hold { .. } => false,
        }
    }

    /// The next `frame.len()` samples.
    pub fn fill(&mut self, frame: &mut [i16]) {
        for sample in frame.iter_mut() {
            *sample = self.next_sample();
        }
    }

    fn next_sample(&mut self) -> i16 {
        match &self.programme {
            Programme::Silence => 0,
            Programme::Once(clips) => {
                while let Some(clip) = clips.get(self.clip) {
                    if let Some(s) = clip.get(self.at) {
                        self.at += 1;
                        return *s;
                    }
                    self.clip += 1;
                    self.at = 0;
                }
                0
            }
            Programme::Hold { intro, music, notice, every } => {
                if let Some(clip) = intro.get(self.clip) {
                    if let Some(s) = clip.get(self.at) {
                        self.at += 1;
                        return *s;
                    }
                    self.clip += 1;
                    self.at = 0;
                    return self.next_sample();
                }
                let clip = if self.in_notice { notice } else { music };
                if self.at >= clip.len() {
                    self.at = 0;
                    if self.in_notice {
                        self.in_notice = false;
                        self.since_notice = 0;
                    } else if *every > 0 && self.since_notice >= *every {
                        self.in_notice = true;
                    }
                }
                let clip = if self.in_notice { notice } else { music };
                let s = clip.get(self.at).copied().unwrap_or(0);
                self.at += 1;
                if !self.in_notice {
                    self.since_notice += 1;
                }
                s
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip(value: i16, n: usize) -> Clip {
        vec![value; n].into()
    }

    #[test]
    fn once_plays_in_order_then_silence() {
        let mut p = Player::new(Programme::Once(vec![clip(1, 3), clip(2, 2)]));
        let mut frame = [9i16; 7];
        p.fill(&mut frame);
        assert_eq!(frame, [1, 1, 1, 2, 2, 0, 0]);
        assert!(p.finished());
    }

    #[test]
    fn hold_loops_music_and_interrupts_it_with_the_notice() {
        let mut p = Player::new(Programme::Hold { intro: vec![clip(5, 2)], music: clip(1, 4), notice: clip(7, 2), every: 8 });
        let mut frame = [0i16; 22];
        p.fill(&mut frame);
        assert_eq!(frame, [5, 5, 1, 1, 1, 1, 1, 1, 1, 1, 7, 7, 1, 1, 1, 1, 1, 1, 1, 1, 7, 7]);
        assert!(!p.finished());
    }

    #[test]
    fn the_shipped_prompts_load_and_a_missing_file_is_named() {
        let prompts = Prompts::load(&PromptsConfig::default(), 30).unwrap();
        assert!(prompts.greeting.len() > 8000 * 3);
        let files = PromptsConfig { music: Some("/nonexistent/music.wav".into()), ..Default::default() };
        let err = Prompts::load(&files, 30).unwrap_err();
        assert!(err.starts_with("/nonexistent/music.wav"), "{err}");
    }
}
