import { describe, expect, it, vi } from 'vitest'
import { defineComponent, nextTick } from 'vue'
import { mount, flushPromises } from '@vue/test-utils'

// Each dashboard request waits until the test answers it, so the order of answers is chosen.
const pending = []
vi.mock('../src/api.js', () => {
  class ApiError extends Error {}
  return {
    ApiError,
    getRegistry: async () => {
      pending.push({ path: '/registry', answer: () => {} })
      return { communities: [], departments: [], categories: [] }
    },
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

// Answers every request as it comes, including those asked for after a paint.
async function answerAll() {
  for (let round = 0; round < 4; round += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    await flushPromises()
    pending.splice(0).forEach((r) => r.answer())
  }
  await flushPromises()
}

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
    await answerAll() // the first load

    state.filters.period = '2026-10'
    await nextTick()
    const older = pending.splice(0)
    state.filters.period = '2026-11'
    await nextTick()
    const newer = pending.splice(0)
    newer.forEach((r) => r.answer())
    await answerAll() // and the year's indicators, asked for once its figures are shown
    older.forEach((r) => r.answer()) // answers after the newer one
    await flushPromises()

    expect(state.data.value.path).toContain('period=2026-11')
    expect(state.loading.value).toBe(false)
  })

  it('asks first for the figures of the first screen, and for the rest once they are shown', async () => {
    pending.length = 0
    let state
    const Probe = defineComponent({
      setup() {
        state = useDashboard({ drawn: async () => {} })
        return () => null
      },
    })
    mount(Probe)
    await flushPromises()
    await new Promise((resolve) => setTimeout(resolve, 50))
    // Only the period's figures are on their way: no registry, no year's indicators yet.
    expect(pending.map((r) => r.path)).toEqual(['/metrics/dashboard?period=' + state.filters.period + '&scope=district'])
    pending.splice(0).forEach((r) => r.answer())
    await answerAll()
    expect(state.data.value.path).toContain('/metrics/dashboard')
    expect(state.indicators.value.path).toContain('/metrics/indicators?year=')
    expect(state.registry.value).toEqual({ communities: [], departments: [], categories: [] })
    expect(state.loading.value).toBe(false)
  })
})
