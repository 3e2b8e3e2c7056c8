import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import WorkListPage from '../src/staff/WorkListPage.vue'
import { session } from '../src/session/staff.js'
import { ready } from '../src/staff/messages.js'

// The frame and the list itself are the staff pages' (and load Vant): here they only show what
// the work list hands them.
vi.mock('../src/staff/StaffLayout.vue', () => ({
  default: { name: 'StaffLayout', props: ['title'], template: '<main :title="title"><slot /></main>' },
}))
vi.mock('../src/staff/CaseFinder.vue', () => ({
  default: { name: 'CaseFinder', props: ['view', 'target', 'filters'], template: '<ul />' },
}))

const views = [
  { view: 'inbox', label: 'nav.inbox' },
  { view: 'community', label: 'nav.communityAll' },
]
const scope = (role, id, name) => ({ role, scope: `${role}:${id}`, name })

async function open(scopes, query = {}) {
  session.me = { username: 'someone', roles: [...new Set(scopes.map((s) => s.role))], scopes }
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/community', component: { template: '<div />' } }] })
  await router.push({ path: '/community', query })
  const page = mount(WorkListPage, { props: { role: 'community', tabs: views }, global: { plugins: [router] } })
  return { page, router }
}

beforeAll(() => ready)
afterEach(() => {
  session.me = null
})

describe('a work list', () => {
  it('opens on its first view, in the first scope of its role, and is named after that view', async () => {
    const { page } = await open([scope('department', 'ludeng', '路灯所'), scope('community', 'c01', '桃园社区')])
    expect(page.find('main').attributes('title')).toBe('待分拨')
    expect(page.findAll('[role=tab]').map((tab) => tab.attributes('aria-selected'))).toEqual(['true', 'false'])
    const list = page.findComponent({ name: 'CaseFinder' })
    expect(list.props()).toMatchObject({ view: 'inbox', target: 'c01', filters: ['kind', 'department'] })
    expect(page.find('select').exists()).toBe(false)
  })

  it('switches view with its tabs and scope with its picker, and keeps both in the address', async () => {
    const { page, router } = await open([scope('community', 'c01', '桃园社区'), scope('community', 'c02', '杏林社区')])
    await page.findAll('[role=tab]')[1].trigger('click')
    await flushPromises()
    await page.find('select').setValue('c02')
    await flushPromises()
    expect(page.find('select').attributes('aria-label')).toBe('社区')
    expect(page.findComponent({ name: 'CaseFinder' }).props()).toMatchObject({ view: 'community', target: 'c02' })
    expect(router.currentRoute.value.query).toEqual({ tab: 'community', target: 'c02' })
  })

  it('opens the tab and scope the address names (the back button returns to them)', async () => {
    const { page } = await open([scope('community', 'c01', '桃园社区'), scope('community', 'c02', '杏林社区')], { tab: 'community', target: 'c02' })
    expect(page.findComponent({ name: 'CaseFinder' }).props()).toMatchObject({ view: 'community', target: 'c02' })
  })

  it('shows no list to someone without a scope of its role', async () => {
    const { page } = await open([scope('department', 'ludeng', '路灯所')])
    expect(page.findComponent({ name: 'CaseFinder' }).exists()).toBe(false)
  })
})
