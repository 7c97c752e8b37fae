import { describe, it, expect } from 'vitest'
import { trendType, sparkBars } from '../src/logic/topics.js'

describe('hot topics', () => {
  it('draws each part of the series against the fullest', () => {
    expect(sparkBars([0, 2, 4, 1])).toEqual([0, 50, 100, 25])
    expect(sparkBars([0, 0])).toEqual([0, 0])
    expect(sparkBars(undefined)).toEqual([])
  })

  it('gives a new or rising topic a warning colour', () => {
    expect(trendType('new')).toBe('danger')
    expect(trendType('rising')).toBe('warning')
    expect(trendType('falling')).toBe('success')
    expect(trendType('something else')).toBe('info')
  })
})
