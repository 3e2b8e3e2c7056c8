// "How long ago", in the words of the current language: 刚刚 / 5分钟前 / 3小时前 / 2天前.
import { t } from '../i18n.js'

export function timeAgo(iso, now = Date.now()) {
  const minutes = Math.max(0, Math.floor((now - new Date(iso).getTime()) / 60_000))
  if (minutes < 1) return t('nearby.justNow')
  if (minutes < 60) return t('nearby.minutesAgo', { n: minutes })
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return t('nearby.hoursAgo', { n: hours })
  return t('nearby.daysAgo', { n: Math.floor(hours / 24) })
}
