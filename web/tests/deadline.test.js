import { describe, it, expect } from 'vitest'
import { deadlineLevel, workingLeft, levelTag } from '../src/logic/deadline.js'
import { messages } from '../src/messages.js'

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

  it('tells the time left and past in working days, or hours on the last day', () => {
    expect(workingLeft({ overdue: false, working_days: 2, hours: 70 })).toEqual({ key: 'deadline.daysLeft', n: 2 })
    expect(workingLeft({ overdue: false, working_days: 0, hours: 3 })).toEqual({ key: 'deadline.hoursLeft', n: 3 })
    expect(workingLeft({ overdue: true, working_days: 1, hours: 30 })).toEqual({ key: 'deadline.daysOver', n: 1 })
    expect(workingLeft({ overdue: true, working_days: 0, hours: 5 })).toEqual({ key: 'deadline.hoursOver', n: 5 })
    expect(workingLeft(null)).toBeNull()
    for (const key of ['deadline.daysLeft', 'deadline.hoursLeft', 'deadline.daysOver', 'deadline.hoursOver']) expect(messages.zh[key]).toContain('{n}')
  })
})
