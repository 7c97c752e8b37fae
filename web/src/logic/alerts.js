// Alerts as people read them: every alert of one kind about one order for
// one addressee is one row (a deadline's yellow warning, red overdue and
// reminder are one matter), and only recent unacknowledged ones count on
// the badge, so a new login is not greeted by a wall of old alerts.

/** Days an unacknowledged alert counts on the badge; older ones stay in the list. */
export const BADGE_DAYS = 3

/** Groups alerts (newest first) by kind, order and addressee; the newest stands for its group. */
export function groupAlerts(alerts) {
  const groups = new Map()
  for (const a of alerts) {
    const key = [a.watched, a.number ?? a.order, a.unit ?? 'centre'].join('|')
    if (!groups.has(key)) groups.set(key, [])
    groups.get(key).push(a)
  }
  return [...groups.entries()].map(([key, members]) => {
    const unread = members.filter((m) => !m.read_at)
    const newest = members[0]
    return {
      ...newest,
      key,
      members,
      count: members.length,
      unread,
      // Acknowledged once every member is; then the latest acknowledgement.
      read_at: unread.length ? null : members.map((m) => m.read_at).sort().at(-1),
      orders: Math.max(...members.map((m) => m.orders ?? 1)),
    }
  })
}

/** How many groups the badge shows: unacknowledged, raised within BADGE_DAYS of `now`. */
export function badgeCount(alerts, now = new Date()) {
  const since = now.getTime() - BADGE_DAYS * 24 * 3600 * 1000
  return groupAlerts(alerts.filter((a) => !a.read_at && new Date(a.raised_at).getTime() >= since)).length
}

/**
 * Takes in a `counted` event: the alert with that id now counts `grown.orders`
 * orders. Counts only grow (events of one alert may cross on the way); an
 * alert not in the list (older than its first page) is left out.
 */
export function countGrown(alerts, grown) {
  const alert = alerts.find((a) => a.id === grown.id)
  if (alert) alert.orders = Math.max(alert.orders ?? 1, grown.orders ?? 1)
  return alert
}

/** What a merge of an incident's orders did: how many were merged, how many left. */
export function mergeSummary(outcomes) {
  const merged = outcomes.filter((o) => o.merged).length
  return { merged, left: outcomes.length - merged }
}
