import { describe, it, expect } from 'vitest'
import { deadlineLevel, timeLeft, levelTag } from '../src/logic/deadline.js'

describe('deadline colours', () => {
  const start = '2026-11-23T09:00:00+08:00'
  const due = '2026-11-27T09:00:00+08:00' // four days

  it('is normal before three quarters of the time, yellow after, red when past', () => {
    expect(deadlineLevel(due, '2026-11-25T09:00:00+08:00', start)).toBe('normal')
    expect(deadlineLevel(due, '2026-11-26T09:00:00+08:00', start)).toBe('warning')
    expect(deadlineLevel(due, '2026-11-27T09:00:01+08:00', start)).toBe('overdue')
    expect(levelTag('overdue')).toBe('danger')
  })

  it('honours a configured share and orders without a due date', () => {
    expect(deadlineLevel(due, '2026-11-25T09:00:00+08:00', start, 0.5)).toBe('warning')
    expect(deadlineLevel(null, '2026-11-25T09:00:00+08:00', start)).toBe('none')
  })

  it('tells the time left and past in days and hours', () => {
    expect(timeLeft(due, '2026-11-25T06:00:00+08:00')).toEqual({ overdue: false, days: 2, hours: 3 })
    expect(timeLeft(due, '2026-11-27T14:30:00+08:00')).toEqual({ overdue: true, days: 0, hours: 5 })
  })
})
