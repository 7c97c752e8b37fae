import { describe, it, expect } from 'vitest'
import { groupAlerts, badgeCount, countGrown, mergeSummary, BADGE_DAYS } from '../src/logic/alerts.js'

const now = new Date('2026-12-03T12:00:00+08:00')
const hoursAgo = (h) => new Date(now.getTime() - h * 3600 * 1000).toISOString()
const alert = (id, watched, number, level, raisedHoursAgo, extra = {}) =>
  ({ id, watched, number, level, unit: '7', raised_at: hoursAgo(raisedHoursAgo), read_at: null, orders: 1, ...extra })

describe('alerts as people read them', () => {
  const alerts = [
    alert('5', 'completion', 'DG1', 'reminder', 1),
    alert('4', 'emergency', 'DG2', 'red', 2, { orders: 6 }),
    alert('3', 'completion', 'DG1', 'red', 30),
    alert('2', 'completion', 'DG1', 'yellow', 80, { read_at: hoursAgo(79) }),
    alert('1', 'sign_for', 'DG1', 'red', 24 * (BADGE_DAYS + 1)),
  ]

  it('one row per kind and order, the newest standing for it with its count and unacknowledged members', () => {
    const rows = groupAlerts(alerts)
    expect(rows.map((r) => [r.watched, r.number, r.level, r.count])).toEqual([
      ['completion', 'DG1', 'reminder', 3],
      ['emergency', 'DG2', 'red', 1],
      ['sign_for', 'DG1', 'red', 1],
    ])
    expect(rows[0].unread.map((a) => a.id)).toEqual(['5', '3'])
    expect(rows[0].read_at).toBeNull()
    expect(rows[1].orders).toBe(6)
  })

  it('a group is acknowledged once all its alerts are', () => {
    const done = alerts.map((a) => ({ ...a, read_at: a.read_at ?? hoursAgo(0) }))
    expect(groupAlerts(done)[0].read_at).toBe(hoursAgo(0))
  })

  it('the badge counts recent unacknowledged groups only', () => {
    expect(badgeCount(alerts, now)).toBe(2)
    expect(badgeCount([], now)).toBe(0)
  })
})

describe('a surge warning counted live', () => {
  it('grows its count in place, never shrinks it, and ignores alerts not listed', () => {
    const list = [alert('9', 'surge', 'DG9', 'yellow', 1, { orders: 5 }), alert('8', 'completion', 'DG8', 'yellow', 2)]
    expect(countGrown(list, { id: '9', orders: 7 })).toBe(list[0])
    expect(groupAlerts(list)[0].orders).toBe(7)
    // Two events crossing on the way: the later count stands.
    countGrown(list, { id: '9', orders: 6 })
    expect(list[0].orders).toBe(7)
    expect(countGrown(list, { id: '1', orders: 3 })).toBeUndefined()
    expect(list.map((a) => a.orders)).toEqual([7, 1])
  })
})

describe('an incident merged in one step', () => {
  it('counts the orders merged and those left', () => {
    const outcomes = [
      { number: 'DG1', merged: true, state: 'merged' },
      { number: 'DG2', merged: false, state: 'dispatched' },
      { number: 'DG3', merged: true, state: 'merged' },
    ]
    expect(mergeSummary(outcomes)).toEqual({ merged: 2, left: 1 })
    expect(mergeSummary([])).toEqual({ merged: 0, left: 0 })
  })
})
