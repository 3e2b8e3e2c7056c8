import { describe, expect, it } from 'vitest'
import { mount, RouterLinkStub } from '@vue/test-utils'
import NearbyCases from '../src/resident/NearbyCases.vue'
import { timeAgo } from '../src/resident/timeAgo.js'

const NOW = Date.parse('2026-12-01T08:00:00Z')
const item = {
  code: 'YS-2612-01-0001',
  category: { id: 'street_light', name: '路灯照明', name_en: 'Street light out', icon: 'light' },
  status: 'submitted',
  created_at: '2026-12-01T07:00:00Z',
  summary: '3号楼前路灯不亮，已通知路灯所',
  residents_waiting: 1,
  same_kind: true,
  likely_duplicate: true,
}

describe('open cases nearby', () => {
  it('says how long ago in words', () => {
    expect(timeAgo('2026-12-01T07:59:40Z', NOW)).toBe('刚刚')
    expect(timeAgo('2026-12-01T07:55:00Z', NOW)).toBe('5分钟前')
    expect(timeAgo('2026-12-01T05:00:00Z', NOW)).toBe('3小时前')
    expect(timeAgo('2026-11-28T08:00:00Z', NOW)).toBe('3天前')
  })

  it('shows kind, status, summary and the likely mark, and "me too" emits join with the code', async () => {
    const panel = mount(NearbyCases, {
      props: { items: [item], compound: 'x001' },
      global: { stubs: { RouterLink: RouterLinkStub } },
    })
    const text = panel.text()
    for (const shown of ['附近已有的同类问题', '路灯照明', '待社区处理', '已通知路灯所', '可能是同一问题']) {
      expect(text).toContain(shown)
    }
    await panel.find('button.join').trigger('click')
    expect(panel.emitted('join')).toEqual([['YS-2612-01-0001']])
    expect(panel.findComponent(RouterLinkStub).props('to')).toEqual({ name: 'compound', params: { id: 'x001' } })
  })
})

describe('asking for open cases while reporting', () => {
  it('asks once kind and compound are chosen, again after typing pauses, and drops a late answer', async () => {
    const { nextTick, reactive } = await import('vue')
    const { vi } = await import('vitest')
    const { nearbyApi } = await import('../src/api.js')
    const { useNearbyCases, TYPING_PAUSE_MS } = await import('../src/resident/nearby.js')
    vi.useFakeTimers()
    const answers = []
    const asked = vi.spyOn(nearbyApi, 'openCases').mockImplementation(
      () => new Promise((resolve) => answers.push(resolve)),
    )
    const form = reactive({ category: '', compound: '', description: '', location: null })
    const items = useNearbyCases(form)
    form.category = 'street_light'
    await nextTick()
    form.compound = 'x001'
    await nextTick()
    expect(asked).toHaveBeenLastCalledWith('x001', { kind: 'street_light', text: '', location: null })
    form.description = '路灯不亮'
    await nextTick()
    vi.advanceTimersByTime(TYPING_PAUSE_MS)
    expect(asked).toHaveBeenLastCalledWith('x001', { kind: 'street_light', text: '路灯不亮', location: null })
    answers.at(-1)({ items: [{ code: 'NEW' }] })
    answers.at(-2)({ items: [{ code: 'OLD' }] }) // the earlier question answers last
    await vi.runAllTimersAsync()
    expect(items.value).toEqual([{ code: 'NEW' }])
    asked.mockRestore()
    vi.useRealTimers()
  })
})
