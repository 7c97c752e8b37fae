// The call-centre managers' staffing screens: half-hours of the week, the
// seat plan folded into hours, and the plan for now against who is logged in.

// Slot 0 is Monday 00:00 at the hotline; the week has 7 × 48 half-hours.
export const SLOTS = 7 * 48
const ZONE_OFFSET_MS = 8 * 3600 * 1000
const DAYS = { zh: ['周一', '周二', '周三', '周四', '周五', '周六', '周日'], en: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] }

/** The half-hour of the week `at` falls in, at the hotline (UTC+8, no DST). */
export function slotOf(at = new Date()) {
  const local = new Date(at.getTime() + ZONE_OFFSET_MS)
  const day = (local.getUTCDay() + 6) % 7
  return day * 48 + local.getUTCHours() * 2 + (local.getUTCMinutes() >= 30 ? 1 : 0)
}

/** `周一 08:30` for a slot. */
export function slotLabel(slot, locale = 'zh') {
  const half = slot % 48
  const time = `${String(Math.floor(half / 2)).padStart(2, '0')}:${half % 2 ? '30' : '00'}`
  return `${DAYS[locale === 'en' ? 'en' : 'zh'][Math.floor(slot / 48)]} ${time}`
}

/** A skill's week as 7 rows of 24 hours: the larger roster of each hour's two half-hours. */
export function hourlyRows(plan, locale = 'zh') {
  return DAYS[locale === 'en' ? 'en' : 'zh'].map((day, d) => {
    const hours = Array.from({ length: 24 }, (_, h) => {
      const a = plan.needs[d * 48 + h * 2]
      const b = plan.needs[d * 48 + h * 2 + 1]
      return Math.max(a?.scheduled ?? 0, b?.scheduled ?? 0)
    })
    return { day, hours }
  })
}

/**
 * For each skill's plan, the half-hour `slot` against the consultants on
 * the wallboard now: an agent counts for the general seats, and for each
 * professional skill their certifications give them today.
 */
export function nowAgainstPlan(plans, board, consultants, slot) {
  const skillsOf = new Map(consultants.map((c) => [c.user, Object.keys(c.skills_today ?? {})]))
  return plans.map((p) => {
    const need = p.needs[slot] ?? { agents: 0, scheduled: 0, calls: 0 }
    const holding = (board?.agents ?? []).filter((a) => p.skill === 'general' || (skillsOf.get(a.agent) ?? []).includes(p.skill))
    const available = holding.filter((a) => a.status === 'available').length
    return { skill: p.skill, calls: need.calls, needed: need.agents, rostered: need.scheduled, loggedIn: holding.length, available, short: available < need.agents }
  })
}

/** The staffing endpoint's query from the calculator's form; empty fields are left out. */
export function staffingParams(form) {
  const keep = (v) => (v === '' || v === null || v === undefined ? undefined : v)
  const evaluate = form.mode === 'evaluate'
  return {
    calls: keep(form.calls),
    interval_secs: keep(form.interval_secs),
    aht_secs: keep(form.aht_secs),
    target_sl: evaluate ? undefined : keep(form.target_pct) === undefined ? undefined : Number(form.target_pct) / 100,
    target_secs: keep(form.target_secs),
    patience_secs: form.patience ? keep(form.patience_secs) : undefined,
    shrinkage: keep(form.shrinkage_pct) === undefined ? undefined : Number(form.shrinkage_pct) / 100,
    agents: evaluate ? keep(form.agents) : undefined,
  }
}
