import { describe, it, expect } from 'vitest'
import { SLOTS, slotOf, slotLabel, hourlyRows, nowAgainstPlan, staffingParams } from '../src/logic/staffing.js'

const plan = (skill, at) => ({
  skill,
  needs: Array.from({ length: SLOTS }, (_, s) => ({ slot: s, calls: at[s] ? 10 : 0, agents: at[s] ?? 0, scheduled: at[s] ? at[s] + 1 : 0 })),
})

describe('half-hours of the week at the hotline', () => {
  it('count from Monday midnight in Beijing time, whatever the browser zone', () => {
    // Sunday 2026-11-29 16:10 UTC is Monday 00:10 in Beijing.
    expect(slotOf(new Date('2026-11-29T16:10:00Z'))).toBe(0)
    // Monday 2026-11-30 00:45 UTC is Monday 08:45 in Beijing.
    expect(slotOf(new Date('2026-11-30T00:45:00Z'))).toBe(17)
    // Sunday 23:59 in Beijing is the last half-hour.
    expect(slotOf(new Date('2026-12-06T15:59:00Z'))).toBe(SLOTS - 1)
    expect(slotLabel(17)).toBe('周一 08:30')
    expect(slotLabel(SLOTS - 1, 'en')).toBe('Sun 23:30')
  })
})

describe('the seat plan on screen', () => {
  it('folds each hour to the larger roster of its two half-hours', () => {
    const rows = hourlyRows(plan('general', { 16: 3, 17: 5, [48 + 40]: 2 }))
    expect(rows).toHaveLength(7)
    expect(rows[0].day).toBe('周一')
    expect(rows[0].hours[8]).toBe(6)
    expect(rows[1].hours[20]).toBe(3)
    expect(rows[0].hours.reduce((a, b) => a + b)).toBe(6)
  })

  it('compares the plan for now with the agents available, by the skills they hold today', () => {
    const plans = [plan('general', { 17: 2 }), plan('12333', { 17: 1 })]
    const board = { agents: [{ agent: '1', status: 'available' }, { agent: '2', status: 'on_break' }, { agent: '3', status: 'available' }] }
    const consultants = [{ user: '1', skills_today: { 12333: 6 } }, { user: '2', skills_today: { 12333: 5 } }, { user: '3', skills_today: {} }]
    expect(nowAgainstPlan(plans, board, consultants, 17)).toEqual([
      { skill: 'general', calls: 10, needed: 2, rostered: 3, loggedIn: 3, available: 2, short: false },
      { skill: '12333', calls: 10, needed: 1, rostered: 2, loggedIn: 2, available: 1, short: false },
    ])
    const fewer = { agents: [{ agent: '2', status: 'on_break' }] }
    expect(nowAgainstPlan(plans, fewer, consultants, 17).map((r) => r.short)).toEqual([true, true])
    // A quiet half-hour needs nobody.
    expect(nowAgainstPlan(plans, fewer, consultants, 100).map((r) => r.short)).toEqual([false, false])
  })
})

describe('the staffing calculator', () => {
  const form = { mode: 'required', calls: 100, interval_secs: 1800, aht_secs: 180, target_pct: 80, target_secs: 20, patience: false, patience_secs: 300, shrinkage_pct: 30, agents: 14 }
  it('asks for the agents a target needs, in shares', () => {
    expect(staffingParams(form)).toEqual({ calls: 100, interval_secs: 1800, aht_secs: 180, target_sl: 0.8, target_secs: 20, patience_secs: undefined, shrinkage: 0.3, agents: undefined })
  })
  it('or evaluates a number of agents, with patience when asked', () => {
    const p = staffingParams({ ...form, mode: 'evaluate', patience: true })
    expect([p.agents, p.target_sl, p.patience_secs]).toEqual([14, undefined, 300])
    expect(staffingParams({ ...form, calls: '' }).calls).toBeUndefined()
  })
})
