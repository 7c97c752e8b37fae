import { describe, it, expect } from 'vitest'
import { qualityGrade, qualityDetail } from '../src/logic/quality.js'
import { setLocale } from '../src/i18n.js'

const side = (loss_percent, jitter_ms, packets = 1000) => ({ loss_percent, jitter_ms, packets, lost: 0, mos: null })

describe("a call's sound", () => {
  it('is good, fair or poor by its score, and the server decides what is poor', () => {
    expect(qualityGrade({ mos: 4.41, poor: false })).toEqual({ key: 'good', tag: 'success', mos: '4.4' })
    expect(qualityGrade({ mos: 3.9, poor: false }).key).toBe('fair')
    expect(qualityGrade({ mos: 3.05, poor: true })).toEqual({ key: 'poor', tag: 'danger', mos: '3.0' })
    expect(qualityGrade({ mos: null, poor: false }).key).toBe('unmeasured')
    expect(qualityGrade(null).key).toBe('unmeasured')
  })

  it("names each side's loss and jitter in the screen language", () => {
    const q = { mos: 3.9, poor: false, caller: side(5, 12.5, 950), consultant: side(0, 1, 1000) }
    setLocale('zh')
    expect(qualityDetail(q)).toEqual(['主叫侧：丢包 5%，抖动 12.5 毫秒（950 个包）', '话务员侧：丢包 0%，抖动 1 毫秒（1000 个包）'])
    setLocale('en')
    expect(qualityDetail(q)[0]).toBe('Caller side: 5% lost, jitter 12.5 ms (950 packets)')
    expect(qualityDetail(null)).toEqual([])
  })
})
