// How a hot topic is drawn: the tag of its trend and the bars of its series.

const TREND_TAGS = { new: 'danger', rising: 'warning', steady: 'info', falling: 'success' }

export function trendType(trend) {
  return TREND_TAGS[trend] ?? 'info'
}

// Each part's height in percent of the fullest; an empty part keeps a sliver.
export function sparkBars(series) {
  const top = Math.max(0, ...(series ?? []))
  return (series ?? []).map((n) => (top === 0 ? 0 : Math.round((100 * n) / top)))
}
