// How a call sounds, as one word and colour (good, fair, poor, not
// measured) and the figures behind it: loss and jitter of each side.

import { t } from '../i18n.js'

// ITU-T G.107 Annex B: "satisfied" from R 80 (≈ 4.0), "many dissatisfied"
// below R 60 (≈ 3.1); the server marks the latter `poor`.
export function qualityGrade(quality) {
  if (!quality || quality.mos == null) return { key: 'unmeasured', tag: 'info', mos: '' }
  const mos = quality.mos.toFixed(1)
  if (quality.poor) return { key: 'poor', tag: 'danger', mos }
  if (quality.mos >= 4.0) return { key: 'good', tag: 'success', mos }
  return { key: 'fair', tag: 'warning', mos }
}

export function qualityDetail(quality) {
  if (!quality) return []
  return ['caller', 'consultant'].map((side) => {
    const s = quality[side]
    return t('quality.side', { side: t('quality.' + side), loss: s.loss_percent, jitter: s.jitter_ms, packets: s.packets })
  })
}

// Playback speeds offered beside a recording: slower to catch a number,
// faster to review a long call.
export const SPEEDS = [0.75, 1, 1.5, 2]
