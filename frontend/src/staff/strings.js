// The staff pages' strings in one language, each language a chunk of its own (a resident never
// loads them). staff/messages.js adds them to the app's; the router asks for them as a staff
// page starts opening, so they come with the page's code rather than after it (staff/auth.js).
export function staffStrings(locale) {
  return locale === 'en'
    ? import('../locales/staff.en.json').then((m) => m.default)
    : import('../locales/staff.zh-CN.json').then((m) => m.default)
}
