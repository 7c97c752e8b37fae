import { describe, it, expect, afterEach } from 'vitest'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { auditLabel } from '../src/logic/audit.js'
import { setLocale } from '../src/i18n.js'

// Every action code the server writes to the audit log, read from its source.
function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.rs') ? [path] : []
  })
}
const root = new URL('../../crates/', import.meta.url).pathname
const codes = new Set()
for (const file of [...sources(join(root, 'app/src')), ...sources(join(root, 'http/src'))]) {
  const text = readFileSync(file, 'utf8')
  for (const call of text.matchAll(/\.(?:record|append)\(\s*[^,]+,\s*"([a-z_]+(?:\.[a-z_]+)+)"/g)) codes.add(call[1])
}
const doc = JSON.parse(readFileSync(join(root, 'http/openapi.json'), 'utf8'))
for (const action of doc.components.schemas.Action.enum) codes.add('work_order.' + action)
for (const action of ['submit', 'approve', 'reject', 'retire', 'publish_due']) codes.add('article.' + action)

describe('the audit log in the screen\'s language', () => {
  afterEach(() => setLocale('zh'))
  it('names every action the server records, in Chinese and in English', () => {
    expect(codes.size).toBeGreaterThan(40)
    for (const locale of ['zh', 'en']) {
      setLocale(locale)
      const unnamed = [...codes].filter((c) => auditLabel(c) === c)
      expect(unnamed).toEqual([])
    }
    setLocale('zh')
    expect(auditLabel('work_order.dispatch')).toBe('工单 · 派单')
    expect(auditLabel('auth.login')).toBe('登录')
    expect(auditLabel('something.new')).toBe('something.new')
  })
})
