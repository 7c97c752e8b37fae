import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { actionBody, initialForm, ACTION_FIELDS } from '../src/logic/actions.js'

const order = {
  version: 7,
  proposal: { lead_unit: { id: '11' }, co_units: [{ id: '12' }] },
  notices: [{ id: 'n1', answered_at: '2026-11-01T00:00:00+08:00' }, { id: 'n2', answered_at: null }],
}

describe('work-order action bodies', () => {
  it('dispatch starts from the catalogue proposal', () => {
    const form = initialForm('dispatch', order)
    expect(actionBody('dispatch', form, order.version)).toEqual({ action: 'dispatch', version: 7, lead_unit_id: '11', co_unit_ids: ['12'] })
  })

  it('a follow-up that did not reach the citizen carries no verdict and retries', () => {
    const form = { ...initialForm('follow_up', order), contacted: false, note: '  无人接听 ' }
    expect(actionBody('follow_up', form, 3)).toEqual({ action: 'follow_up', version: 3, contacted: false, note: '无人接听', outcome: 'retry' })
  })

  it('an unsatisfied follow-up can send the order back for redo', () => {
    const form = { ...initialForm('follow_up', order), satisfaction: 'unsatisfied', solved: false, outcome: 'redo' }
    expect(actionBody('follow_up', form, 3)).toMatchObject({ satisfaction: 'unsatisfied', solved: false, outcome: 'redo', contacted: true })
  })

  it('a review publishes the reply only by decision, and a failed one publishes nothing', () => {
    expect(actionBody('review', initialForm('review', order), 4)).toEqual({ action: 'review', version: 4, pass: true, publish: false })
    const published = { ...initialForm('review', order), publish: true }
    expect(actionBody('review', published, 4)).toEqual({ action: 'review', version: 4, pass: true, publish: true })
    const failed = { ...published, pass: false, reason: '未说明处理措施' }
    expect(actionBody('review', failed, 4)).toEqual({ action: 'review', version: 4, pass: false, reason: '未说明处理措施' })
  })

  it('rejecting a return sends only the reason', () => {
    const form = { ...initialForm('decide_return', order), agree: false, reason: '属于本单位职责' }
    expect(actionBody('decide_return', form, 2)).toEqual({ action: 'decide_return', version: 2, agree: false, reason: '属于本单位职责' })
  })

  it('answering a notice picks the open one, and blank texts are left out', () => {
    expect(initialForm('answer_supervision', order).notice_id).toBe('n2')
    expect(actionBody('return', { reason: '   ' }, 1)).toEqual({ action: 'return', version: 1 })
  })

  it('a progress note starts with the kind of the writer, and lowering an emergency proposes normal', () => {
    expect(initialForm('add_progress', order).kind).toBe('contact')
    expect(initialForm('add_progress', order, true).kind).toBe('centre_note')
    const raised = { ...order, urgency: 'critical' }
    const form = { ...initialForm('change_urgency', raised), reason: ' 市民确认只是异味 ' }
    expect(actionBody('change_urgency', form, 4)).toEqual({ action: 'change_urgency', version: 4, urgency: 'normal', reason: '市民确认只是异味' })
    expect(initialForm('change_urgency', { ...order, urgency: 'normal' }).urgency).toBe('urgent')
  })

  it('knows every action the server lists (its OpenAPI document), but the platform\'s own steps', () => {
    const doc = JSON.parse(readFileSync(new URL('../../crates/http/openapi.json', import.meta.url), 'utf8'))
    const server = doc.components.schemas.Action.enum.filter((a) => !['register', 'absorb_duplicate'].includes(a))
    expect(server).toContain('reclassify')
    expect(Object.keys(ACTION_FIELDS).sort()).toEqual(server.sort())
  })
})

describe('follow-up defaults', async () => {
  const { followUpDefaults, spokenReply } = await import('../src/logic/actions.js')
  it('an unsatisfied citizen means unsolved and redo', () => {
    expect(followUpDefaults('unsatisfied')).toEqual({ solved: false, outcome: 'redo' })
    expect(followUpDefaults('basically_satisfied')).toEqual({ solved: true, outcome: 'archive' })
  })
  it('the script reads the reply without a doubled stop', () => {
    expect(spokenReply('已责令整改。')).toBe('已责令整改')
    expect(spokenReply('  done. ')).toBe('done')
    expect(spokenReply(null)).toBe('')
  })
})

describe('bulk dispatch', async () => {
  const { bulkDispatchBody } = await import('../src/logic/actions.js')
  const waiting = { state: 'pending_dispatch', version: 3, proposal: { lead_unit: { id: '11' }, co_units: [{ id: '12' }, { id: '13' }] } }
  it('sends each order to its own proposal, with its own version', () => {
    expect(bulkDispatchBody(waiting, { mode: 'proposal', note: ' 批量 ' })).toEqual({
      body: { action: 'dispatch', version: 3, lead_unit_id: '11', co_unit_ids: ['12', '13'], note: '批量' }, reason: null,
    })
  })
  it('or all to one unit, never naming the lead as its own co-handler', () => {
    const { body } = bulkDispatchBody(waiting, { mode: 'unit', lead_unit_id: '12', co_unit_ids: ['12', '14'] })
    expect(body).toEqual({ action: 'dispatch', version: 3, lead_unit_id: '12', co_unit_ids: ['14'] })
  })
  it('leaves out what cannot go with the others, saying why', () => {
    expect(bulkDispatchBody({ ...waiting, proposal: null }, { mode: 'proposal' })).toEqual({ body: null, reason: 'bulk.noProposal' })
    expect(bulkDispatchBody({ ...waiting, state: 'dispatched' }, { mode: 'unit', lead_unit_id: '11' }).reason).toBe('bulk.notPending')
  })
})
