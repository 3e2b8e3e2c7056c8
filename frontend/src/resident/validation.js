// The report form's checks, mirroring the API's, so most mistakes are caught before sending.

const SEPARATORS = /[\s\-()]/g
const MOBILE = /^1[3-9]\d{9}$/

export function normaliseMobile(raw) {
  let text = String(raw || '').replace(SEPARATORS, '')
  for (const prefix of ['+86', '0086']) {
    if (text.startsWith(prefix)) {
      text = text.slice(prefix.length)
      break
    }
  }
  return MOBILE.test(text) ? text : null
}

/** Field → i18n key of its problem; empty when the form may be sent. */
export function validateReport(form) {
  const errors = {}
  if (!form.category) errors.category = 'errors.category'
  if (!form.compound) errors.compound = 'errors.compound'
  if (!form.address.trim()) errors.address = 'errors.address'
  const description = form.description.trim()
  if ([...description].length < 5) errors.description = 'errors.descriptionShort'
  else if ([...form.description].length > 2000) errors.description = 'errors.descriptionLong'
  if (!normaliseMobile(form.phone)) errors.phone = 'errors.phone'
  if (form.photos.length > 6) errors.photos = 'errors.photos'
  if (!form.consent) errors.consent = 'errors.consent'
  return errors
}

/** The API body of a valid form. */
export function reportBody(form) {
  const body = {
    category: form.category,
    compound: form.compound,
    address: form.address.trim(),
    description: form.description.trim(),
    phone: normaliseMobile(form.phone),
    consent: true,
  }
  if (form.location) body.location = { lat: form.location.lat, lng: form.location.lng }
  return body
}
