import { describe, expect, it, vi } from 'vitest'
import { defineComponent, nextTick } from 'vue'
import { mount, flushPromises } from '@vue/test-utils'

// Each dashboard request waits until the test answers it, so the order of answers is chosen.
const pending = []
vi.mock('../src/api.js', () => {
  class ApiError extends Error {}
  return {
    ApiError,
    getRegistry: async () => ({ communities: [], departments: [], categories: [] }),
    staffApi: { me: async () => ({ roles: ['district'], scopes: [] }) },
    staffRequest: (method, path) =>
      new Promise((resolve) => {
        pending.push({ path, answer: () => resolve({ path, counts: { received: path.includes('2026-10') ? 10 : 59 } }) })
      }),
  }
})
vi.mock('../src/staff/auth.js', () => ({ accessToken: async () => 'token' }))
vi.mock('vant', () => ({ showToast: () => {} }))
vi.mock('vant/es/toast/style/index', () => ({}))

const { useDashboard } = await import('../src/district/dashboard/useDashboard.js')

describe('the dashboard data', () => {
  it('shows the newest period even when an older request answers last', async () => {
    let state
    const Probe = defineComponent({
      setup() {
        state = useDashboard({ drawn: async () => {} })
        return () => null
      },
    })
    mount(Probe)
    await flushPromises()
    pending.splice(0).forEach((r) => r.answer()) // the first load
    await flushPromises()

    state.filters.period = '2026-10'
    await nextTick()
    const older = pending.splice(0)
    state.filters.period = '2026-11'
    await nextTick()
    const newer = pending.splice(0)
    newer.forEach((r) => r.answer())
    await flushPromises()
    older.forEach((r) => r.answer()) // answers after the newer one
    await flushPromises()

    expect(state.data.value.path).toContain('period=2026-11')
    expect(state.loading.value).toBe(false)
  })
})
