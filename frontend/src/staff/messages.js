// The staff pages' strings, added to the resident app's only when a staff page loads.
import { extendMessages } from '../i18n.js'

export const ready = extendMessages((locale) =>
  locale === 'en'
    ? import('../locales/staff.en.json').then((m) => m.default)
    : import('../locales/staff.zh-CN.json').then((m) => m.default),
)
