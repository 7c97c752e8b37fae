import { describe, it, expect } from 'vitest'
import { reasons, reasonLine, mergeable, similarQuery } from '../src/logic/similar.js'

const duplicate = {
  number: 'DG20261204000001', kinship: 'duplicate', likeness: 0.634, shared_words: ['东纵路', '水浸', '暴雨', '下水道', '积水'],
  same_town: true, same_address: true, same_category: false, same_caller: false, open: true,
}
const repeat = { number: 'DG20261204000002', kinship: 'repeat', likeness: 0, shared_words: [], same_caller: true, same_category: true, same_town: false, open: false }

describe('similar orders', () => {
  it('names why each matches: the caller, the place (the address over the town), the category, the shared words', () => {
    expect(reasons(duplicate)).toEqual([
      { key: 'similar.sameAddress' },
      { key: 'similar.words', params: { words: '东纵路、水浸、暴雨、下水道', percent: 63 } },
    ])
    expect(reasons({ ...duplicate, same_address: false }).map((r) => r.key)).toEqual(['similar.sameTown', 'similar.words'])
    expect(reasons(repeat)).toEqual([{ key: 'similar.sameCaller' }, { key: 'similar.sameCategory' }])
    expect(reasonLine(repeat, (key) => key.split('.')[1])).toBe('sameCaller；sameCategory')
  })

  it('offers only open orders other than itself to merge into', () => {
    expect(mergeable([duplicate, repeat], { number: 'DG9' }).map((o) => o.number)).toEqual([duplicate.number])
    expect(mergeable([duplicate], { number: duplicate.number })).toEqual([])
    expect(mergeable(undefined, {})).toEqual([])
  })

  it('asks with what the form knows, the caller only once the number is whole', () => {
    const form = { subject: '水浸', description: '', town_code: '441900003', address: ' 东纵路88号 ', phone: '138 0000 0001', category_id: '' }
    expect(similarQuery(form)).toEqual({ subject: '水浸', description: '', town: '441900003', address: '东纵路88号', caller_phone: '13800000001' })
    expect(similarQuery({ ...form, phone: '1380000', category_id: '12' })).toEqual({
      subject: '水浸', description: '', town: '441900003', address: '东纵路88号', category_id: '12',
    })
  })
})
