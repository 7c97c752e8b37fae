// The telephone side of the wallboard: a carrier's trunk as one word and
// colour (up, down, not registered, not watched) and why it is down.

import { t } from '../i18n.js'

// Down wins: a trunk that answers probes but is not registered takes no calls.
export function trunkState(trunk) {
  if (trunk.reachable === false) return { key: 'down', tag: 'danger' }
  if (trunk.registered === false) return { key: 'unregistered', tag: 'danger' }
  if (trunk.reachable === true || trunk.registered === true) return { key: 'up', tag: 'success' }
  return { key: 'unwatched', tag: 'info' }
}

export function trunkProblem(problem) {
  if (!problem) return ''
  const text = t('lines.problem.' + problem.code)
  return problem.status ? `${text}（${problem.status}）` : text
}
