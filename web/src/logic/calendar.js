// The holiday calendar of a year as month grids: each day says whether it
// is worked, and why (weekend, a named holiday, a make-up working day).

/** `YYYY-MM-DD` of a date built from local parts (no time zone shifts). */
export function iso(y, m, d) {
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
}

/**
 * Twelve months, each `{ month, weeks }`, where a week is seven cells
 * (Monday first), `null` outside the month. `special` is the list of
 * `{ date, working, name }` from the API.
 */
export function yearGrid(year, special) {
  const byDate = new Map(special.map((d) => [d.date, d]))
  const months = []
  for (let m = 1; m <= 12; m++) {
    const days = new Date(Date.UTC(year, m, 0)).getUTCDate()
    const lead = (new Date(Date.UTC(year, m - 1, 1)).getUTCDay() + 6) % 7
    const cells = Array(lead).fill(null)
    for (let d = 1; d <= days; d++) {
      const date = iso(year, m, d)
      const weekday = (lead + d - 1) % 7
      const weekend = weekday >= 5
      const s = byDate.get(date)
      cells.push({
        date, day: d, weekend,
        working: s ? s.working : !weekend,
        name: s?.name ?? '',
        kind: s ? (s.working ? 'makeup' : 'holiday') : weekend ? 'weekend' : 'workday',
      })
    }
    while (cells.length % 7) cells.push(null)
    const weeks = []
    for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7))
    months.push({ month: m, weeks })
  }
  return months
}

/** Working days in a year's grid, a figure to check against the State Council's notice. */
export function workingDays(grid) {
  return grid.reduce((n, m) => n + m.weeks.flat().filter((c) => c && c.working).length, 0)
}
