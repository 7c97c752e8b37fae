// Who is logged in, and the reference data every screen needs (units,
// categories), loaded once per login.

import { reactive } from 'vue'
import { api } from './api.js'

export const session = reactive({ user: null, units: [], categories: [], loaded: false })

export async function loadSession() {
  try {
    session.user = await api.probe('/me')
  } catch {
    session.user = null
  }
  session.loaded = true
  if (session.user) await loadReference()
  return session.user
}

async function loadReference() {
  const [units, categories] = await Promise.all([api.get('/units'), api.get('/categories')])
  session.units = units
  session.categories = categories.filter((c) => c.active)
}

export async function login(username, password) {
  await api.post('/auth/login', { username, password })
  return loadSession()
}

export async function logout() {
  await api.post('/auth/logout').catch(() => {})
  session.user = null
}

export function hasRole(...roles) {
  return !!session.user && roles.some((r) => session.user.roles.includes(r))
}

export const isCentre = () => !!session.user && !session.user.unit

export function unitName(id) {
  return session.units.find((u) => u.id === id)?.name ?? ''
}

export const towns = () => session.units.filter((u) => ['town', 'subdistrict', 'park'].includes(u.kind) && u.active)
export const departments = () => session.units.filter((u) => u.kind === 'department' && u.active)
