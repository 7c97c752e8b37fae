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
