import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import App from './App.vue'
import { router } from './router.js'
import { whenLoggedOut } from './api.js'
import { session } from './session.js'
import './style.css'

whenLoggedOut(() => {
  session.user = null
  if (!router.currentRoute.value.meta.public) router.push({ path: '/login', query: { next: router.currentRoute.value.fullPath } })
})

createApp(App).use(ElementPlus).use(router).mount('#app')
