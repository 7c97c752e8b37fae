import { describe, it, expect } from 'vitest'
import { levelBars, readStats } from '../src/logic/softphone.js'

// A getStats() report is a Map-like of stats objects; a Map serves.
const report = (...stats) => new Map(stats.map((s, i) => [String(i), s]))

describe('the browser phone', () => {
  it('shows silence as no bars and full scale as all of them', () => {
    expect(levelBars(0)).toBe(0)
    expect(levelBars(undefined)).toBe(0)
    expect(levelBars(1)).toBe(10)
    // Speech at -20 dBFS (0.1) lights 6 of 10: the bars follow decibels, not amplitude.
    expect(levelBars(0.1)).toBe(6)
    expect(levelBars(0.003)).toBe(0)
  })

  it('reads loss, jitter, round trip and both levels from the stats', () => {
    const figures = readStats(report(
      { type: 'inbound-rtp', kind: 'audio', audioLevel: 0.2, packetsReceived: 990, packetsLost: 10, jitter: 0.0123 },
      { type: 'inbound-rtp', kind: 'video', packetsReceived: 5000, packetsLost: 500 },
      { type: 'media-source', kind: 'audio', audioLevel: 0.05 },
      { type: 'outbound-rtp', kind: 'audio', packetsSent: 1000 },
      { type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: 0.042 },
      { type: 'candidate-pair', nominated: false, state: 'failed', currentRoundTripTime: 9 },
    ))
    expect(figures).toEqual({ inLevel: 0.2, outLevel: 0.05, received: 990, sent: 1000, lost: 10, lossPercent: 1, jitterMs: 12, rttMs: 42 })
  })

  it('says nothing of loss before anything arrived, and never a negative loss', () => {
    const none = readStats(report({ type: 'inbound-rtp', kind: 'audio', packetsReceived: 0, packetsLost: 0 }))
    expect(none.lossPercent).toBe(0)
    // Duplicates make packetsLost negative in RTCP's arithmetic.
    const duplicated = readStats(report({ type: 'inbound-rtp', kind: 'audio', packetsReceived: 100, packetsLost: -3 }))
    expect(duplicated.lost).toBe(0)
    expect(duplicated.rttMs).toBe(null)
  })
})
