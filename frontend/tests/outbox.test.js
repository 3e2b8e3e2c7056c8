import { describe, expect, it } from 'vitest'
import { ApiError, NetworkError } from '../src/api.js'
import { createOutbox, memoryStore, newReportKey } from '../src/resident/outbox.js'
import { createReports } from '../src/resident/reports.js'

function memoryStorage() {
  const data = new Map()
  return { getItem: (k) => data.get(k) ?? null, setItem: (k, v) => data.set(k, String(v)) }
}

/** A fake API: the server side of the outbox, recording every call. */
function fakeApi({ failures = [] } = {}) {
  const calls = []
  const cases = new Map()
  const plan = [...failures]
  return {
    calls,
    cases,
    async createUpload(key, type, size) {
      calls.push(['upload', key])
      if (plan[0] === 'upload') throw (plan.shift(), new NetworkError('offline'))
      return { key: `incoming/${key}/${calls.length}.jpg`, url: 'https://s3.test', fields: {} }
    },
    async uploadPhoto(ticket, blob, progress) {
      progress(1)
      return ticket.key
    },
    async createCase(key, body) {
      calls.push(['case', key, body])
      const failure = plan.shift()
      if (failure === 'network') throw new NetworkError('offline')
      if (failure === 'lost') {
        cases.set(key, { code: 'YS-2611-27-0001', token: 'tok', status: 'submitted', created_at: '2026-11-27T02:00:00Z' })
        throw new NetworkError('answer lost')
      }
      if (failure === 'refused') throw new ApiError(400, { code: 'invalid_report', message: 'bad', details: [{ field: 'phone', code: 'invalid_phone' }] })
      if (!cases.has(key)) {
        cases.set(key, { code: `YS-2611-27-${String(cases.size + 1).padStart(4, '0')}`, token: `t${cases.size}`, status: 'submitted', created_at: '2026-11-27T02:00:00Z' })
      }
      return cases.get(key)
    },
  }
}

const body = { category: 'street_light', compound: 'x001', address: 'a', description: '路灯坏了好久', phone: '13812345678', consent: true }

function setup(options) {
  const api = fakeApi(options)
  const reports = createReports(memoryStorage())
  const store = memoryStore()
  const outbox = createOutbox({ store, reports, api })
  return { api, reports, store, outbox }
}

describe('the outbox of reports', () => {
  it('sends a report and remembers its code and token under my reports', async () => {
    const { outbox, reports, store } = setup()
    const result = await outbox.submit('k1', body, [])
    expect(result.status).toBe('sent')
    expect(reports.state.items).toEqual([expect.objectContaining({ code: 'YS-2611-27-0001', token: 't0' })])
    expect(await store.all()).toEqual([])
  })

  it('keeps a report made without network and sends it later with the same key', async () => {
    const { outbox, api, reports } = setup({ failures: ['network'] })
    expect((await outbox.submit('k1', body, [])).status).toBe('queued')
    expect(outbox.state.items).toHaveLength(1)
    expect(outbox.state.items[0].state).toBe('queued')
    await outbox.flush()
    expect(api.calls.filter((c) => c[0] === 'case').map((c) => c[1])).toEqual(['k1', 'k1'])
    expect(reports.state.items).toHaveLength(1)
    expect(outbox.state.items).toHaveLength(0)
  })

  it('files one case when the first answer was lost on the way back', async () => {
    const { outbox, api, reports } = setup({ failures: ['lost'] })
    await outbox.submit('k1', body, [])
    await outbox.flush()
    expect(api.cases.size).toBe(1)
    expect(reports.state.items.map((r) => r.code)).toEqual(['YS-2611-27-0001'])
  })

  it('uploads each photo once, even across retries', async () => {
    const { outbox, api } = setup({ failures: ['network'] })
    const blobs = [new Blob(['a'], { type: 'image/jpeg' }), new Blob(['b'], { type: 'image/jpeg' })]
    await outbox.submit('k1', body, blobs)
    await outbox.flush()
    expect(api.calls.filter((c) => c[0] === 'upload')).toHaveLength(2)
    const sent = api.calls.filter((c) => c[0] === 'case').at(-1)[2]
    expect(sent.photos).toHaveLength(2)
  })

  it('keeps a refused report with the reason and does not retry it on its own', async () => {
    const { outbox, api } = setup({ failures: ['refused'] })
    const result = await outbox.submit('k1', body, [])
    expect(result.status).toBe('failed')
    expect(outbox.state.items[0].error.fields).toEqual({ phone: 'invalid_phone' })
    await outbox.flush()
    expect(api.calls.filter((c) => c[0] === 'case')).toHaveLength(1)
  })

  it('makes unguessable report keys', () => {
    const keys = new Set(Array.from({ length: 100 }, newReportKey))
    expect(keys.size).toBe(100)
    expect([...keys][0]).toMatch(/^[0-9a-f]{32}$/)
  })
})
