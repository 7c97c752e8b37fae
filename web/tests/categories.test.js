import { describe, it, expect } from 'vitest'
import { buildTree, pathOf, idPathOf, searchCategories } from '../src/logic/categories.js'

const flat = [
  { id: '1', parent_id: null, name: '城乡建设' },
  { id: '2', parent_id: '1', name: '建筑施工' },
  { id: '3', parent_id: '2', name: '施工噪音' },
  { id: '4', parent_id: '2', name: '施工安全' },
  { id: '5', parent_id: null, name: '环境保护' },
  { id: '6', parent_id: '5', name: '噪声污染' },
  { id: '7', parent_id: '6', name: '社会生活噪音' },
]

describe('the category taxonomy', () => {
  it('becomes a three-level tree for the cascader', () => {
    const tree = buildTree(flat)
    expect(tree.map((n) => n.label)).toEqual(['城乡建设', '环境保护'])
    expect(tree[0].children[0].children.map((n) => n.value)).toEqual(['3', '4'])
    expect(tree[0].children[0].children[0].children).toBeUndefined()
  })

  it('gives the path of names and of ids', () => {
    expect(pathOf(flat, '3')).toEqual(['城乡建设', '建筑施工', '施工噪音'])
    expect(idPathOf(flat, '7')).toEqual(['5', '6', '7'])
    expect(pathOf(flat, 'missing')).toEqual([])
  })

  it('finds leaves by any words of their path, own-name matches first', () => {
    const hits = searchCategories(flat, '噪音')
    expect(hits.map((h) => h.id)).toEqual(['3', '7'])
    expect(searchCategories(flat, '环境 噪音').map((h) => h.id)).toEqual(['7'])
    expect(searchCategories(flat, '施工')).toHaveLength(2)
    expect(searchCategories(flat, '   ')).toEqual([])
  })
})
