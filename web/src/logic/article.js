// Knowledge articles between the server's shape and the editing form, and
// the review workflow's buttons. The server keeps each version's content
// (`region` is `{scope: 'city'}` or `{scope: 'towns', towns: [...]}`); the
// form holds plain strings so Element Plus inputs can bind to them.

/** The form for a new article, or for the newest version of `record`. */
export function articleForm(record = null) {
  const c = record?.content ?? {}
  return {
    id: record?.id ?? null,
    revision: record?.revision ?? null,
    title: c.title ?? '',
    body: c.body ?? '',
    script: c.script ?? '',
    owner_id: c.owner ?? '',
    category_id: c.category ?? '',
    keywords: (c.keywords ?? []).join(' '),
    town_ids: c.region?.scope === 'towns' ? [...c.region.towns] : [],
    source: c.source ?? '',
    effective_from: c.effective_from ?? '',
    expires_on: c.expires_on ?? '',
    visibility: c.visibility ?? 'public',
  }
}

/** The request body for `POST`/`PUT /kb/articles`; empty fields are left out. */
export function articleBody(form) {
  const text = (v) => (String(v ?? '').trim() ? String(v).trim() : undefined)
  return {
    title: form.title,
    body: form.body,
    script: text(form.script),
    owner_id: text(form.owner_id),
    category_id: text(form.category_id),
    // Authors separate keywords with spaces or commas, Chinese or not.
    keywords: String(form.keywords ?? '').split(/[\s,，、;；]+/).filter(Boolean),
    town_ids: form.town_ids ?? [],
    source: text(form.source),
    effective_from: text(form.effective_from),
    expires_on: text(form.expires_on),
    visibility: form.visibility,
    revision: form.id ? form.revision : undefined,
  }
}

/**
 * What an article's people may do next, mirroring the server's workflow
 * (domain/knowledge/lifecycle.rs): editors submit drafts and retire what is
 * live or scheduled; the centre's reviewer also approves or rejects.
 */
export function articleActions(state, { reviewer = false } = {}) {
  if (!state) return []
  const actions = []
  if (state.status === 'draft') actions.push('submit')
  if (reviewer && state.status === 'in_review') actions.push('approve', 'reject')
  if (state.status !== 'retired' && (state.live_version != null || state.status === 'scheduled')) actions.push('retire')
  return actions
}

/** `2026-01-01 — 2026-12-31` for a version's validity; `null` when it has no dates. */
export function validity(content) {
  if (!content?.effective_from && !content?.expires_on) return null
  return `${content.effective_from || '…'} — ${content.expires_on || '…'}`
}

/** The two versions a reviewer compares: what readers see now against the newest. */
export function reviewPair(state) {
  if (!state || state.version < 2) return null
  const from = state.live_version != null && state.live_version < state.version ? state.live_version : state.version - 1
  return { from, to: state.version }
}

// Fields whose diff text is ids (units, a category, towns) or a code.
const ID_FIELDS = new Set(['owner', 'category', 'region'])

/**
 * A field of the diff as rows for display, `+`, `-` or blank before each
 * line; `name` turns the ids of the owner, category and region fields into
 * the names people know.
 */
export function diffRows(field, name = (id) => id) {
  const mark = { insert: '+', delete: '-', equal: ' ' }
  const shown = (text) => (ID_FIELDS.has(field.field) ? text.split(' ').filter(Boolean).map(name).join('、') : text)
  return field.lines.map((l) => ({ mark: mark[l.op] ?? ' ', op: l.op, text: shown(l.text) }))
}
