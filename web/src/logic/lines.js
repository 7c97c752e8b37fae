// The telephone side of the wallboard: a carrier's trunk as one word and
// colour (up, down, not registered, not watched) and why it is down.

import { t, locale } from '../i18n.js'

// Down wins: a trunk that answers probes but is not registered takes no calls.
export function trunkState(trunk) {
  if (trunk.reachable === false) return { key: 'down', tag: 'danger' }
  if (trunk.registered === false) return { key: 'unregistered', tag: 'danger' }
  if (trunk.reachable === true || trunk.registered === true) return { key: 'up', tag: 'success' }
  return { key: 'unwatched', tag: 'info' }
}

// The outbound trunk is the one the configuration does not name
// (sip.outbound): the server calls it `outbound`, the screen in its language.
export function trunkName(trunk) {
  return trunk.direction === 'outbound' ? t('lines.outboundTrunk') : trunk.name
}

export function trunkProblem(problem) {
  if (!problem) return ''
  const text = t('lines.problem.' + problem.code)
  return problem.status ? `${text}（${problem.status}）` : text
}

// Why listening in was refused, in the screen's language. The server's 409
// means, by what was asked: joining, that the supervisor's own phone is not
// registered (the buttons show only on real calls); taking over, that their
// phone has not joined the call yet; leaving, that another supervisor took
// the call over. Its 404: the call has ended meanwhile.
export function monitorRefusal(error, mode) {
  if (locale.value === 'en') return error.message
  if (error.status === 409) return t(mode === 'take_over' ? 'monitor.notJoined' : mode ? 'monitor.noPhone' : 'monitor.takenByOther')
  if (error.status === 404) return t('monitor.gone')
  return error.message
}
