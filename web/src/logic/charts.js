// ECharts options from the API's figures; pure so they can be tested.

/** A horizontal bar chart of `rows` ranked by `value(row)`, best first. */
export function rankingBars(rows, label, value, title = '') {
  const sorted = rows.filter((r) => value(r) !== null && value(r) !== undefined).sort((a, b) => value(b) - value(a))
  return {
    title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    grid: { left: 140, right: 30, top: 40, bottom: 20 },
    xAxis: { type: 'value' },
    yAxis: { type: 'category', inverse: true, data: sorted.map(label) },
    series: [{ type: 'bar', data: sorted.map((r) => Number(value(r).toFixed(2))) }],
  }
}

/** A line over days, e.g. the satisfaction trend, as percentages. */
export function trendLine(points, day, share, title = '') {
  return {
    title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: points.map(day) },
    yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
    series: [{ type: 'line', smooth: true, data: points.map((p) => (share(p) === null ? null : Number((share(p) * 100).toFixed(1)))) }],
  }
}

/** A pie of counts `{ name, orders }`, the smallest folded into 其他. */
export function countPie(counts, title = '', keep = 8) {
  const sorted = [...counts].sort((a, b) => b.orders - a.orders)
  const head = sorted.slice(0, keep).map((c) => ({ name: c.name, value: c.orders }))
  const rest = sorted.slice(keep).reduce((sum, c) => sum + c.orders, 0)
  if (rest > 0) head.push({ name: '其他', value: rest })
  return {
    title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'item' },
    series: [{ type: 'pie', radius: ['35%', '65%'], data: head }],
  }
}

/**
 * A bar chart of a report section `{ name, header, rows }`: labels from the
 * first column, values from the first column after it whose cells are all
 * numbers. None when the section has no such column, or is a list of
 * `指标 | 数值` pairs (counts and rates side by side do not share an axis).
 */
export function sectionChart(section, limit = 15) {
  const rows = section.rows ?? []
  if (!rows.length || section.header.length < 3) return null
  const column = section.header.findIndex((_, i) => i > 0 && rows.every((r) => typeof r[i] === 'number'))
  if (column < 0) return null
  return rankingBars(rows.slice(0, limit), (r) => String(r[0]), (r) => r[column], `${section.name} · ${section.header[column]}`)
}
