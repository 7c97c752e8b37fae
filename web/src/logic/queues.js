// A queue or skill as people call it: the general seats by their name in
// the chosen language, a professional line by the number dialled (12333).

import { t } from '../i18n.js'

export const GENERAL = 'general'

export const queueLabel = (name) => (name === GENERAL ? t('cc.general') : (name ?? ''))
