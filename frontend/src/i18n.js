// A small i18n: Simplified Chinese is bundled, English is fetched when first chosen.
// (vue-i18n's runtime would cost more than all of this page's strings.)
import { reactive } from 'vue'
import { Locale } from 'vant'
import zhCN from './locales/zh-CN.json'

const STORAGE_KEY = 'whistle.locale'
const messages = { 'zh-CN': zhCN }
const extensions = [] // more strings for parts of the app loaded later (the staff pages)
const loaders = {
  en: async () => {
    const [ours, vant] = await Promise.all([
      import('./locales/en.json'),
      import('vant/es/locale/lang/en-US'),
    ])
    return { ours: ours.default, vant: vant.default }
  },
}

// `strings` counts the strings added later (staff pages): every text drawn before they came
// is drawn again when they arrive.
export const i18n = reactive({ locale: 'zh-CN', strings: 0 })

function lookup(dictionary, key) {
  return key.split('.').reduce((node, part) => (node == null ? undefined : node[part]), dictionary)
}

export function t(key, params = {}) {
  void i18n.strings
  const text = lookup(messages[i18n.locale] ?? zhCN, key) ?? lookup(zhCN, key) ?? key
  return String(text).replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''))
}

/** The name of a registry entry in the current language, where it has one. */
export function localName(entry) {
  if (!entry) return ''
  return i18n.locale === 'en' && entry.name_en ? entry.name_en : entry.name
}

function merge(target, source) {
  for (const [key, value] of Object.entries(source)) {
    if (value && typeof value === 'object') merge((target[key] ??= {}), value)
    else target[key] = value
  }
  return target
}

/** Add strings for a part of the app: `load(locale)` resolves its messages. */
export async function extendMessages(load) {
  extensions.push(load)
  await Promise.all(
    Object.keys(messages).map(async (locale) => merge(messages[locale], await load(locale))),
  )
  i18n.strings += 1
}

export async function setLocale(locale) {
  if (!messages[locale]) {
    const { ours, vant } = await loaders[locale]()
    messages[locale] = ours
    Locale.add({ 'en-US': vant })
    for (const load of extensions) merge(messages[locale], await load(locale))
  }
  Locale.use(locale === 'en' ? 'en-US' : 'zh-CN')
  i18n.locale = locale
  document.documentElement.lang = locale
  document.title = `${t('app.name')} · ${t('app.tagline')}`
  try {
    localStorage.setItem(STORAGE_KEY, locale)
  } catch {
    /* private mode: the choice lasts for this visit */
  }
}

export async function restoreLocale() {
  let saved = null
  try {
    saved = localStorage.getItem(STORAGE_KEY)
  } catch {
    saved = null
  }
  if (saved && saved !== 'zh-CN' && loaders[saved]) await setLocale(saved)
}

// English dates name the month ("1 Dec 2026, 17:30"): "01/12/2026" reads as 12 January to
// half the world. Chinese dates are unambiguous as numbers.
export function formatTime(iso) {
  const date = new Date(iso)
  return new Intl.DateTimeFormat(i18n.locale === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: i18n.locale === 'en' ? 'short' : '2-digit',
    day: i18n.locale === 'en' ? 'numeric' : '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(date)
}

/** A deadline in plain words: "12月8日 17:30", "8 Dec 2026, 17:30". */
export function formatDeadline(iso) {
  const date = new Date(iso)
  const english = i18n.locale === 'en'
  return new Intl.DateTimeFormat(english ? 'en-GB' : 'zh-CN', {
    timeZone: 'Asia/Shanghai',
    year: english ? 'numeric' : undefined,
    month: english ? 'short' : 'long',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(date)
}
