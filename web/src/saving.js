// One way to run a write from an editing screen: on success a short
// confirmation; on failure the server's message, and its field errors put
// into `errors` so the form shows them beside their fields.

import { ElMessage } from 'element-plus'
import { t } from './i18n.js'

/** Runs `request`; resolves to whether it succeeded. */
export async function save(request, { errors, done = 'common.saved' } = {}) {
  if (errors) errors.value = {}
  try {
    await request()
    // `done: null`: the screen shows the change itself.
    if (done) ElMessage.success(t(done))
    return true
  } catch (e) {
    if (errors) errors.value = e.fieldMap ? e.fieldMap() : {}
    ElMessage.error(e.message)
    return false
  }
}
