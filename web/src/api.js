// The one way the interface talks to the server. The session cookie set
// at login goes with every request; errors arrive as `ApiError`, said in
// the screen's language from the server's codes, with field errors for
// forms to show beside their fields.

import { errorText, fieldText } from './logic/errors.js'

export class ApiError extends Error {
  constructor(status, body) {
    super(errorText(status, body))
    this.status = status
    this.code = body?.code
    this.fields = body?.fields ?? []
    this.allowedActions = body?.allowed_actions
  }

  /** `{ field: message }` for an el-form. */
  fieldMap() {
    return Object.fromEntries(this.fields.map((f) => [f.field, fieldText(f)]))
  }
}

/** Called with every 401 so the app can return to the login page. */
let onUnauthenticated = () => {}
export function whenLoggedOut(handler) {
  onUnauthenticated = handler
}

async function request(method, path, body, { quiet = false } = {}) {
  const init = { method, credentials: 'same-origin', headers: {} }
  if (body instanceof FormData) {
    // The browser sets the multipart boundary itself.
    init.body = body
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  const response = await fetch(`/api/v1${path}`, init)
  const text = await response.text()
  const data = text ? JSON.parse(text) : null
  if (!response.ok) {
    if (response.status === 401 && !quiet) onUnauthenticated()
    throw new ApiError(response.status, data)
  }
  return data
}

export const api = {
  get: (path) => request('GET', path),
  /** A GET whose 401 is an answer, not a lost session (who am I?). */
  probe: (path) => request('GET', path, undefined, { quiet: true }),
  post: (path, body = {}) => request('POST', path, body, { quiet: path.startsWith('/auth/') }),
  put: (path, body) => request('PUT', path, body),
  patch: (path, body) => request('PATCH', path, body),
  del: (path) => request('DELETE', path),
  /** Sends one file as the multipart field `file`. */
  upload: (path, file) => {
    const form = new FormData()
    form.append('file', file, file.name)
    return request('POST', path, form)
  },
}

/** `?a=1&b=2` from an object, leaving out empty values. */
export function query(params) {
  const pairs = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '')
  return pairs.length ? '?' + new URLSearchParams(pairs).toString() : ''
}

/**
 * Server-sent events of `path`; returns a function that stops listening.
 * Listeners of one path share one connection: a browser allows only six
 * per server, and a screen may have several live lists.
 */
const streams = new Map()
const openStreams = new Set()
function markOpen(path, open) {
  if (open) openStreams.add(path)
  else openStreams.delete(path)
  if (typeof document !== 'undefined') document.documentElement.dataset.streams = [...openStreams].join(' ')
}
export function stream(path, onMessage) {
  let entry = streams.get(path)
  if (!entry) {
    entry = { path, source: null, listeners: new Set(), retry: null }
    connect(entry)
    streams.set(path, entry)
  }
  entry.listeners.add(onMessage)
  return () => {
    entry.listeners.delete(onMessage)
    if (!entry.listeners.size) {
      clearTimeout(entry.retry)
      entry.source.close()
      streams.delete(path)
      markOpen(path, false)
    }
  }
}

// How long a feed the browser gave up on waits before connecting again.
const RECONNECT_MS = 5000

function connect(entry) {
  const source = new EventSource(`/api/v1${entry.path}`)
  entry.source = source
  const deliver = (name) => (e) => {
    const data = JSON.parse(e.data)
    for (const listener of entry.listeners) listener(data, name)
  }
  source.onmessage = deliver('message')
  // The live feeds connected now, on <html data-streams>: for the
  // browser tests, and for anyone wondering why a list is not updating.
  source.onopen = () => markOpen(entry.path, true)
  source.onerror = () => {
    markOpen(entry.path, false)
    // The browser retries a dropped connection itself, but gives up on an
    // error answer, such as the 401 of a session that has expired: then
    // the login page is the way back, and anything else is tried again.
    if (source.readyState !== EventSource.CLOSED) return
    const again = () => {
      if (streams.get(entry.path) === entry) entry.retry = setTimeout(() => connect(entry), RECONNECT_MS)
    }
    request('GET', '/me', undefined, { quiet: true }).then(again, (e) => (e.status === 401 ? onUnauthenticated() : again()))
  }
  for (const name of ['alert', 'counted', 'order', 'wallboard', 'dashboard']) source.addEventListener(name, deliver(name))
}

/** Calls `fn` once, `ms` after the last of a burst of calls. */
export function debounce(fn, ms) {
  let timer
  return (...args) => {
    clearTimeout(timer)
    timer = setTimeout(() => fn(...args), ms)
  }
}
