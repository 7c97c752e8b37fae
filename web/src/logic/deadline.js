// Deadline colours as the supervision rules define them: yellow once the
// configured share of the time is used (75% by default), red when overdue.

const HOUR = 3600 * 1000

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

/** The time left (or past) as days and hours: `{ overdue, days, hours }`. */
export function timeLeft(due, now) {
  const diff = new Date(due).getTime() - new Date(now).getTime()
  const hours = Math.floor(Math.abs(diff) / HOUR)
  return { overdue: diff < 0, days: Math.floor(hours / 24), hours: hours % 24 }
}

/** Element Plus tag type for a level. */
export function levelTag(level) {
  return { overdue: 'danger', warning: 'warning', normal: 'success', none: 'info' }[level]
}
