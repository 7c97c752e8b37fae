import { describe, it, expect } from 'vitest'
import { articleForm, articleBody, articleActions, reviewPair, diffRows, validity } from '../src/logic/article.js'

const record = {
  id: '7001', revision: 4,
  content: {
    title: '社保卡遗失补办', body: '带身份证到网点。', script: null, owner: '42', category: '9',
    keywords: ['社保卡', '补办'], region: { scope: 'towns', towns: ['101', '102'] }, source: null,
    effective_from: '2026-01-01', expires_on: null, visibility: 'internal',
  },
}

describe('the article form', () => {
  it('holds the newest version as strings, and sends it back with the revision read', () => {
    const form = articleForm(record)
    expect(form).toMatchObject({ id: '7001', revision: 4, script: '', owner_id: '42', keywords: '社保卡 补办', town_ids: ['101', '102'], source: '', expires_on: '' })
    form.keywords = '社保卡，补办、挂失  遗失'
    form.source = '  '
    expect(articleBody(form)).toEqual({
      title: '社保卡遗失补办', body: '带身份证到网点。', script: undefined, owner_id: '42', category_id: '9',
      keywords: ['社保卡', '补办', '挂失', '遗失'], town_ids: ['101', '102'], source: undefined,
      effective_from: '2026-01-01', expires_on: undefined, visibility: 'internal', revision: 4,
    })
  })

  it('starts a new article public, for the whole city, with no revision to send', () => {
    const form = articleForm()
    expect(form).toMatchObject({ id: null, visibility: 'public', town_ids: [] })
    form.title = '新文章'
    expect(articleBody(form).revision).toBeUndefined()
    // A whole-city region reads back as no towns.
    expect(articleForm({ ...record, content: { ...record.content, region: { scope: 'city' } } }).town_ids).toEqual([])
  })
})

describe('the review workflow in the interface', () => {
  it('offers what the server allows in each status', () => {
    expect(articleActions({ status: 'draft', live_version: null })).toEqual(['submit'])
    expect(articleActions({ status: 'draft', live_version: 2 })).toEqual(['submit', 'retire'])
    expect(articleActions({ status: 'in_review', live_version: null })).toEqual([])
    expect(articleActions({ status: 'in_review', live_version: null }, { reviewer: true })).toEqual(['approve', 'reject'])
    expect(articleActions({ status: 'scheduled', live_version: null })).toEqual(['retire'])
    expect(articleActions({ status: 'retired', live_version: null }, { reviewer: true })).toEqual([])
    expect(articleActions(null)).toEqual([])
  })

  it('compares the live version with the newest, or the one before when nothing else is live', () => {
    expect(reviewPair({ version: 1, live_version: null })).toBeNull()
    expect(reviewPair({ version: 5, live_version: 2 })).toEqual({ from: 2, to: 5 })
    expect(reviewPair({ version: 3, live_version: null })).toEqual({ from: 2, to: 3 })
    expect(reviewPair({ version: 3, live_version: 3 })).toEqual({ from: 2, to: 3 })
  })

  it('states a validity with open ends, or none', () => {
    expect(validity({ effective_from: '2026-01-01', expires_on: null })).toBe('2026-01-01 — …')
    expect(validity({ effective_from: null, expires_on: '2026-12-31' })).toBe('… — 2026-12-31')
    expect(validity({ effective_from: null, expires_on: null })).toBeNull()
  })

  it('marks diff lines and names the ids of units and categories', () => {
    const names = { 42: '市人社局', 101: '莞城街道', 102: '南城街道' }
    const name = (id) => names[id] ?? id
    const region = { field: 'region', lines: [{ op: 'delete', text: 'city' }, { op: 'insert', text: '101 102' }] }
    expect(diffRows(region, name)).toEqual([
      { mark: '-', op: 'delete', text: 'city' },
      { mark: '+', op: 'insert', text: '莞城街道、南城街道' },
    ])
    // Text fields are shown as written, ids or not.
    const body = { field: 'body', lines: [{ op: 'equal', text: '拨打 42 号窗口' }] }
    expect(diffRows(body, name)).toEqual([{ mark: ' ', op: 'equal', text: '拨打 42 号窗口' }])
  })
})
