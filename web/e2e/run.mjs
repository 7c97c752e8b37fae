// End-to-end tests in a real headless Chromium (Debian's `chromium`,
// driven by playwright-core; no browser is downloaded). Starts a demo
// server on a fresh data directory, walks a complaint through its whole
// life with each role in its own browser session, a citizen through the
// portal, and a unit user who must not see another unit's order. Saves a
// screenshot of every screen under e2e/screenshots/.
//
//   HOTLINE_BIN=../target/debug/hotline node e2e/run.mjs
//
// Environment: HOTLINE_BIN (the server binary), CHROMIUM (default
// /usr/bin/chromium), E2E_PORT (default 18080), E2E_ORDERS (demo orders,
// default 1500), E2E_ONLY (run only the scenarios whose name contains it,
// while working on one: most scenarios build on those before them).

import { chromium } from 'playwright-core'
import { spawn } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { steps } from './steps.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const bin = process.env.HOTLINE_BIN ?? join(here, '../../target/debug/hotline')
const port = Number(process.env.E2E_PORT ?? 18080)
const base = `http://127.0.0.1:${port}`
const shots = join(here, 'screenshots')
rmSync(shots, { recursive: true, force: true })
mkdirSync(shots, { recursive: true })

const data = mkdtempSync(join(tmpdir(), 'hotline-e2e-'))
const server = spawn(bin, ['--data-dir', join(data, 'data'), 'demo', '--listen', `127.0.0.1:${port}`, '--orders', process.env.E2E_ORDERS ?? '1500'], {
  stdio: ['ignore', 'inherit', 'inherit'],
  // Only the calls a scenario places reach the desk.
  env: { ...process.env, HOTLINE_LOG: process.env.HOTLINE_LOG ?? 'warn', HOTLINE_CALLCENTRE__SIMULATED_CALLS_PER_HOUR: '0.001',
    // A case system that is down gives up within seconds, so its dead letter shows.
    HOTLINE_EXTERNAL__RETRY_AFTER_SECS: '1', HOTLINE_EXTERNAL__MAX_ATTEMPTS: '2',
    // Texts are queued (no Kannel runs here: they fail or wait for the morning in the log).
    HOTLINE_SMS__GATEWAY: 'kannel', HOTLINE_SMS__RECEIPT_TOKEN: 'e2e-gateway-token',
    // The SIP gateway beside the simulator (as the demo with --sip-listen):
    // the wallboard shows its phones and a carrier trunk that never answers.
    HOTLINE_SIP__LISTEN: `127.0.0.1:${port + 1}`, HOTLINE_SIP__RTP_PORTS: `[${port + 100}, ${port + 199}]`,
    HOTLINE_SIP__TRUNKS: `[{name="e2e 运营商", addresses=["127.0.0.1"], server="127.0.0.1:${port + 2}", keepalive_secs=1}]`,
    // Callbacks reach the citizen's line (SIPp) through it.
    HOTLINE_SIP__OUTBOUND: `{address="127.0.0.1:${port + 3}", keepalive_secs=0}` },
})
let serverExit = null
server.on('exit', (code) => (serverExit = code))

async function waitForServer() {
  for (let i = 0; i < 600; i++) {
    if (serverExit !== null) throw new Error(`the server exited with ${serverExit} before it served`)
    try {
      if ((await fetch(`${base}/healthz`)).ok) return
    } catch {}
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error('the server did not answer /healthz within 5 minutes')
}

// The browsers' microphone: 3 s of a 440 Hz tone (Chromium loops it).
function toneWav(path, hz = 440, seconds = 3, rate = 48000) {
  const samples = seconds * rate
  const wav = Buffer.alloc(44 + samples * 2)
  wav.write('RIFF', 0)
  wav.writeUInt32LE(36 + samples * 2, 4)
  wav.write('WAVEfmt ', 8)
  wav.writeUInt32LE(16, 16)
  wav.writeUInt16LE(1, 20)
  wav.writeUInt16LE(1, 22)
  wav.writeUInt32LE(rate, 24)
  wav.writeUInt32LE(rate * 2, 28)
  wav.writeUInt16LE(2, 32)
  wav.writeUInt16LE(16, 34)
  wav.write('data', 36)
  wav.writeUInt32LE(samples * 2, 40)
  for (let i = 0; i < samples; i++) wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / rate)), 44 + i * 2)
  writeFileSync(path, wav)
  return path
}

/** Chromium whose microphone plays a tone of `hz`. */
function launch(hz = 440) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // The browser phone: a WAV as the microphone, no permission prompt,
      // WebRTC on loopback with plain addresses, audio that plays unasked.
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${toneWav(join(data, `microphone-${hz}.wav`), hz)}`,
      '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns', '--autoplay-policy=no-user-gesture-required'],
  })
}

const browser = await (async () => {
  await waitForServer()
  return launch()
})().catch((e) => {
  server.kill('SIGTERM')
  throw e
})

// Every page the scenarios open reports its uncaught errors and console
// errors here: a screen that throws fails its scenario even when the
// assertions it was written with still pass. Failed requests are left to
// the scenarios (several send bad input on purpose).
const pageProblems = []
function watch(page) {
  page.on('pageerror', (e) => pageProblems.push(`${page.url()}: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageProblems.push(`${page.url()}: ${m.text()}`)
  })
}
const watched = (browser) => ({
  newContext: async (...args) => {
    const context = await browser.newContext(...args)
    context.on('page', watch)
    return context
  },
  newPage: async (...args) => {
    const page = await browser.newPage(...args)
    watch(page)
    return page
  },
  close: () => browser.close(),
})
const watchedBrowser = watched(browser)
// A second browser whose microphone plays another tone (a supervisor
// whispering is told from the consultant by its pitch); the scenario closes it.
const otherMicrophone = async (hz) => watched(await launch(hz))

let failed = 0
const chosen = steps.filter(([name]) => name.includes(process.env.E2E_ONLY ?? ''))
const started = Date.now()
try {
  for (const [name, step] of chosen) {
    const t0 = Date.now()
    try {
      // `cli` runs the server's binary on its data directory, as an operator would.
      await step({ browser: watchedBrowser, otherMicrophone, base, shots, cli: { bin, dataDir: join(data, 'data') }, sip: { addr: `127.0.0.1:${port + 1}`, port } })
      if (pageProblems.length) throw new Error(`the pages reported errors:\n  ${pageProblems.splice(0).join('\n  ')}`)
      console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
    } catch (e) {
      failed++
      console.log(`FAIL ${name}: ${e.stack ?? e}`)
      // The rest of the story depends on this step.
      break
    }
  }
} finally {
  await browser.close()
  // The server seals the audit log and writes its checkpoint as it stops:
  // its directory is removed once it has exited.
  const exited = serverExit !== null ? Promise.resolve() : new Promise((r) => server.once('exit', r))
  server.kill('SIGTERM')
  const late = setTimeout(() => server.kill('SIGKILL'), 30_000)
  await exited
  clearTimeout(late)
  rmSync(data, { recursive: true, force: true })
}
console.log(`${failed ? 'FAILED' : 'passed'}: ${chosen.length} scenarios in ${((Date.now() - started) / 1000).toFixed(0)} s; screenshots in ${shots}`)
process.exit(failed ? 1 : 0)
