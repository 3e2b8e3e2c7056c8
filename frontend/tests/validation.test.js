import { describe, expect, it } from 'vitest'
import { normaliseMobile, reportBody, validateReport } from '../src/resident/validation.js'

const valid = () => ({
  category: 'street_light',
  compound: 'x001',
  address: ' 3栋2单元 ',
  description: '路灯坏了一个星期',
  phone: '+86 138-1234-5678',
  consent: true,
  location: null,
  photos: [],
})

describe('the report form checks', () => {
  it('accepts a complete report', () => {
    expect(validateReport(valid())).toEqual({})
  })

  it('names every missing field at once', () => {
    const errors = validateReport({ ...valid(), category: '', compound: '', address: ' ', phone: '123', consent: false })
    expect(Object.keys(errors).sort()).toEqual(['address', 'category', 'compound', 'consent', 'phone'])
  })

  it('counts characters, not bytes, for the description limits', () => {
    expect(validateReport({ ...valid(), description: '太黑了' }).description).toBe('errors.descriptionShort')
    expect(validateReport({ ...valid(), description: '五个字够了' }).description).toBeUndefined()
    expect(validateReport({ ...valid(), description: '黑'.repeat(2001) }).description).toBe('errors.descriptionLong')
  })

  it('refuses more than six photos', () => {
    expect(validateReport({ ...valid(), photos: Array(7).fill({}) }).photos).toBe('errors.photos')
  })

  it('normalises mainland mobile numbers the way the API does', () => {
    expect(normaliseMobile('138 1234 5678')).toBe('13812345678')
    expect(normaliseMobile('008613812345678')).toBe('13812345678')
    expect(normaliseMobile('12812345678')).toBeNull()
    expect(normaliseMobile('')).toBeNull()
  })

  it('sends trimmed text, the normalised number and the location only when attached', () => {
    expect(reportBody(valid())).toEqual({
      category: 'street_light',
      compound: 'x001',
      address: '3栋2单元',
      description: '路灯坏了一个星期',
      phone: '13812345678',
      consent: true,
    })
    expect(reportBody({ ...valid(), location: { lat: 31.7, lng: 118.5 } }).location).toEqual({ lat: 31.7, lng: 118.5 })
  })
})
