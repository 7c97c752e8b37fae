// How fast the interface is ready, in a real headless Chromium against a
// demo server with 10,000 orders: for each screen, the time from
// navigation to its content being visible (median and 90th percentile of
// 15 loads, cache warm, as a user who works all day has it), and the size
// of what the first load downloads.
//
//   HOTLINE_BIN=../target/release/hotline node e2e/bench.mjs

import { chromium } from 'playwright-core'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const bin = process.env.HOTLINE_BIN ?? '../target/release/hotline'
const port = Number(process.env.E2E_PORT ?? 18090)
const base = `http://127.0.0.1:${port}`
const runs = Number(process.env.BENCH_RUNS ?? 15)
const data = mkdtempSync(join(tmpdir(), 'hotline-bench-'))
const server = spawn(bin, ['--data-dir', join(data, 'data'), 'demo', '--listen', `127.0.0.1:${port}`, '--orders', '10000'], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, HOTLINE_LOG: 'warn', HOTLINE_CALLCENTRE__SIMULATED_CALLS_PER_HOUR: '0.001' },
})
for (let i = 0; ; i++) {
  try { if ((await fetch(`${base}/healthz`)).ok) break } catch {}
  if (i > 1200) throw new Error('the server did not start')
  await new Promise((r) => setTimeout(r, 250))
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
})

async function context(username) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  if (username) {
    const r = await ctx.request.post(`${base}/api/v1/auth/login`, { data: { username, password: 'demo' } })
    if (!r.ok()) throw new Error(`login ${username}`)
  }
  return ctx
}

const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]

const screens = [
  ['portal (citizen, phone-sized)', null, '/portal', '[data-test=portal-query]'],
  ['consultant desk', 'consultant', '/desk', '[data-test=desk] .el-tag--success'],
  ['dispatch queue (100 orders)', 'dispatcher', '/dispatch', '[data-test=order-table] .el-table__row'],
  ['unit workbench', 'dongcheng', '/workbench', '[data-test=order-table] .el-table__row'],
  ['order list (50 per page)', 'supervisor', '/orders', '[data-test=order-table] .el-table__row'],
  ['evaluation ranking with chart', 'supervisor', '/evaluation', '[data-test=ranking] .el-table__row'],
  ['big screen', 'supervisor', '/bigscreen', '[data-test=chart] canvas'],
]

const results = []
for (const [name, user, path, ready] of screens) {
  const ctx = await context(user)
  const page = await ctx.newPage()
  await page.goto(base + path)
  await page.locator(ready).first().waitFor({ timeout: 30000 })
  const times = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await page.goto(base + path)
    await page.locator(ready).first().waitFor({ timeout: 30000 })
    times.push(performance.now() - t0)
  }
  results.push({ name, median: quantile(times, 0.5), p90: quantile(times, 0.9) })
  await ctx.close()
}

// What a first visit downloads: the entry page, its script and stylesheet.
const html = await (await fetch(`${base}/portal`)).text()
let raw = html.length
let gz = gzipSync(html).length
for (const m of html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) {
  const bytes = Buffer.from(await (await fetch(base + m[1])).arrayBuffer())
  raw += bytes.length
  gz += gzipSync(bytes).length
}

await browser.close()
server.kill('SIGTERM')
rmSync(data, { recursive: true, force: true })

console.log(`| screen | median ms | p90 ms |\n| --- | ---: | ---: |`)
for (const r of results) console.log(`| ${r.name} | ${r.median.toFixed(0)} | ${r.p90.toFixed(0)} |`)
console.log(`\nfirst load: ${(raw / 1024).toFixed(0)} KiB, ${(gz / 1024).toFixed(0)} KiB gzipped (entry page, script and stylesheet; screens load their own chunks)`)
