// The body each work-order action sends, from a form's fields. The order's
// `allowed_actions` (computed by the server for this user) decides which
// buttons exist; this only shapes what they send.

const clean = (v) => (typeof v === 'string' && v.trim() === '' ? undefined : typeof v === 'string' ? v.trim() : v)

export const ACTION_FIELDS = {
  answer_directly: ['answer'],
  dispatch: ['lead_unit_id', 'co_unit_ids', 'note'],
  sign_for: [],
  return: ['reason'],
  decide_return: ['agree', 'lead_unit_id', 'co_unit_ids', 'reason'],
  request_extension: ['reason', 'requested_due'],
  decide_extension: ['approve', 'note'],
  add_progress: ['kind', 'text'],
  sub_dispatch: ['unit_id', 'note'],
  submit_result: ['result', 'solved', 'public_reply'],
  review: ['pass', 'publish', 'reason'],
  follow_up: ['contacted', 'satisfaction', 'solved', 'note', 'outcome'],
  supervise: ['text', 'due'],
  answer_supervision: ['notice_id', 'text'],
  merge: ['master_number'],
  invalidate: ['kind', 'note'],
  change_urgency: ['urgency', 'reason'],
  reclassify: ['category_id'],
}

/** Sensible starting values for an action's form on this order; `centre`:
 * the user is centre staff (who add notes of their own kind). */
export function initialForm(action, order, centre = false) {
  switch (action) {
    case 'dispatch':
    case 'decide_return':
      return {
        agree: true,
        lead_unit_id: order.proposal?.lead_unit?.id ?? '',
        co_unit_ids: (order.proposal?.co_units ?? []).map((u) => u.id),
      }
    case 'decide_extension':
      return { approve: true }
    case 'review':
      // Publishing the reply is the reviewer's decision, never a default.
      return { pass: true, publish: false }
    case 'submit_result':
      return { solved: true }
    case 'add_progress':
      return { kind: centre ? 'centre_note' : 'contact' }
    case 'change_urgency':
      return { urgency: order.urgency === 'normal' ? 'urgent' : 'normal' }
    case 'follow_up':
      return { contacted: true, satisfaction: 'satisfied', solved: true, outcome: 'archive' }
    case 'answer_supervision': {
      const open = (order.notices ?? []).find((n) => !n.answered_at)
      return { notice_id: open?.id ?? '' }
    }
    case 'invalidate':
      return { kind: 'out_of_scope' }
    default:
      return {}
  }
}

/** The JSON body of `action` from the form, for the order's `version`. */
export function actionBody(action, form, version) {
  const body = { action, version }
  for (const field of ACTION_FIELDS[action] ?? []) {
    const value = clean(form[field])
    if (value !== undefined && !(Array.isArray(value) && value.length === 0 && field !== 'co_unit_ids')) body[field] = value
  }
  // A follow-up that did not reach the citizen records no verdict.
  if (action === 'follow_up' && !form.contacted) {
    delete body.satisfaction
    delete body.solved
    body.outcome = 'retry'
  }
  // Only a passed result is published, and only when the reviewer says so.
  if (action === 'review' && !form.pass) delete body.publish
  // Agreeing to a return re-dispatches; rejecting it needs only the reason.
  if (action === 'decide_return' && !form.agree) {
    delete body.lead_unit_id
    delete body.co_unit_ids
  }
  return body
}

/** What a follow-up verdict usually means: unsatisfied is unsolved and redone. */
export function followUpDefaults(satisfaction) {
  const unhappy = satisfaction === 'unsatisfied'
  return { solved: !unhappy, outcome: unhappy ? 'redo' : 'archive' }
}

/** The reply read out in the follow-up script, without its closing stop. */
export function spokenReply(reply) {
  return String(reply ?? '').trim().replace(/[。．.！!；;，,\s]+$/u, '')
}

/**
 * The dispatch body of one order of a bulk dispatch (批量派单): to the unit
 * chosen for all, or to the order's own catalogue proposal. `null` with a
 * reason key when it cannot go with the others (no proposal, not waiting
 * for dispatch any more), so the dispatcher handles it alone.
 */
export function bulkDispatchBody(order, choice) {
  if (order.state !== 'pending_dispatch') return { body: null, reason: 'bulk.notPending' }
  const lead = choice.mode === 'unit' ? choice.lead_unit_id : order.proposal?.lead_unit?.id
  if (!lead) return { body: null, reason: 'bulk.noProposal' }
  const co = choice.mode === 'unit' ? choice.co_unit_ids ?? [] : (order.proposal?.co_units ?? []).map((u) => u.id)
  const body = { action: 'dispatch', version: order.version, lead_unit_id: lead, co_unit_ids: co.filter((u) => u !== lead) }
  if (choice.note?.trim()) body.note = choice.note.trim()
  return { body, reason: null }
}
