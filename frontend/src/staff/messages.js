// The staff pages' strings, added to the resident app's only when a staff page loads.
import { extendMessages } from '../i18n.js'
import { staffStrings } from './strings.js'

export const ready = extendMessages(staffStrings)
