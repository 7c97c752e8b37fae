// What went wrong, in the language of the screen. The server names every
// error with a stable code (and each field error with its own code); in
// Chinese the interface says it in its own words, so no English message
// reaches a Chinese screen. In English the server's message is used as it is.

import { t, locale } from '../i18n.js'

export const FIELD_CODES = ['required', 'empty', 'too_long', 'control_character', 'phone', 'order_number', 'unknown_value', 'unknown_field', 'wrong_type', 'duplicate', 'too_many', 'phrase', 'invalid']
export const ERROR_CODES = ['unauthenticated', 'forbidden', 'not_found', 'bad_request', 'invalid', 'transition_not_allowed', 'conflict',
  'payload_too_large', 'unsupported_media_type', 'too_many_requests', 'unavailable']

const english = () => locale.value === 'en'

/** One field error as shown beside its field. */
export function fieldText(f) {
  if (english()) return f.message
  return t('err.field.' + (FIELD_CODES.includes(f.code) ? f.code : 'invalid'), { limit: f.limit ?? '', other: f.other ?? '' })
}

/** The name of a field (`caller.phone`), or '' when the screen has none for it. */
export function fieldLabel(field) {
  const key = 'field.' + String(field ?? '')
  const text = t(key)
  return text === key ? '' : text
}

/** The whole error, for a message bar. */
export function errorText(status, body) {
  if (english()) return body?.message || `HTTP ${status}`
  const code = ERROR_CODES.includes(body?.code) ? body.code : null
  if (code === 'invalid') {
    const parts = (body.fields ?? []).map((f) => `${fieldLabel(f.field) || t('err.someField')}：${fieldText(f)}`)
    return t('err.invalid', { fields: parts.join('；') })
  }
  if (code === 'transition_not_allowed') {
    const allowed = (body.allowed_actions ?? []).map((a) => t('action.' + a))
    return allowed.length ? t('err.transition', { allowed: allowed.join('、') }) : t('err.closed')
  }
  return code ? t('err.' + code) : t('err.status', { status })
}
