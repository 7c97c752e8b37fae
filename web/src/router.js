import { createRouter, createWebHistory } from 'vue-router'
import { session, loadSession } from './session.js'
import { homeFor } from './logic/roles.js'

const routes = [
  { path: '/', redirect: () => (session.user ? homeFor(session.user) : '/portal') },
  { path: '/login', component: () => import('./views/Login.vue'), meta: { public: true } },
  { path: '/portal', component: () => import('./views/portal/Portal.vue'), meta: { public: true, bare: true } },
  { path: '/desk', component: () => import('./views/Desk.vue') },
  { path: '/dispatch', component: () => import('./views/Dispatch.vue') },
  { path: '/workbench', component: () => import('./views/Workbench.vue') },
  { path: '/orders', component: () => import('./views/Orders.vue') },
  { path: '/orders/:number', component: () => import('./views/OrderPage.vue'), props: true },
  { path: '/orders/:number/print', component: () => import('./views/OrderSheet.vue'), props: true, meta: { bare: true } },
  { path: '/supervision', component: () => import('./views/Supervision.vue') },
  { path: '/evaluation', component: () => import('./views/Evaluation.vue') },
  { path: '/reports', component: () => import('./views/Reports.vue') },
  { path: '/alerts', component: () => import('./views/Alerts.vue') },
  { path: '/wallboard', component: () => import('./views/Wallboard.vue') },
  { path: '/callcentre', component: () => import('./views/CallCentre.vue') },
  { path: '/bigscreen', component: () => import('./views/BigScreen.vue'), meta: { bare: true } },
  { path: '/knowledge', component: () => import('./views/Knowledge.vue') },
  { path: '/admin', component: () => import('./views/admin/Admin.vue') },
  { path: '/audit', component: () => import('./views/Audit.vue') },
  { path: '/:rest(.*)*', redirect: '/' },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach(async (to) => {
  if (!session.loaded) await loadSession()
  if (!to.meta.public && !session.user) return { path: '/login', query: { next: to.fullPath } }
})
