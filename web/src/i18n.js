// Chinese by default, English on request; the choice is remembered. Keys
// are grouped by screen. A missing English text falls back to Chinese, a
// missing key shows the key (and a test checks none are missing).

import { ref } from 'vue'
import { messages } from './messages.js'

const saved = typeof localStorage !== 'undefined' ? localStorage.getItem('hotline.locale') : null
export const locale = ref(saved === 'en' ? 'en' : 'zh')

export function setLocale(next) {
  locale.value = next === 'en' ? 'en' : 'zh'
  if (typeof localStorage !== 'undefined') localStorage.setItem('hotline.locale', locale.value)
  if (typeof document !== 'undefined') document.documentElement.lang = locale.value === 'en' ? 'en' : 'zh-CN'
}

/** The text of `key` in the current language, `{name}` filled from `params`. */
export function t(key, params = {}) {
  const text = messages[locale.value]?.[key] ?? messages.zh[key] ?? key
  return text.replace(/\{(\w+)\}/g, (_, name) => (params[name] ?? `{${name}}`))
}
