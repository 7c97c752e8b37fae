// Orders a request may repeat (重复诉求), duplicate (疑似重复) or relate to,
// as the desk and the dispatch screen list them: strongest first (the
// server's order), each with its reasons as message keys.

import { isPhone, normalisePhone } from './validate.js'

export const KINSHIP_TAG = { repeat: 'danger', duplicate: 'warning', related: 'info' }

/** Why an order matches, as `{ key, params }` for the message catalogue. */
export function reasons(o) {
  const out = []
  if (o.same_caller) out.push({ key: 'similar.sameCaller' })
  if (o.same_address) out.push({ key: 'similar.sameAddress' })
  else if (o.same_town) out.push({ key: 'similar.sameTown' })
  if (o.same_category) out.push({ key: 'similar.sameCategory' })
  if (o.shared_words?.length) {
    out.push({ key: 'similar.words', params: { words: o.shared_words.slice(0, 4).join('、'), percent: Math.round(o.likeness * 100) } })
  }
  return out
}

/** The reasons as one line in the screen's language (`t` translates a key). */
export function reasonLine(o, t) {
  return reasons(o).map((r) => t(r.key, r.params)).join('；')
}

/** Orders a duplicate may be merged into: still open, not itself. */
export function mergeable(list, self) {
  return (list ?? []).filter((o) => o.open && o.number !== self?.number)
}

/**
 * What the desk sends to find duplicates: the typed words, the place, the
 * caller's number once it is a whole number, the chosen category.
 */
export function similarQuery(form) {
  const body = { subject: form.subject ?? '', description: form.description ?? '' }
  if (form.town_code) body.town = form.town_code
  if (form.address?.trim()) body.address = form.address.trim()
  if (isPhone(form.phone)) body.caller_phone = normalisePhone(form.phone)
  if (form.category_id) body.category_id = form.category_id
  return body
}
