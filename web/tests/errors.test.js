import { describe, it, expect, afterEach } from 'vitest'
import { errorText, fieldText, FIELD_CODES } from '../src/logic/errors.js'
import { setLocale } from '../src/i18n.js'
import { messages } from '../src/messages.js'
import { readFileSync } from 'node:fs'

// Bodies as the server sends them (crates/http/tests/api/validation.rs checks the codes).
const invalid = {
  code: 'invalid',
  message: 'invalid input: description: must not be empty; subject: is 201 characters long; at most 200 are allowed',
  fields: [
    { field: 'description', code: 'empty', message: 'must not be empty' },
    { field: 'subject', code: 'too_long', limit: 200, message: 'is 201 characters long; at most 200 are allowed' },
    { field: 'mystery', code: 'something_new', message: 'a code this interface does not know yet' },
  ],
}
const latin = /[A-Za-z]{2,}/

describe('errors in the language of the screen', () => {
  afterEach(() => setLocale('zh'))

  it('a Chinese screen says a field error in Chinese, with its limit, and never the English message', () => {
    setLocale('zh')
    expect(fieldText(invalid.fields[0])).toBe('不能为空')
    expect(fieldText(invalid.fields[1])).toBe('不能超过 200 个字')
    expect(fieldText(invalid.fields[2])).toBe('填写有误，请检查')
    const text = errorText(422, invalid)
    expect(text).toContain('诉求内容：不能为空')
    expect(text).toContain('标题：不能超过 200 个字')
    expect(text).not.toMatch(latin)
  })

  it('every code has a Chinese text without Latin words', () => {
    setLocale('zh')
    for (const code of FIELD_CODES) expect(fieldText({ code, limit: 5 })).not.toMatch(/[A-Za-z]{3,}/)
    for (const code of ['not_found', 'forbidden', 'conflict', 'too_many_requests', 'unavailable', 'unauthenticated', 'whatever']) {
      expect(errorText(404, { code, message: 'no request DG20261128000001 with a phone ending in 0000' })).not.toMatch(latin)
    }
    const refused = errorText(409, { code: 'transition_not_allowed', message: 'x', allowed_actions: ['sign_for', 'return'] })
    expect(refused).toContain('签收、退单')
  })

  it('the field codes are the ones the server documents', () => {
    const doc = readFileSync(new URL('../../crates/domain/src/validation.rs', import.meta.url), 'utf8')
    const listed = doc.match(/pub const CODES: &\[&str\] =\s*&\[([^\]]+)\]/)[1].match(/"(\w+)"/g).map((c) => c.slice(1, -1))
    expect([...FIELD_CODES].sort()).toEqual(listed.sort())
    for (const code of FIELD_CODES) expect(messages.en['err.field.' + code]).toBeTruthy()
  })

  it('an English screen keeps the server\'s message', () => {
    setLocale('en')
    expect(errorText(422, invalid)).toBe(invalid.message)
    expect(fieldText(invalid.fields[0])).toBe('must not be empty')
  })
})
