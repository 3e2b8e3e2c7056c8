import { createRouter, createWebHashHistory } from 'vue-router'
import ReportPage from './resident/ReportPage.vue'
import { installStaffAuth } from './staff/auth.js'

const residentPages = {
  submitted: () => import('./resident/SubmittedPage.vue'),
  mine: () => import('./resident/MyReportsPage.vue'),
  case: () => import('./resident/CasePage.vue'),
  phoneSignIn: () => import('./resident/PhoneSignInPage.vue'),
  join: () => import('./resident/JoinPage.vue'),
}

// Hash routing: the whole app is one document in object storage, and everything after
// "#" — the case token of a private link included — never reaches a server.
export const routes = [
  { path: '/', name: 'report', component: ReportPage },
  { path: '/submitted/:code', name: 'submitted', component: residentPages.submitted },
  { path: '/mine', name: 'mine', component: residentPages.mine },
  { path: '/case/:code', name: 'case', component: residentPages.case },
  // The link of every resident SMS: the case code and its link key, short enough for a
  // template parameter. Opened once, the key is remembered and the address becomes /case/….
  { path: '/c/:link', name: 'case-link', component: residentPages.case },
  { path: '/me', name: 'phone-sign-in', component: residentPages.phoneSignIn },
  { path: '/join/:code', name: 'join', component: residentPages.join },
  { path: '/signin', name: 'signin', component: () => import('./staff/SignInPage.vue') },
  { path: '/staff', name: 'staff', component: () => import('./staff/StaffHome.vue'), meta: { staff: true } },
  {
    path: '/staff/account',
    name: 'account',
    component: () => import('./staff/AccountPage.vue'),
    meta: { staff: true },
  },
  {
    path: '/staff/replies',
    name: 'replies',
    component: () => import('./staff/RepliesPage.vue'),
    meta: { staff: true },
  },
  {
    path: '/staff/case/:code',
    name: 'staff-case',
    component: () => import('./staff/StaffCasePage.vue'),
    meta: { staff: true },
  },
  {
    path: '/community',
    name: 'community',
    component: () => import('./community/InboxPage.vue'),
    meta: { staff: true },
  },
  {
    path: '/department',
    name: 'department',
    component: () => import('./department/WorkPage.vue'),
    meta: { staff: true },
  },
  { path: '/act/:code', name: 'act', component: () => import('./department/ActionLinkPage.vue') },
  {
    path: '/district',
    name: 'district',
    component: () => import('./district/DistrictPage.vue'),
    meta: { staff: true },
  },
  {
    path: '/district/dashboard',
    name: 'dashboard',
    component: () => import('./district/DashboardPage.vue'),
    meta: { staff: true },
  },
  // The wall screen has no staff frame that waits for the staff pages' strings: its route does.
  {
    path: '/wall',
    name: 'wall',
    component: () =>
      Promise.all([import('./district/WallPage.vue'), import('./staff/messages.js').then((m) => m.ready)]).then(([page]) => page),
    meta: { staff: true },
  },
  { path: '/board', name: 'board', component: () => import('./public/BoardPage.vue') },
  { path: '/compound/:id', name: 'compound', component: () => import('./public/CompoundPage.vue') },
  {
    path: '/projects',
    name: 'projects',
    component: () => import('./district/ProjectsPage.vue'),
    meta: { staff: true },
  },
  {
    path: '/projects/:id',
    name: 'project',
    component: () => import('./district/ProjectsPage.vue'),
    meta: { staff: true },
  },
  {
    path: '/scorecards',
    name: 'scorecards',
    component: () => import('./district/ScorecardsPage.vue'),
    meta: { staff: true },
  },
  {
    path: '/scorecards/:company',
    name: 'scorecard',
    component: () => import('./district/ScorecardsPage.vue'),
    meta: { staff: true },
  },
  {
    path: '/campaigns',
    name: 'campaigns',
    component: () => import('./campaigns/CampaignsPage.vue'),
    meta: { staff: true },
  },
  {
    path: '/campaigns/:id',
    name: 'campaign',
    component: () => import('./campaigns/CampaignPage.vue'),
    meta: { staff: true },
  },
  {
    path: '/campaigns/:id/report',
    name: 'campaign-report',
    component: () => import('./campaigns/CampaignReport.vue'),
    meta: { staff: true },
  },
  { path: '/campaign/:id', name: 'public-campaign', component: () => import('./public/CampaignPublicPage.vue') },
  {
    path: '/district/accounts',
    name: 'accounts',
    component: () => import('./district/AccountsPage.vue'),
    meta: { staff: true },
  },
  {
    path: '/district/calendar',
    name: 'calendar',
    component: () => import('./district/CalendarPage.vue'),
    meta: { staff: true },
  },
  { path: '/:pathMatch(.*)*', redirect: '/' },
]

export const router = createRouter({
  history: createWebHashHistory(),
  routes,
  scrollBehavior: (to, from, saved) => saved || { top: 0 },
})

installStaffAuth(router)

/**
 * Load the other resident pages once the first one is idle, so that a report made without
 * network can still show "my reports" and its waiting entry.
 */
export function prefetchResidentPages() {
  const load = () => Object.values(residentPages).forEach((page) => page().catch(() => {}))
  if ('requestIdleCallback' in window) window.requestIdleCallback(load, { timeout: 3000 })
  else window.setTimeout(load, 1500)
}
