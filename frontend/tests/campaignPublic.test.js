import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils'
import { extendMessages } from '../src/i18n.js'
import board from '../src/locales/board.zh-CN.json'

const campaign = (id, starts, ends, solved) => ({ id, name: id, starts, ends, state: 'running', target: 100, solved, collected: solved + 5, as_of: '2026-11-30' })

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('the board’s campaigns', () => {
  it('add up what this quarter’s campaigns solved, and link each to its page', async () => {
    await extendMessages(async () => board)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-11-15T04:00:00Z'))
    const campaigns = [
      campaign('zx-q4', '2026-10-01', '2026-12-31', 40),
      campaign('zx-late-q3', '2026-09-01', '2026-10-15', 7), // reaches into this quarter
      campaign('zx-q3', '2026-07-01', '2026-09-30', 100), // over before it began
    ]
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ campaigns, sample: false }), { status: 200 }))
    const { default: PublicCampaigns } = await import('../src/public/PublicCampaigns.vue')
    const page = mount(PublicCampaigns, { global: { stubs: { RouterLink: RouterLinkStub } } })
    await flushPromises()
    expect(page.find('[data-testid=campaigns-headline]').text()).toBe('本季度专项行动共解决难题 47 个')
    expect(page.findAllComponents(RouterLinkStub).map((l) => l.props('to').params.id)).toEqual(['zx-q4', 'zx-late-q3', 'zx-q3'])
    expect(page.text()).toContain('已解决 40 个 / 目标 100 个')
  })
})
