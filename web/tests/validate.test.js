import { describe, it, expect } from 'vitest'
import { checkSubmission, submissionBody, isPhone, isOrderNumber, isLast4, normalisePhone } from '../src/logic/validate.js'

const good = {
  type: 'complaint', name: '', phone: '138 0013 8000', confidential: false,
  town_code: '', address: '', subject: '夜间施工噪音扰民', description: '东城街道某工地每晚十一点后仍在施工，噪音很大。',
}

describe('the portal form', () => {
  it('accepts a complete request and sends it trimmed, without empty optional fields', () => {
    expect(checkSubmission(good)).toEqual({})
    const body = submissionBody({ ...good, subject: '  夜间施工噪音扰民 ' })
    expect(body.phone).toBe('13800138000')
    expect(body.subject).toBe('夜间施工噪音扰民')
    expect('name' in body && body.name !== undefined).toBe(false)
    expect(body.town_code).toBeUndefined()
    expect('category_id' in body).toBe(false)
  })

  it('sends a report as confidential, whatever the box says', () => {
    expect(submissionBody({ ...good, type: 'report' }).confidential).toBe(true)
    expect(submissionBody(good).confidential).toBe(false)
  })

  it('names every field at fault', () => {
    const errors = checkSubmission({ type: '', phone: '12345', subject: '噪音', description: '太吵', name: 'x'.repeat(51) })
    expect(Object.keys(errors).sort()).toEqual(['description', 'name', 'phone', 'subject', 'type'])
    expect(errors.subject).toBe('v.subjectShort')
  })

  it('rejects overlong texts', () => {
    expect(checkSubmission({ ...good, subject: '长'.repeat(201) }).subject).toBe('v.subjectLong')
    expect(checkSubmission({ ...good, description: '长'.repeat(5001) }).description).toBe('v.descriptionLong')
  })
})

describe('phone numbers, order numbers and the tracking digits', () => {
  it('knows mobile and landline numbers', () => {
    expect(isPhone('13800138000')).toBe(true)
    expect(isPhone('138-0013-8000')).toBe(true)
    expect(isPhone('0769-22123456')).toBe(true)
    expect(isPhone('12800138000')).toBe(false)
    expect(isPhone('1380013800')).toBe(false)
    expect(normalisePhone(' 138 0013 8000 ')).toBe('13800138000')
  })

  it('checks order numbers and the last four digits', () => {
    expect(isOrderNumber('DG20261128000123')).toBe(true)
    expect(isOrderNumber('dg20261128000123')).toBe(true)
    expect(isOrderNumber('DG2026112800012')).toBe(false)
    expect(isLast4('8000')).toBe(true)
    expect(isLast4('800')).toBe(false)
    expect(isLast4('80a0')).toBe(false)
  })
})
