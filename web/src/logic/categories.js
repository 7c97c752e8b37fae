// The three-level request taxonomy arrives as a flat list of
// `{ id, parent_id, name }`; pickers want a tree and a searchable path.

/** The level-1 category citizens' requests wait in until the centre
 * classifies them (`待分类`): never a choice in a picker. */
export const UNCLASSIFIED = '待分类'
export const isUnclassified = (c) => c.parent_id == null && c.name === UNCLASSIFIED

export function buildTree(flat) {
  const byParent = new Map()
  for (const c of flat) {
    const key = c.parent_id ?? null
    if (!byParent.has(key)) byParent.set(key, [])
    byParent.get(key).push(c)
  }
  const grow = (parent) =>
    (byParent.get(parent) ?? []).map((c) => {
      const children = grow(c.id)
      return children.length ? { value: c.id, label: c.name, children } : { value: c.id, label: c.name }
    })
  return grow(null)
}

/** Names from the top level down to the category `id`. */
export function pathOf(flat, id) {
  const byId = new Map(flat.map((c) => [c.id, c]))
  const names = []
  for (let c = byId.get(id); c; c = c.parent_id ? byId.get(c.parent_id) : undefined) names.unshift(c.name)
  return names
}

/** The ids from the top level down to `id`, as a cascader's value. */
export function idPathOf(flat, id) {
  const byId = new Map(flat.map((c) => [c.id, c]))
  const ids = []
  for (let c = byId.get(id); c; c = c.parent_id ? byId.get(c.parent_id) : undefined) ids.unshift(c.id)
  return ids
}

/**
 * Leaf categories whose path contains every word of the query, best first
 * (a match in the leaf's own name first): the consultant types 噪音 and
 * gets 环境保护 / 噪声污染 / 施工噪音.
 */
export function searchCategories(flat, query, limit = 20) {
  const words = String(query ?? '').trim().split(/\s+/).filter(Boolean)
  if (!words.length) return []
  const parents = new Set(flat.map((c) => c.parent_id).filter(Boolean))
  const hits = []
  for (const c of flat) {
    if (parents.has(c.id)) continue
    const path = pathOf(flat, c.id).join(' / ')
    if (words.every((w) => path.includes(w))) {
      hits.push({ id: c.id, path, own: words.some((w) => c.name.includes(w)) })
    }
  }
  hits.sort((a, b) => Number(b.own) - Number(a.own) || a.path.length - b.path.length)
  return hits.slice(0, limit)
}
