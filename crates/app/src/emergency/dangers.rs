//! The danger lexicon administrators keep (`hotline_domain::danger`): the
//! ways callers say a danger to life, which suggest an urgency on the desk
//! and widen the linkage rules. Saved whole in the settings; until then,
//! and after a reset, the lexicon shipped with the platform.

use super::Emergency;
use crate::access::AdminDesk;
use crate::error::{AppError, AppResult};
use crate::ports::SettingStore;
use hotline_domain::danger::{DangerKind, DangerLexicon};
use serde::Serialize;
use serde_json::json;

/// The settings row of the administrators' lexicon (JSON: the kinds, or
/// null after a reset).
const LEXICON_KEY: &str = "danger_lexicon";

/// The lexicon in force: the administrators' own, or the shipped one.
pub(super) async fn read(settings: &dyn SettingStore) -> AppResult<DangerLexicon> {
    let Some(saved) = settings.setting(LEXICON_KEY).await? else { return Ok(DangerLexicon::shipped()) };
    let kinds: Option<Vec<DangerKind>> =
        serde_json::from_str(&saved).map_err(|e| AppError::Unavailable(format!("the saved danger lexicon cannot be read: {e}")))?;
    match kinds {
        None => Ok(DangerLexicon::shipped()),
        Some(kinds) => {
            DangerLexicon::parse(kinds).map_err(|e| AppError::Unavailable(format!("the saved danger lexicon is not valid: {e}")))
        }
    }
}

/// The lexicon as administrators edit it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LexiconView {
    pub kinds: Vec<DangerKind>,
    /// Whether it is the shipped one (never saved, or reset).
    pub shipped: bool,
    /// The shipped lexicon, to compare with or start again from.
    pub default: Vec<DangerKind>,
}

impl Emergency {
    pub async fn lexicon(&self, _: &AdminDesk) -> AppResult<LexiconView> {
        let lexicon = read(self.settings.as_ref()).await?;
        let default = DangerLexicon::shipped();
        Ok(LexiconView { shipped: lexicon == default, kinds: lexicon.kinds().to_vec(), default: default.kinds().to_vec() })
    }

    /// Saves the administrators' lexicon (`None`: back to the shipped one)
    /// and matches with it at once on this node; other nodes read it with
    /// the rules (`search.refresh_seconds`).
    pub async fn save_lexicon(&self, admin: &AdminDesk, kinds: Option<Vec<DangerKind>>) -> AppResult<LexiconView> {
        let parsed = kinds.map(DangerLexicon::parse).transpose()?;
        let saved = parsed.as_ref().map(|l| l.kinds().to_vec());
        let audit = self.auditor.record(admin.user(), "emergency.dangers.save", LEXICON_KEY, json!({ "kinds": saved }));
        let value = serde_json::to_string(&saved).expect("lexicon serialises");
        self.settings.put_setting(LEXICON_KEY, &value, self.clock.now(), &audit).await?;
        self.load_rules().await?;
        self.lexicon(admin).await
    }
}
