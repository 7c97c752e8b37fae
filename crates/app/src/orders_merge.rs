//! Several duplicates merged into one master order in one step: the
//! reports of one incident (a burst main, twenty callers), which a
//! dispatcher would otherwise merge one by one. Each merge is the ordinary
//! one, checked, recorded in both histories and audited on its own.

use crate::access::Desk;
use crate::error::{AppError, AppResult};
use crate::orders::{ActionRequest, WorkOrders};
use hotline_domain::{Action, LifecycleError, State, WorkOrderNo, permit};

/// What became of one order asked to be merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeOutcome {
    pub number: WorkOrderNo,
    /// Merged now; otherwise left as it was.
    pub merged: bool,
    /// Its state afterwards: `merged`, or the one that kept it out
    /// (dispatched, answered, merged before …).
    pub state: State,
    /// Why it was left, when its state does not say (someone acted on it
    /// meanwhile, or the merge was refused).
    pub reason: Option<String>,
}

impl WorkOrders {
    /// Merges every order of `duplicates` that still waits for dispatch or
    /// came back (the states a merge starts from) into `master`; the others
    /// are left and said so. Refused whole, before anything is merged, when
    /// the caller may not merge or cannot see `master`.
    pub async fn merge_all(&self, desk: &Desk, master: &WorkOrderNo, duplicates: &[WorkOrderNo]) -> AppResult<Vec<MergeOutcome>> {
        self.load(desk, master).await?;
        let actor = desk.actor();
        let mut outcomes = Vec::with_capacity(duplicates.len());
        for number in duplicates.iter().filter(|n| *n != master) {
            let order = self.load(desk, number).await?;
            match permit(&order, &actor, Action::Merge) {
                Ok(()) => {}
                Err(LifecycleError::NotAllowed { state, .. }) => {
                    outcomes.push(MergeOutcome { number: number.clone(), merged: false, state, reason: None });
                    continue;
                }
                Err(refused) => return Err(refused.into()),
            }
            let merge = ActionRequest::Merge { master: master.clone() };
            let outcome = match self.act(desk, number, order.version, merge).await {
                Ok(details) => MergeOutcome { number: number.clone(), merged: true, state: details.order.state, reason: None },
                // A master that cannot take duplicates refuses the first
                // merge alike: nothing was merged, so the caller hears why.
                Err(e @ AppError::Invalid(_)) if outcomes.iter().all(|o| !o.merged) => return Err(e),
                Err(e) => {
                    let now = self.load(desk, number).await.map(|o| o.state).unwrap_or(order.state);
                    MergeOutcome { number: number.clone(), merged: false, state: now, reason: Some(e.to_string()) }
                }
            };
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }
}
