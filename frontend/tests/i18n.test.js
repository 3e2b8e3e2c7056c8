import { describe, expect, it } from 'vitest'
import en from '../src/locales/en.json'
import staffEn from '../src/locales/staff.en.json'
import staffZh from '../src/locales/staff.zh-CN.json'
import zh from '../src/locales/zh-CN.json'
import { i18n, localName, t } from '../src/i18n.js'

function keys(node, prefix = '') {
  return Object.entries(node).flatMap(([key, value]) =>
    typeof value === 'object' ? keys(value, `${prefix}${key}.`) : [`${prefix}${key}`],
  )
}

describe('user-facing text', () => {
  it('is in Simplified Chinese first, with parameters filled in', () => {
    expect(t('report.uploading', { done: 2, total: 4 })).toBe('正在上传照片 2/4')
  })

  it('has an English string for every Chinese one', () => {
    expect(keys(en).sort()).toEqual(keys(zh).sort())
    expect(keys(staffEn).sort()).toEqual(keys(staffZh).sort())
  })

  it('names registry entries in the chosen language', () => {
    const entry = { name: '路灯照明', name_en: 'Street light out' }
    expect(localName(entry)).toBe('路灯照明')
    i18n.locale = 'en'
    expect(localName(entry)).toBe('Street light out')
    expect(localName({ name: '桃园社区' })).toBe('桃园社区')
    i18n.locale = 'zh-CN'
  })
})

describe('strings added later', () => {
  it('redraw what was drawn before they came', async () => {
    const { computed } = await import('vue')
    const { extendMessages } = await import('../src/i18n.js')
    const title = computed(() => t('later.title'))
    expect(title.value).toBe('later.title')
    await extendMessages(async () => ({ later: { title: '待分拨' } }))
    expect(title.value).toBe('待分拨')
  })
})
