import { createApp } from 'vue'
import App from './App.vue'
import { restoreLocale } from './i18n.js'
import { router } from './router.js'
import './styles/app.css'

restoreLocale().finally(() => createApp(App).use(router).mount('#app'))
