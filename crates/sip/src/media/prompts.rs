//! What a caller hears before a consultant answers: the greeting of the
//! number dialled, then music with a periodic notice of the caller's place
//! in the queue (or a please-hold notice); and the callback notice when
//! the queue cannot take the call.

use super::wav;
use crate::config::PromptsConfig;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The defaults shipped in `crates/sip/prompts` (see its README).
pub const SHIPPED: [(&str, &[u8]); 6] = [
    ("greeting.wav", include_bytes!("../../prompts/greeting.wav")),
    ("music.wav", include_bytes!("../../prompts/music.wav")),
    ("please-hold.wav", include_bytes!("../../prompts/please-hold.wav")),
    ("callback.wav", include_bytes!("../../prompts/callback.wav")),
    ("rating.wav", include_bytes!("../../prompts/rating.wav")),
    ("thanks.wav", include_bytes!("../../prompts/thanks.wav")),
];

/// The words of the position notice (see the prompts' README).
const POSITION: [&[u8]; 14] = [
    include_bytes!("../../prompts/position/ahead.wav"),
    include_bytes!("../../prompts/position/ahead-end.wav"),
    include_bytes!("../../prompts/position/next.wav"),
    include_bytes!("../../prompts/position/n1.wav"),
    include_bytes!("../../prompts/position/n2.wav"),
    include_bytes!("../../prompts/position/n3.wav"),
    include_bytes!("../../prompts/position/n4.wav"),
    include_bytes!("../../prompts/position/n5.wav"),
    include_bytes!("../../prompts/position/n6.wav"),
    include_bytes!("../../prompts/position/n7.wav"),
    include_bytes!("../../prompts/position/n8.wav"),
    include_bytes!("../../prompts/position/n9.wav"),
    include_bytes!("../../prompts/position/n10.wav"),
    include_bytes!("../../prompts/position/liang.wav"),
];

/// Linear 8 kHz samples, shared by every call playing them.
pub type Clip = Arc<[i16]>;

/// A word of a spoken count of callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numeral {
    /// 一 … 九.
    Digit(u8),
    /// 十.
    Ten,
    /// 两: a lone 2 before a measure word (两位, not 二位).
    Liang,
}

/// How `n` (1–99) is said before a measure word: 2 两, 10 十, 12 十二,
/// 20 二十, 35 三十五; `None` outside 1–99.
pub fn numeral(n: usize) -> Option<Vec<Numeral>> {
    let (tens, ones) = (n / 10, (n % 10) as u8);
    let mut words = match (tens, ones) {
        (0, 0) | (10.., _) => return None,
        (0, 2) => return Some(vec![Numeral::Liang]),
        (0, _) => Vec::new(),
        (1, _) => vec![Numeral::Ten],
        (t, _) => vec![Numeral::Digit(t as u8), Numeral::Ten],
    };
    if ones > 0 {
        words.push(Numeral::Digit(ones));
    }
    Some(words)
}

/// The position notice's words: 您前面还有 N 位来电在等候，请您稍候 / 您是下一位.
#[derive(Debug)]
pub struct PositionWords {
    ahead: Clip,
    ahead_end: Clip,
    next: Clip,
    /// 一 … 九 at 0 … 8.
    digits: Vec<Clip>,
    ten: Clip,
    liang: Clip,
}

impl PositionWords {
    pub fn shipped() -> Self {
        let clips: Vec<Clip> = POSITION.iter().map(|bytes| wav::read(bytes).expect("shipped prompts are tested readable").into()).collect();
        Self {
            ahead: clips[0].clone(),
            ahead_end: clips[1].clone(),
            next: clips[2].clone(),
            digits: clips[3..12].to_vec(),
            ten: clips[12].clone(),
            liang: clips[13].clone(),
        }
    }

    /// What a caller with `ahead` calls before them hears; `None` when
    /// there are too many to count out (100 or more).
    pub fn say(&self, ahead: usize) -> Option<Vec<Clip>> {
        if ahead == 0 {
            return Some(vec![self.next.clone()]);
        }
        let mut clips = vec![self.ahead.clone()];
        clips.extend(numeral(ahead)?.into_iter().map(|word| match word {
            Numeral::Digit(d) => self.digits[usize::from(d) - 1].clone(),
            Numeral::Ten => self.ten.clone(),
            Numeral::Liang => self.liang.clone(),
        }));
        clips.push(self.ahead_end.clone());
        Some(clips)
    }
}

/// Calls ahead of a waiting caller, kept up to date by the gateway;
/// `usize::MAX` until known.
#[derive(Debug, Clone)]
pub struct Place(Arc<AtomicUsize>);

impl Default for Place {
    fn default() -> Self {
        Self(Arc::new(AtomicUsize::new(usize::MAX)))
    }
}

impl Place {
    pub fn set(&self, ahead: usize) {
        self.0.store(ahead, Ordering::Relaxed);
    }

    pub fn get(&self) -> Option<usize> {
        Some(self.0.load(Ordering::Relaxed)).filter(|n| *n != usize::MAX)
    }
}

/// What interrupts the hold music now and then.
#[derive(Debug, Clone)]
pub enum Notice {
    /// The same clip every time (please hold).
    Fixed(Clip),
    /// The caller's place in the queue, or `fallback` while it is unknown
    /// or too large to count out.
    Place { place: Place, words: Arc<PositionWords>, fallback: Clip },
}

impl Notice {
    fn clips(&self) -> Vec<Clip> {
        match self {
            Notice::Fixed(clip) => vec![clip.clone()],
            Notice::Place { place, words, fallback } => {
                place.get().and_then(|ahead| words.say(ahead)).unwrap_or_else(|| vec![fallback.clone()])
            }
        }
    }

    /// Whether this notice tells the caller's place (for the media stats).
    fn tells_place(&self) -> bool {
        matches!(self, Notice::Place { place, .. } if place.get().is_some_and(|n| n < 100))
    }
}

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
    /// Words of the position notice; `None`: a please-hold notice instead.
    pub position: Option<Arc<PositionWords>>,
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
    pub fn load(files: &PromptsConfig, notice_every_secs: u32, announce_position: bool) -> Result<Self, String> {
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
            position: announce_position.then(|| Arc::new(PositionWords::shipped())),
        })
    }

    pub fn greeting_for(&self, dialled: &str) -> Clip {
        self.greetings.get(dialled).unwrap_or(&self.greeting).clone()
    }

    /// The notice of a caller waiting at `place` in a queue.
    pub fn notice_for(&self, place: &Place) -> Notice {
        match &self.position {
            Some(words) => Notice::Place { place: place.clone(), words: words.clone(), fallback: self.please_hold.clone() },
            None => Notice::Fixed(self.please_hold.clone()),
        }
    }
}

/// What a leg plays, 20 ms at a time.
#[derive(Debug, Clone)]
pub enum Programme {
    Silence,
    /// Clips one after the other, then silence.
    Once(Vec<Clip>),
    /// The intro once (the greeting), then music looped with a notice
    /// every so often (at the end of the music's loop).
    Hold {
        intro: Vec<Clip>,
        music: Clip,
        notice: Notice,
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
    /// The notice playing, chosen when it began, and its clip playing.
    notice: Option<Vec<Clip>>,
    notice_clip: usize,
    /// Notices told a caller's place, for the media stats.
    pub places_told: u64,
}

impl Player {
    pub fn new(programme: Programme) -> Self {
        Self { programme, clip: 0, at: 0, since_notice: 0, notice: None, notice_clip: 0, places_told: 0 }
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
                if let Some(playing) = &self.notice {
                    while let Some(clip) = playing.get(self.notice_clip) {
                        if let Some(s) = clip.get(self.at) {
                            self.at += 1;
                            return *s;
                        }
                        self.notice_clip += 1;
                        self.at = 0;
                    }
                    // The music starts again from its beginning.
                    self.notice = None;
                    self.since_notice = 0;
                    self.at = 0;
                }
                if self.at >= music.len() {
                    self.at = 0;
                    if *every > 0 && self.since_notice >= *every {
                        self.places_told += u64::from(notice.tells_place());
                        self.notice = Some(notice.clips());
                        self.notice_clip = 0;
                        return self.next_sample();
                    }
                }
                let s = music.get(self.at).copied().unwrap_or(0);
                self.at += 1;
                self.since_notice += 1;
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
        let mut p =
            Player::new(Programme::Hold { intro: vec![clip(5, 2)], music: clip(1, 4), notice: Notice::Fixed(clip(7, 2)), every: 8 });
        let mut frame = [0i16; 22];
        p.fill(&mut frame);
        assert_eq!(frame, [5, 5, 1, 1, 1, 1, 1, 1, 1, 1, 7, 7, 1, 1, 1, 1, 1, 1, 1, 1, 7, 7]);
        assert!(!p.finished());
    }

    #[test]
    fn counts_are_said_as_before_a_measure_word() {
        use Numeral::{Digit, Liang, Ten};
        assert_eq!(numeral(1), Some(vec![Digit(1)]));
        assert_eq!(numeral(2), Some(vec![Liang]), "两位, not 二位");
        assert_eq!(numeral(10), Some(vec![Ten]));
        assert_eq!(numeral(12), Some(vec![Ten, Digit(2)]));
        assert_eq!(numeral(20), Some(vec![Digit(2), Ten]));
        assert_eq!(numeral(35), Some(vec![Digit(3), Ten, Digit(5)]));
        assert_eq!(numeral(99), Some(vec![Digit(9), Ten, Digit(9)]));
        assert_eq!((numeral(0), numeral(100)), (None, None));
    }

    #[test]
    fn the_notice_tells_the_callers_place_as_it_is_when_the_notice_begins() {
        let words = Arc::new(PositionWords::shipped());
        let place = Place::default();
        let fallback = clip(7, 3);
        let notice = Notice::Place { place: place.clone(), words: words.clone(), fallback: fallback.clone() };
        let music = clip(1, 4);
        let mut p = Player::new(Programme::Hold { intro: Vec::new(), music: music.clone(), notice, every: 4 });
        let mut heard = vec![0i16; 4 + 3];
        p.fill(&mut heard);
        assert_eq!(heard, [1, 1, 1, 1, 7, 7, 7], "unknown place: please hold");
        assert_eq!(p.places_told, 0);

        place.set(3);
        let said: Vec<i16> = words.say(3).unwrap().iter().flat_map(|c| c.iter().copied()).collect();
        let expected: Vec<i16> = [&music[..], &said[..]].concat();
        let mut heard = vec![0i16; expected.len()];
        p.fill(&mut heard);
        assert_eq!(heard, expected, "music, then 您前面还有 三 位来电在等候");
        assert_eq!(p.places_told, 1);
        assert_eq!(words.say(3).unwrap().len(), 3);
        assert_eq!(words.say(0).unwrap().len(), 1, "您是下一位");
        assert_eq!(words.say(35).unwrap().len(), 5);
        assert!(words.say(100).is_none(), "too many to count out: please hold");
    }

    #[test]
    fn the_shipped_prompts_load_and_a_missing_file_is_named() {
        let prompts = Prompts::load(&PromptsConfig::default(), 30, true).unwrap();
        assert!(prompts.greeting.len() > 8000 * 3);
        let words = PositionWords::shipped();
        assert!(words.digits.iter().chain([&words.ten, &words.liang]).all(|c| c.len() > 800), "every numeral is audible");
        let files = PromptsConfig { music: Some("/nonexistent/music.wav".into()), ..Default::default() };
        let err = Prompts::load(&files, 30, true).unwrap_err();
        assert!(err.starts_with("/nonexistent/music.wav"), "{err}");
    }
}
