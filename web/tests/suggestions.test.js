import { describe, it, expect } from 'vitest'
import { suggestedCategories, suggestedUnits, worthAsking, urgencyHint } from '../src/logic/suggestions.js'

const answer = {
  model: '20261204T003427Z/60',
  categories: [
    { id: '1', path: ['劳动和社会保障', '工资福利', '工资发放'], confidence: 0.874 },
    { id: '2', path: ['环境保护', '环境污染', '噪音污染'], confidence: 0.08 },
    { id: '3', path: ['城乡建设', '城市建设和市政管理', '城市公共设施'], confidence: 0.046 },
  ],
  units: [
    { id: '7', code: 'hrss', name: '市人力资源和社会保障局', confidence: 0.42 },
    { id: '8', code: '441900003', name: '东城街道', confidence: 0.01 },
  ],
  unsure: true,
}

describe('suggested categories on the desk', () => {
  it('shows the likely ones with their path and a rounded share, the noise left out', () => {
    expect(suggestedCategories(answer)).toEqual([
      { id: '1', path: '劳动和社会保障 / 工资福利 / 工资发放', percent: 87 },
      { id: '2', path: '环境保护 / 环境污染 / 噪音污染', percent: 8 },
    ])
    expect(suggestedCategories(answer, 1)).toHaveLength(1)
    expect(suggestedCategories(null)).toEqual([])
    expect(suggestedCategories({ categories: [{ id: '1', path: ['a'], confidence: 0.997 }] })[0].percent).toBe(99)
  })

  it('offers the dispatcher the likely lead units, the noise left out', () => {
    expect(suggestedUnits(answer)).toEqual([{ id: '7', name: '市人力资源和社会保障局', percent: 42 }])
    expect(suggestedUnits({ categories: [] })).toEqual([])
  })

  it('asks only once there is something to read', () => {
    expect(worthAsking('', '')).toBe(false)
    expect(worthAsking(' 欠', '')).toBe(false)
    expect(worthAsking('欠薪', '')).toBe(true)
    expect(worthAsking('', '老板欠薪')).toBe(true)
  })
})

describe('the urgency the words call for', () => {
  const gas = { urgency: { suggested: 'critical', signals: [{ kind: '燃气', phrase: '液化气味', urgency: 'critical' }], rules: ['燃气泄漏'] } }
  it('offers a graver urgency than the one chosen, with what was heard and the rules it sets off', () => {
    expect(urgencyHint(gas, 'normal')).toEqual({ raise: 'critical', signals: ['燃气（液化气味）'], rules: ['燃气泄漏'] })
    expect(urgencyHint(gas, 'critical').raise).toBeNull()
    expect(urgencyHint(gas, 'critical').rules).toEqual(['燃气泄漏'])
  })
  it('says nothing when nothing is alarming', () => {
    expect(urgencyHint({ urgency: { suggested: null, signals: [], rules: [] } }, 'normal')).toBeNull()
    expect(urgencyHint(null, 'normal')).toBeNull()
  })
})
