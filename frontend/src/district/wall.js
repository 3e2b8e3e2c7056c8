// How often the wall screen fetches its figures: `?refresh=<seconds>` on its address, five
// minutes when not given, never more often than every 2 seconds nor less than hourly.
export const DEFAULT_REFRESH_SECONDS = 300

export function refreshSeconds(asked) {
  const seconds = Number.parseInt(Array.isArray(asked) ? asked[0] : asked, 10)
  if (!Number.isFinite(seconds)) return DEFAULT_REFRESH_SECONDS
  return Math.min(3600, Math.max(2, seconds))
}
