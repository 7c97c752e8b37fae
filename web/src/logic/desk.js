// The consultant desk's WebSocket: reconnects after a drop (with a growing
// pause), so a restarted server or a flaky network does not leave the
// consultant deaf to calls.

export class DeskLink {
  constructor(onEvent, onState, { url, WebSocketImpl } = {}) {
    this.onEvent = onEvent
    this.onState = onState
    this.url = url ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/desk`
    this.WebSocketImpl = WebSocketImpl ?? globalThis.WebSocket
    this.closed = false
    this.retry = 0
  }

  connect() {
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
