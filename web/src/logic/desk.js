// The consultant desk's WebSocket: reconnects after a drop (with a growing
// pause), so a restarted server or a flaky network does not leave the
// consultant deaf to calls. Each attempt first asks with a plain request
// whether the desk would open (a browser hides why a WebSocket was
// refused): a desk the server refuses (no basic training, not a
// consultant) is not tried again, and the reason is shown instead.

/** Why the server refuses the desk, from a plain GET of its address; null if it would open. */
export async function deskRefusal(fetchImpl = globalThis.fetch) {
  try {
    const r = await fetchImpl('/api/v1/desk', { credentials: 'same-origin' })
    if (r.status !== 401 && r.status !== 403) return null
    const body = await r.json().catch(() => ({}))
    return body.message ?? String(r.status)
  } catch {
    return null
  }
}

export class DeskLink {
  constructor(onEvent, onState, { url, WebSocketImpl, check, onRefused } = {}) {
    this.onEvent = onEvent
    this.onState = onState
    this.url = url ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/desk`
    this.WebSocketImpl = WebSocketImpl ?? globalThis.WebSocket
    this.check = check ?? (() => deskRefusal())
    this.onRefused = onRefused ?? (() => {})
    this.closed = false
    this.retry = 0
  }

  /** Asks whether the desk would open, then opens it; a refusal stops here for good. */
  async connect() {
    const refused = await this.check()
    if (this.closed) return
    if (refused) {
      this.closed = true
      this.onRefused(refused)
      return
    }
    const ws = new this.WebSocketImpl(this.url)
    this.ws = ws
    ws.onopen = () => {
      this.retry = 0
      this.onState(true)
    }
    ws.onmessage = (m) => this.onEvent(JSON.parse(m.data))
    ws.onclose = () => {
      this.onState(false)
      if (!this.closed) setTimeout(() => this.connect(), DeskLink.pause(this.retry++))
    }
  }

  send(command) {
    if (this.ws?.readyState === 1) this.ws.send(JSON.stringify(command))
  }

  close() {
    this.closed = true
    this.ws?.close()
  }

  /** Milliseconds to wait before reconnect attempt `n`: 0.5 s doubling to 10 s. */
  static pause(n) {
    return Math.min(10000, 500 * 2 ** n)
  }
}
