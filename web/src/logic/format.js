// Times are shown as wall-clock time at the hotline (Asia/Shanghai),
// whatever the browser's own zone; the server sends RFC 3339 with an offset.

const ZONE = 'Asia/Shanghai'
const wall = new Intl.DateTimeFormat('sv-SE', {
  timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
})

export function dateTime(iso) {
  if (!iso) return ''
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? String(iso) : wall.format(d)
}

export function date(iso) {
  return dateTime(iso).slice(0, 10)
}

export function percent(x, digits = 1) {
  return x === null || x === undefined || Number.isNaN(x) ? '—' : `${(x * 100).toFixed(digits)}%`
}

/** RFC 3339 for a local date at close of business at the hotline. */
export function endOfDay(yyyyMmDd) {
  return `${yyyyMmDd}T18:00:00+08:00`
}

/** The last complete month at the hotline, `YYYY-MM`: what a ranking is judged on. */
export function lastMonth(now = new Date()) {
  const [y, m] = today(now).split('-').map(Number)
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`
}

/**
 * A report cell as the spreadsheets show it: a rate (its column's header,
 * or the row's label in a two-column overview, says 率 or rate) as a
 * percentage, other fractions with two decimals.
 */
export function reportCell(header, value, rowLabel = '') {
  if (typeof value !== 'number') return value
  if (/率|rate/i.test(`${header} ${rowLabel}`)) return percent(value)
  return Number.isInteger(value) ? value : value.toFixed(2)
}

/** Today's date at the hotline, `YYYY-MM-DD`. */
export function today(now = new Date()) {
  return date(now.toISOString())
}

/** A deadline span as configured (`15wd`, `24h`, `2wh`) in words. */
export function span(raw, locale = 'zh') {
  const m = String(raw ?? '').match(/^(\d+)(wd|wh|h)$/)
  if (!m) return String(raw ?? '')
  const n = Number(m[1])
  const s = n === 1 ? '' : 's'
  const words = {
    en: { wd: `${n} working day${s}`, wh: `${n} working hour${s}`, h: `${n} hour${s}` },
    zh: { wd: `${n} 个工作日`, wh: `${n} 个工作小时`, h: `${n} 小时` },
  }
  return words[locale === 'en' ? 'en' : 'zh'][m[2]]
}

/** RFC 3339 at the hotline, `hours` from `now`, to the minute. */
export function inHours(hours, now = new Date()) {
  return `${dateTime(new Date(now.getTime() + hours * 3600 * 1000).toISOString()).replace(' ', 'T')}:00+08:00`
}
