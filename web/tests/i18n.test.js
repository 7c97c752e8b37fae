import { describe, it, expect } from 'vitest'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { messages } from '../src/messages.js'
import { t, setLocale } from '../src/i18n.js'

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sources(path) : /\.(vue|js)$/.test(name) ? [path] : []
  })
}

describe('translations', () => {
  it('have the same keys in Chinese and English', () => {
    expect(Object.keys(messages.en).sort()).toEqual(Object.keys(messages.zh).sort())
  })

  it('cover every literal key the screens use', () => {
    const used = new Set()
    const prefixes = new Set()
    for (const file of sources(join(__dirname, '../src'))) {
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/\bt\('([a-zA-Z]+\.[a-zA-Z_.]+)'\s*[,)]/g)) used.add(m[1])
      // t('state.' + row.state): the prefix must name a group of keys.
      for (const m of text.matchAll(/\bt\('([a-zA-Z]+\.(?:[a-zA-Z_]+\.)*)'\s*\+/g)) prefixes.add(m[1])
    }
    const missing = [...used].filter((k) => !(k in messages.zh))
    expect(missing).toEqual([])
    const keys = Object.keys(messages.zh)
    const emptyGroups = [...prefixes].filter((p) => !keys.some((k) => k.startsWith(p)))
    expect(emptyGroups).toEqual([])
    expect(used.size).toBeGreaterThan(50)
    expect(prefixes.size).toBeGreaterThan(5)
  })

  it('fills parameters and switches language', () => {
    setLocale('zh')
    expect(t('desk.registered', { number: 'DG20261128000001' })).toBe('已登记工单 DG20261128000001')
    setLocale('en')
    expect(t('desk.registered', { number: 'DG20261128000001' })).toBe('Registered DG20261128000001')
    expect(t('no.such.key')).toBe('no.such.key')
    setLocale('zh')
  })
})
