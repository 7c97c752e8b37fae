// The browser as the user's phone (浏览器话机): one RTCPeerConnection to
// the gateway for the whole shift, G.711 A-law, media through the server.
// Calls are connected to it at the desk, with no new negotiation; a lost
// connection is negotiated again behind the same line, so the caller
// stays on the call while the browser comes back.

import { api } from '../api.js'

// How long ICE gathering may take before the offer goes with what it has
// (the server is ICE-lite: it learns the browser's address from its checks).
const GATHER_MS = 1500
// A connection down this long is negotiated again, then every RETRY_MS.
const DOWN_MS = 2000
const RETRY_MS = 3000

function gathered(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== 'complete') return
      pc.removeEventListener('icegatheringstatechange', done)
      resolve()
    }
    pc.addEventListener('icegatheringstatechange', done)
    setTimeout(resolve, GATHER_MS)
  })
}

/** Audio level 0..1 as a bar of `steps` (for the meters). */
export function levelBars(level, steps = 10) {
  if (!(level > 0)) return 0
  // audioLevel is linear amplitude; speech sits around 0.01–0.3, so the
  // bars follow its logarithm from -50 dBFS to 0.
  const db = 20 * Math.log10(Math.min(1, level))
  return Math.max(0, Math.min(steps, Math.round(((db + 50) / 50) * steps)))
}

/** The figures of one `getStats()` report the desk shows. */
export function readStats(report) {
  const out = { inLevel: 0, outLevel: 0, received: 0, sent: 0, lost: 0, lossPercent: 0, jitterMs: 0, rttMs: null }
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') {
      out.inLevel = s.audioLevel ?? 0
      out.received = s.packetsReceived ?? 0
      out.lost = Math.max(0, s.packetsLost ?? 0)
      out.jitterMs = Math.round((s.jitter ?? 0) * 1000)
    } else if (s.type === 'media-source' && s.kind === 'audio') {
      out.outLevel = s.audioLevel ?? 0
    } else if (s.type === 'outbound-rtp' && s.kind === 'audio') {
      out.sent = s.packetsSent ?? 0
    } else if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded' && s.currentRoundTripTime != null) {
      out.rttMs = Math.round(s.currentRoundTripTime * 1000)
    }
  })
  const expected = out.received + out.lost
  out.lossPercent = expected ? Math.round((out.lost / expected) * 1000) / 10 : 0
  return out
}

export class Softphone {
  /**
   * `audio`: the element that plays what the line hears; `onState` is
   * called with 'connecting', 'connected', 'reconnecting' or 'closed'.
   */
  constructor(audio, onState) {
    this.audio = audio
    this.onState = onState
    this.pc = null
    this.stream = null
    this.wanted = false
    this.muted = false
    this.downSince = null
    this.retry = null
  }

  state(s) {
    this.current = s
    this.onState?.(s)
  }

  /** Asks for the microphone (`input`: a device id, or the default) and connects. */
  async open(input) {
    this.wanted = true
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: input ? { deviceId: { exact: input } } : true, video: false })
    this.applyMute()
    this.state('connecting')
    try {
      await this.negotiate()
    } catch (e) {
      await this.close({ quiet: true })
      throw e
    }
  }

  async negotiate() {
    this.pc?.close()
    const pc = new RTCPeerConnection({ iceServers: [] })
    this.pc = pc
    for (const track of this.stream.getAudioTracks()) pc.addTrack(track, this.stream)
    pc.ontrack = (e) => {
      this.audio.srcObject = e.streams[0] ?? new MediaStream([e.track])
      this.audio.play?.().catch(() => {})
    }
    pc.onconnectionstatechange = () => this.watch(pc)
    await pc.setLocalDescription(await pc.createOffer())
    await gathered(pc)
    const { sdp } = await api.post('/callcentre/softphone', { sdp: pc.localDescription.sdp })
    if (this.pc !== pc) return
    await pc.setRemoteDescription({ type: 'answer', sdp })
  }

  watch(pc) {
    if (this.pc !== pc || !this.wanted) return
    const s = pc.connectionState
    if (s === 'connected') {
      this.downSince = null
      clearTimeout(this.retry)
      this.state('connected')
    } else if (s === 'disconnected' || s === 'failed') {
      this.downSince ??= Date.now()
      this.state('reconnecting')
      this.again(s === 'failed' ? 0 : DOWN_MS)
    }
  }

  again(after) {
    clearTimeout(this.retry)
    this.retry = setTimeout(async () => {
      if (!this.wanted || this.pc?.connectionState === 'connected') return
      try {
        await this.negotiate()
      } catch {
        // The server or the network is still away: try again.
      }
      this.again(RETRY_MS)
    }, after)
  }

  applyMute() {
    for (const track of this.stream?.getAudioTracks() ?? []) track.enabled = !this.muted
  }

  setMuted(muted) {
    this.muted = muted
    this.applyMute()
  }

  setVolume(volume) {
    this.audio.volume = Math.max(0, Math.min(1, volume))
  }

  /** Another microphone, without a new negotiation. */
  async setInput(input) {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: input ? { deviceId: { exact: input } } : true, video: false })
    const track = stream.getAudioTracks()[0]
    const sender = this.pc?.getSenders().find((s) => s.track?.kind === 'audio')
    await sender?.replaceTrack(track)
    for (const old of this.stream?.getTracks() ?? []) old.stop()
    this.stream = stream
    this.applyMute()
  }

  /** Another loudspeaker or headset, where the browser can choose. */
  async setOutput(output) {
    if (this.audio.setSinkId) await this.audio.setSinkId(output || '')
  }

  async stats() {
    return this.pc ? readStats(await this.pc.getStats()) : null
  }

  async close({ quiet = false } = {}) {
    this.wanted = false
    clearTimeout(this.retry)
    this.pc?.close()
    this.pc = null
    for (const track of this.stream?.getTracks() ?? []) track.stop()
    this.stream = null
    this.audio.srcObject = null
    this.state('closed')
    if (!quiet) await api.del('/callcentre/softphone').catch(() => {})
  }
}

/** Microphones and loudspeakers, labelled once the microphone is allowed. */
export async function audioDevices() {
  const all = await navigator.mediaDevices.enumerateDevices()
  return {
    inputs: all.filter((d) => d.kind === 'audioinput'),
    outputs: all.filter((d) => d.kind === 'audiooutput'),
  }
}
