// The public board's strings, added once for the board and the pages it links to.
import { extendMessages } from '../i18n.js'

let loading = null
export const loadBoardMessages = () =>
  (loading ??= extendMessages((locale) =>
    locale === 'en'
      ? import('../locales/board.en.json').then((m) => m.default)
      : import('../locales/board.zh-CN.json').then((m) => m.default),
  ))
