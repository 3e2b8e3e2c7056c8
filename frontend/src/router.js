import { createRouter, createWebHashHistory } from 'vue-router'
import ReportPage from './resident/ReportPage.vue'

// Hash routing: the whole app is one document in object storage, and everything after
// "#" — the case token of a private link included — never reaches a server.
export const routes = [
  { path: '/', name: 'report', component: ReportPage },
  { path: '/submitted/:code', name: 'submitted', component: () => import('./resident/SubmittedPage.vue') },
  { path: '/mine', name: 'mine', component: () => import('./resident/MyReportsPage.vue') },
  { path: '/case/:code', name: 'case', component: () => import('./resident/CasePage.vue') },
  { path: '/:pathMatch(.*)*', redirect: '/' },
]

export const router = createRouter({
  history: createWebHashHistory(),
  routes,
  scrollBehavior: (to, from, saved) => saved || { top: 0 },
})
