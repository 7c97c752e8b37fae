// What an audit entry records, in the screen's language: the stored action
// is a stable code (`work_order.dispatch`, `auth.login`); an auditor reads
// 工单 · 派单. Codes nobody has named yet are shown as they are.

import { t } from '../i18n.js'

export function auditLabel(action) {
  const code = String(action ?? '')
  const own = 'audit.a.' + code
  if (t(own) !== own) return t(own)
  const [area, step] = [code.slice(0, code.indexOf('.')), code.slice(code.indexOf('.') + 1)]
  if (area === 'work_order' && t('action.' + step) !== 'action.' + step) return `${t('audit.area.work_order')} · ${t('action.' + step)}`
  if (area === 'article' && t('kbAction.' + step) !== 'kbAction.' + step) return `${t('audit.area.article')} · ${t('kbAction.' + step)}`
  return code
}
