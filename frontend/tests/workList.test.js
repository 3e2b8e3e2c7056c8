import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import WorkListPage from '../src/staff/WorkListPage.vue'
import { session } from '../src/session/staff.js'
import { ready } from '../src/staff/messages.js'

// The frame and the list itself are the staff pages' (and load Vant): here they only show what
// the work list hands them.
vi.mock('../src/staff/StaffLayout.vue', () => ({
  default: { name: 'StaffLayout', props: ['title'], template: '<main :title="title"><slot /></main>' },
}))
vi.mock('../src/staff/CaseList.vue', () => ({
  default: { name: 'CaseList', props: ['view', 'target'], template: '<ul />' },
}))

const views = [
  { view: 'inbox', label: 'nav.inbox' },
  { view: 'community', label: 'nav.communityAll' },
]
const scope = (role, id, name) => ({ role, scope: `${role}:${id}`, name })

function open(scopes) {
  session.me = { username: 'someone', roles: [...new Set(scopes.map((s) => s.role))], scopes }
  return mount(WorkListPage, { props: { role: 'community', tabs: views } })
}

beforeAll(() => ready)
afterEach(() => {
  session.me = null
})

describe('a work list', () => {
  it('opens on its first view, in the first scope of its role, and is named after that view', () => {
    const page = open([scope('department', 'ludeng', '路灯所'), scope('community', 'c01', '桃园社区')])
    expect(page.find('main').attributes('title')).toBe('待分拨')
    expect(page.findAll('[role=tab]').map((tab) => tab.attributes('aria-selected'))).toEqual(['true', 'false'])
    const list = page.findComponent({ name: 'CaseList' })
    expect(list.props()).toMatchObject({ view: 'inbox', target: 'c01' })
    expect(page.find('select').exists()).toBe(false)
  })

  it('switches view with its tabs and scope with its picker when there is more than one', async () => {
    const page = open([scope('community', 'c01', '桃园社区'), scope('community', 'c02', '杏林社区')])
    await page.findAll('[role=tab]')[1].trigger('click')
    await page.find('select').setValue('c02')
    expect(page.find('select').attributes('aria-label')).toBe('社区')
    expect(page.findComponent({ name: 'CaseList' }).props()).toMatchObject({ view: 'community', target: 'c02' })
  })

  it('shows no list to someone without a scope of its role', () => {
    expect(open([scope('department', 'ludeng', '路灯所')]).findComponent({ name: 'CaseList' }).exists()).toBe(false)
  })
})
