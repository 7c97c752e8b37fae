// What the suggestion model proposes, as the desk shows it: the leaf
// categories worth a click (a confidence too small to help is left out),
// each with its path and a rounded percentage.

// Below this a category is noise, not a suggestion.
export const SHOWN_FROM = 0.05

// A suggestion is never certain: 99.6 % shows as 99 %, not 100 %.
const percent = (confidence) => Math.min(99, Math.round(confidence * 100))

export function suggestedCategories(suggestion, max = 3) {
  if (!suggestion?.categories) return []
  return suggestion.categories
    .filter((c) => c.confidence >= SHOWN_FROM)
    .slice(0, max)
    .map((c) => ({ id: c.id, path: c.path.join(' / '), percent: percent(c.confidence) }))
}

// The lead units the model suggests, for the dispatch form.
export function suggestedUnits(suggestion, max = 3) {
  if (!suggestion?.units) return []
  return suggestion.units
    .filter((u) => u.confidence >= SHOWN_FROM)
    .slice(0, max)
    .map((u) => ({ id: u.id, name: u.name, percent: percent(u.confidence) }))
}

// Worth asking once there is something to read: a subject, or a
// description of a few characters.
export function worthAsking(subject, description) {
  return (subject ?? '').trim().length >= 2 || (description ?? '').trim().length >= 4
}

// What the words say of the urgency, for the desk: the urgency to offer
// when it is graver than the one chosen, the dangers heard, the linkage
// rules registering would set off.
const GRAVITY = { normal: 0, urgent: 1, critical: 2 }
export function urgencyHint(suggestion, chosen) {
  const hint = suggestion?.urgency
  if (!hint || (!hint.suggested && !hint.rules?.length)) return null
  const raise = hint.suggested && GRAVITY[hint.suggested] > GRAVITY[chosen ?? 'normal'] ? hint.suggested : null
  return { raise, signals: (hint.signals ?? []).map((s) => `${s.kind}（${s.phrase}）`), rules: hint.rules ?? [] }
}
