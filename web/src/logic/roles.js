// Which screens a user sees. Centre users by role; unit users get the
// workbench. The server enforces access on every request; the menu only
// keeps people from screens that would answer 403.

const SCREENS = [
  { path: '/desk', key: 'nav.desk', roles: ['consultant'], centre: true },
  { path: '/dispatch', key: 'nav.dispatch', roles: ['dispatcher', 'reviewer', 'consultant'], centre: true },
  { path: '/workbench', key: 'nav.workbench', roles: ['handler', 'unit_admin'], centre: false },
  { path: '/audit', key: 'nav.audit', roles: ['auditor'], centre: true },
  { path: '/orders', key: 'nav.orders', roles: ['*'] },
  { path: '/supervision', key: 'nav.supervision', roles: ['supervisor'], centre: true },
  { path: '/evaluation', key: 'nav.evaluation', roles: ['supervisor', 'system_admin', 'unit_admin'] },
  { path: '/reports', key: 'nav.reports', roles: ['supervisor', 'system_admin'], centre: true },
  { path: '/alerts', key: 'nav.alerts', roles: ['*'] },
  { path: '/wallboard', key: 'nav.wallboard', roles: ['supervisor', 'system_admin'], centre: true },
  { path: '/callcentre', key: 'nav.callcentre', roles: ['supervisor', 'system_admin'], centre: true },
  { path: '/bigscreen', key: 'nav.bigscreen', roles: ['supervisor', 'system_admin'], centre: true },
  { path: '/knowledge', key: 'nav.knowledge', roles: ['*'] },
  { path: '/admin', key: 'nav.admin', roles: ['system_admin', 'unit_admin'] },
]

export function screensFor(user) {
  if (!user) return []
  const centre = !user.unit
  return SCREENS.filter((s) => {
    if (s.centre !== undefined && s.centre !== centre) return false
    return s.roles.includes('*') || s.roles.some((r) => user.roles.includes(r))
  })
}

/** Where a user lands after logging in. */
export function homeFor(user) {
  const screens = screensFor(user)
  return screens.length ? screens[0].path : '/orders'
}
