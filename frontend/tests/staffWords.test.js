import { beforeAll, describe, expect, it } from 'vitest'
import { ready } from '../src/staff/messages.js'
import { actorText, dueText } from '../src/staff/words.js'

beforeAll(() => ready)

describe('words staff can trust', () => {
  it('names a due date by its stage, in China time, and shows none on a finished case', () => {
    expect(dueText({ stage: 'resolve', at: '2026-12-08T09:30:00Z' })).toBe('办结期限 2026/12/08 17:30')
    expect(dueText({ stage: 'claim', at: '2026-12-01T16:10:00Z' })).toBe('认领期限 2026/12/02 00:10')
    expect(dueText(null)).toBe('')
  })

  it('shows a department acting through its link by name, via link', () => {
    const link = { id: 'link:ludeng', name: '市路灯管理所', name_en: 'Street Lighting Office', via_link: true }
    expect(actorText(link, 'department')).toBe('市路灯管理所（经办理链接）')
    expect(actorText({ id: 'clerk.wang', name: 'clerk.wang', via_link: false }, 'community')).toBe('clerk.wang')
    expect(actorText(null, 'resident')).toBe('居民')
    expect(actorText(null, 'staff')).toBe('')
  })
})
