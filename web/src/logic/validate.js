// Checks the portal and the desk run before sending, so a citizen sees the
// problem next to the field at once. The server checks again and its
// field errors are shown the same way (see api.js).

const MOBILE = /^1[3-9]\d{9}$/
const LANDLINE = /^0\d{2,3}-?\d{7,8}$/
const ORDER_NO = /^[A-Z]{2}\d{14}$/

/** Removes spaces and dashes a person may type inside a mobile number. */
export function normalisePhone(raw) {
  const text = String(raw ?? '').trim()
  const digits = text.replace(/[\s-]/g, '')
  return MOBILE.test(digits) ? digits : text.replace(/\s/g, '')
}

export function isPhone(raw) {
  const phone = normalisePhone(raw)
  return MOBILE.test(phone) || LANDLINE.test(phone)
}

export function isOrderNumber(raw) {
  return ORDER_NO.test(String(raw ?? '').trim().toUpperCase())
}

export function isLast4(raw) {
  return /^\d{4}$/.test(String(raw ?? '').trim())
}

/**
 * The portal's request form. Returns `{ field: messageKey }`; empty when the
 * form may be sent. Messages are i18n keys so both languages read well.
 */
export function checkSubmission(form) {
  const errors = {}
  const text = (v) => String(v ?? '').trim()
  // No category: the citizen picks a plain type; the centre classifies it.
  if (!form.type) errors.type = 'v.type'
  if (!isPhone(form.phone)) errors.phone = 'v.phone'
  if (text(form.subject).length < 4) errors.subject = 'v.subjectShort'
  else if (text(form.subject).length > 200) errors.subject = 'v.subjectLong'
  if (text(form.description).length < 10) errors.description = 'v.descriptionShort'
  else if (text(form.description).length > 5000) errors.description = 'v.descriptionLong'
  if (text(form.name).length > 50) errors.name = 'v.nameLong'
  return errors
}

/** The body the portal sends: trimmed, optional fields left out when empty. */
export function submissionBody(form) {
  const opt = (v) => (String(v ?? '').trim() === '' ? undefined : String(v).trim())
  return {
    type: form.type,
    name: opt(form.name),
    phone: normalisePhone(form.phone),
    // A report is always confidential.
    confidential: !!form.confidential || form.type === 'report',
    town_code: opt(form.town_code),
    address: opt(form.address),
    subject: String(form.subject).trim(),
    description: String(form.description).trim(),
  }
}
