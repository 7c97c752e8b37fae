import { describe, it, expect, vi } from 'vitest'
import { yearGrid, workingDays } from '../src/logic/calendar.js'
import { screensFor, homeFor } from '../src/logic/roles.js'
import { dateTime, date, percent, lastMonth, reportCell } from '../src/logic/format.js'
import { rankingBars, trendLine, countPie } from '../src/logic/charts.js'
import { DeskLink, deskRefusal } from '../src/logic/desk.js'

describe('the holiday calendar grid', () => {
  it('lays out 2026 Monday first, with holidays and make-up days', () => {
    const special = [
      { date: '2026-10-01', working: false, name: '国庆节' },
      { date: '2026-10-10', working: true, name: '国庆节调休' },
    ]
    const grid = yearGrid(2026, special)
    expect(grid).toHaveLength(12)
    // 1 October 2026 is a Thursday: three empty cells lead the month.
    const october = grid[9].weeks
    expect(october[0].slice(0, 3)).toEqual([null, null, null])
    expect(october[0][3]).toMatchObject({ date: '2026-10-01', kind: 'holiday', working: false, name: '国庆节' })
    const tenth = october.flat().find((c) => c?.date === '2026-10-10')
    expect(tenth).toMatchObject({ weekend: true, working: true, kind: 'makeup' })
    // 261 weekdays in 2026, one holiday off, one Saturday worked.
    expect(workingDays(grid)).toBe(261)
    expect(workingDays(yearGrid(2026, []))).toBe(261)
    expect(workingDays(yearGrid(2026, special.slice(0, 1)))).toBe(260)
  })
})

describe('screens by role', () => {
  it('gives each user the screens of their roles', () => {
    const consultant = { roles: ['consultant'], unit: null }
    const handler = { roles: ['handler'], unit: { id: '9', name: '莞城街道' } }
    const admin = { roles: ['system_admin'], unit: null }
    expect(homeFor(consultant)).toBe('/desk')
    expect(screensFor(consultant).map((s) => s.path)).toContain('/dispatch')
    expect(homeFor(handler)).toBe('/workbench')
    expect(screensFor(handler).map((s) => s.path)).not.toContain('/desk')
    expect(screensFor(admin).map((s) => s.path)).toContain('/admin')
    expect(screensFor(null)).toEqual([])
    expect(homeFor({ roles: ['auditor'], unit: null })).toBe('/audit')
  })
})

describe('figures as the centre reads them', () => {
  it('ranks the last complete month, at the hotline\'s own date', () => {
    expect(lastMonth(new Date('2026-12-03T04:00:00Z'))).toBe('2026-11')
    expect(lastMonth(new Date('2027-01-15T04:00:00Z'))).toBe('2026-12')
    // 31 Dec 17:00 UTC is already 1 January at the hotline.
    expect(lastMonth(new Date('2026-12-31T17:00:00Z'))).toBe('2026-12')
  })

  it('shows rates as percentages like the spreadsheets, counts as they are', () => {
    expect(reportCell('按时办结率', 0.9234)).toBe('92.3%')
    expect(reportCell('satisfaction rate', 1)).toBe('100.0%')
    expect(reportCell('退单率', 0)).toBe('0.0%')
    expect(reportCell('平均通话时长（秒）', 123.456)).toBe('123.46')
    expect(reportCell('工单数', 12)).toBe(12)
    expect(reportCell('数值', 0.875, '满意率')).toBe('87.5%')
    expect(reportCell('数值', 310, '受理工单')).toBe(310)
    expect(reportCell('单位', '东城街道')).toBe('东城街道')
  })
})

describe('formatting', () => {
  it('shows times as wall-clock time at the hotline whatever the zone sent', () => {
    expect(dateTime('2026-11-28T10:05:00+08:00')).toBe('2026-11-28 10:05')
    expect(dateTime('2026-11-28T02:05:00Z')).toBe('2026-11-28 10:05')
    expect(date('2026-11-27T18:00:00Z')).toBe('2026-11-28')
    expect(percent(0.9234)).toBe('92.3%')
    expect(percent(null)).toBe('—')
  })
})

describe('chart options', () => {
  it('ranks bars best first and skips rows without a value', () => {
    const option = rankingBars([{ n: 'a', v: 80 }, { n: 'b', v: null }, { n: 'c', v: 91.256 }], (r) => r.n, (r) => r.v)
    expect(option.yAxis.data).toEqual(['c', 'a'])
    expect(option.series[0].data).toEqual([91.26, 80])
  })

  it('draws satisfaction as percentages, gaps where nobody was asked', () => {
    const option = trendLine([{ d: '11-27', s: 0.9 }, { d: '11-28', s: null }], (p) => p.d, (p) => p.s)
    expect(option.series[0].data).toEqual([90, null])
  })

  it('folds the small slices of a pie into 其他', () => {
    const counts = Array.from({ length: 10 }, (_, i) => ({ name: `t${i}`, orders: 10 - i }))
    const data = countPie(counts, '', 3).series[0].data
    expect(data.map((d) => d.name)).toEqual(['t0', 't1', 't2', '其他'])
    expect(data[3].value).toBe(7 + 6 + 5 + 4 + 3 + 2 + 1)
  })
})

describe('the desk link', () => {
  it('reconnects after a drop with a growing pause, and not after close', async () => {
    const sockets = []
    class FakeSocket {
      constructor(url) { this.url = url; this.readyState = 1; this.sent = []; sockets.push(this) }
      send(m) { this.sent.push(JSON.parse(m)) }
      close() { this.onclose?.() }
    }
    const events = []
    const states = []
    const link = new DeskLink((e) => events.push(e), (s) => states.push(s), { url: 'ws://x/api/v1/desk', WebSocketImpl: FakeSocket, check: async () => null })
    await link.connect()
    sockets[0].onopen()
    sockets[0].onmessage({ data: '{"type":"hello"}' })
    link.send({ type: 'status', status: 'available' })
    expect(events).toEqual([{ type: 'hello' }])
    expect(sockets[0].sent).toEqual([{ type: 'status', status: 'available' }])
    sockets[0].onclose()
    await new Promise((r) => setTimeout(r, DeskLink.pause(0) + 50))
    expect(sockets).toHaveLength(2)
    link.close()
    await new Promise((r) => setTimeout(r, DeskLink.pause(1) + 50))
    expect(sockets).toHaveLength(2)
    expect(states).toEqual([true, false, false])
    expect(DeskLink.pause(10)).toBe(10000)
  })

  it('asks first, and stops and says why when the server refuses the desk instead of reconnecting for ever', async () => {
    const sockets = []
    class FakeSocket {
      constructor() { sockets.push(this) }
      close() {}
    }
    const refused = []
    const reason = '没有登记岗前培训'
    const link = new DeskLink(() => {}, () => {}, { url: 'ws://x', WebSocketImpl: FakeSocket, check: async () => reason, onRefused: (m) => refused.push(m) })
    await link.connect()
    await new Promise((r) => setTimeout(r, DeskLink.pause(0) + 50))
    expect(sockets).toHaveLength(0)
    expect(refused).toEqual([reason])
    const answers = { 403: { message: reason }, 204: {} }
    const fetchOf = (status) => async () => ({ status, json: async () => answers[status] })
    expect(await deskRefusal(fetchOf(403))).toBe(reason)
    expect(await deskRefusal(fetchOf(204))).toBeNull()
    expect(await deskRefusal(async () => { throw new Error('offline') })).toBeNull()
  })
})

describe('deadline spans', async () => {
  const { span } = await import('../src/logic/format.js')
  it('reads working days and hours in both languages', () => {
    expect(span('15wd')).toBe('15 个工作日')
    expect(span('2h', 'en')).toBe('2 hours')
    expect(span('1wd', 'en')).toBe('1 working day')
    expect(span('2wh')).toBe('2 个工作小时')
    expect(span('1wh', 'en')).toBe('1 working hour')
    expect(span('odd')).toBe('odd')
  })
})

describe('server-sent event streams', async () => {
  const { stream } = await import('../src/api.js')
  it('share one connection per path and close it with the last listener', () => {
    const opened = []
    globalThis.EventSource = class {
      constructor(url) { this.url = url; this.listeners = {}; this.closed = false; opened.push(this) }
      addEventListener(name, fn) { this.listeners[name] = fn }
      close() { this.closed = true }
    }
    const a = []
    const b = []
    const stopA = stream('/work-orders/stream', (d, name) => a.push([d, name]))
    const stopB = stream('/work-orders/stream', (d) => b.push(d))
    expect(opened).toHaveLength(1)
    expect(opened[0].url).toBe('/api/v1/work-orders/stream')
    opened[0].listeners.order({ data: '{"number":"DG20261128000001"}' })
    expect(a).toEqual([[{ number: 'DG20261128000001' }, 'order']])
    expect(b).toHaveLength(1)
    stopA()
    expect(opened[0].closed).toBe(false)
    stopB()
    expect(opened[0].closed).toBe(true)
    stream('/work-orders/stream', () => {})
    expect(opened).toHaveLength(2)
    delete globalThis.EventSource
  })

  it('send an expired session to the login page, and reconnect a feed the browser gave up on otherwise', async () => {
    const { whenLoggedOut } = await import('../src/api.js')
    const opened = []
    globalThis.EventSource = class {
      static CLOSED = 2
      constructor(url) { this.url = url; this.readyState = 0; opened.push(this) }
      addEventListener() {}
      close() {}
    }
    let meStatus = 401
    const realFetch = globalThis.fetch
    globalThis.fetch = async () => ({ ok: meStatus === 200, status: meStatus, text: async () => (meStatus === 200 ? '{}' : '{"message":"login"}') })
    let loggedOut = 0
    whenLoggedOut(() => loggedOut++)
    vi.useFakeTimers()
    try {
      const stop = stream('/alerts/stream', () => {})
      // A dropped connection the browser retries itself: nothing to do.
      opened[0].readyState = 0
      opened[0].onerror()
      await vi.runAllTimersAsync()
      expect([loggedOut, opened.length]).toEqual([0, 1])
      // Refused with 401: the session is gone.
      opened[0].readyState = 2
      opened[0].onerror()
      await vi.runAllTimersAsync()
      expect([loggedOut, opened.length]).toEqual([1, 1])
      // Refused while still logged in (a restarting server): tried again.
      meStatus = 200
      opened[0].onerror()
      await vi.advanceTimersByTimeAsync(5000)
      expect(opened).toHaveLength(2)
      stop()
    } finally {
      vi.useRealTimers()
      delete globalThis.EventSource
      globalThis.fetch = realFetch
    }
  })
})

describe('report section charts', async () => {
  const { sectionChart } = await import('../src/logic/charts.js')
  it('chart the first all-numeric column against the labels', () => {
    const section = { name: '按镇街', header: ['镇街', '备注', '工单', '满意率'], rows: [['东城街道', 'x', 12, 0.9], ['南城街道', 'y', 30, 0.8]] }
    const option = sectionChart(section)
    expect(option.yAxis.data).toEqual(['南城街道', '东城街道'])
    expect(option.title.text).toBe('按镇街 · 工单')
  })
  it('leave out sections without numbers or rows', () => {
    expect(sectionChart({ name: 's', header: ['a', 'b', 'c'], rows: [['x', 'y', 'z']] })).toBeNull()
    expect(sectionChart({ name: '概况', header: ['指标', '数值'], rows: [['受理工单', 2], ['满意率', 1]] })).toBeNull()
    expect(sectionChart({ name: 's', header: ['a', 'b'], rows: [] })).toBeNull()
  })
})

describe('times ahead', async () => {
  const { inHours } = await import('../src/logic/format.js')
  it('are written in the hotline\'s offset', () => {
    expect(inHours(24, new Date('2026-11-28T02:05:00Z'))).toBe('2026-11-29T10:05:00+08:00')
  })
})
