// Words staff can trust: a due date named by its stage, and who acted — a department acting
// through its action link by the department's name, with "via link".
import { formatTime, localName, t } from '../i18n.js'

/** "办结期限 12/08 17:30" for the current stage, or '' on a finished case. */
export function dueText(due) {
  return due ? `${t(`due.${due.stage}`)} ${formatTime(due.at)}` : ''
}

/** Who acted: a name (and "via link"), or the resident / the system. */
export function actorText(by, role) {
  if (by?.disabled) return `${localName(by)}${t('accounts.disabledActor')}`
  if (by) return by.via_link ? `${localName(by)}${t('due.viaLink')}` : localName(by)
  return role === 'resident' || role === 'system' ? t(`due.${role}`) : ''
}
