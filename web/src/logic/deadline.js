// Deadline colours as the supervision rules define them: yellow once the
// configured share of the time is used (75% by default), red when overdue.

/** 'overdue' | 'warning' | 'normal' | 'none' */
export function deadlineLevel(due, now, start, warnShare = 0.75) {
  if (!due) return 'none'
  const end = new Date(due).getTime()
  const t = new Date(now).getTime()
  if (t > end) return 'overdue'
  if (start) {
    const begin = new Date(start).getTime()
    if (end > begin && (t - begin) / (end - begin) >= warnShare) return 'warning'
  }
  return 'normal'
}

/** Element Plus tag type for a level. */
export function levelTag(level) {
  return { overdue: 'danger', warning: 'warning', normal: 'success', none: 'info' }[level]
}

/**
 * The message key and count of a server's `time_left` (working days while
 * the deadline lies on a later date, hours on its own day), or null.
 */
export function workingLeft(left) {
  if (!left) return null
  const days = left.working_days > 0
  const key = `deadline.${days ? 'days' : 'hours'}${left.overdue ? 'Over' : 'Left'}`
  return { key, n: days ? left.working_days : left.hours }
}
