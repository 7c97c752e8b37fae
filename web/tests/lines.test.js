import { describe, it, expect } from 'vitest'
import { trunkName, trunkState, trunkProblem, monitorRefusal } from '../src/logic/lines.js'
import { setLocale } from '../src/i18n.js'

describe('a carrier trunk on the wallboard', () => {
  it('is down when probes go unanswered, whatever its registration', () => {
    expect(trunkState({ reachable: false, registered: true }).key).toBe('down')
    expect(trunkState({ reachable: true, registered: false }).key).toBe('unregistered')
    expect(trunkState({ reachable: null, registered: true })).toEqual({ key: 'up', tag: 'success' })
    expect(trunkState({ reachable: true, registered: null }).key).toBe('up')
    expect(trunkState({ reachable: null, registered: null })).toEqual({ key: 'unwatched', tag: 'info' })
  })

  it('is named as configured, the outbound trunk (unnamed in the configuration) in the screen language', () => {
    setLocale('zh')
    expect(trunkName({ name: '电信 1', direction: 'inbound' })).toBe('电信 1')
    expect(trunkName({ name: 'outbound', direction: 'outbound' })).toBe('呼出中继')
    setLocale('en')
    expect(trunkName({ name: 'outbound', direction: 'outbound' })).toBe('Outbound trunk')
    setLocale('zh')
  })

  it('names why in the screen language, with the carrier status', () => {
    setLocale('zh')
    expect(trunkProblem({ code: 'refused', status: 403 })).toBe('对方拒绝（403）')
    expect(trunkProblem({ code: 'no_answer' })).toBe('无应答')
    expect(trunkProblem(null)).toBe('')
    setLocale('en')
    expect(trunkProblem({ code: 'unreachable' })).toBe('Network unreachable')
  })
})

describe('listening in, refused', () => {
  it('says why in Chinese, and keeps the server\'s words in English', () => {
    const refused = (status) => Object.assign(new Error('server words'), { status })
    setLocale('zh')
    expect(monitorRefusal(refused(409), 'listen')).toBe('您的话机未注册：请先用话机密码注册话机，或在下方「话机」选择浏览器，再监听')
    expect(monitorRefusal(refused(409), 'take_over')).toBe('您的话机尚未接入该通话：请先监听并接通话机，再接管')
    expect(monitorRefusal(refused(409), null)).toBe('该通话已由其他班长接管')
    expect(monitorRefusal(refused(404), 'whisper')).toBe('该通话已结束')
    expect(monitorRefusal(refused(500), 'listen')).toBe('server words')
    setLocale('en')
    expect(monitorRefusal(refused(409), 'take_over')).toBe('server words')
  })
})
