// The dashboard's data: which period and area it shows, the figures of that period and the
// year's 两升一降 indicators, loaded again whenever the period, the area or the language
// changes, and what staff do from it (督办 an overdue case, send property-fee figures).
import { computed, nextTick, onMounted, reactive, ref, watch } from 'vue'
import { showToast } from 'vant'
import 'vant/es/toast/style/index'
import { session } from '../../session/staff.js'
import { accessToken } from '../../staff/auth.js'
import { ApiError, getRegistry, staffApi, staffRequest } from '../../api.js'
import { i18n, t } from '../../i18n.js'

const pad = (n) => String(n).padStart(2, '0')

// The day that just ended in China (UTC+8 all year), read through the date's UTC fields.
const lastDay = (at) => new Date(at + 8 * 3600 * 1000 - 86400 * 1000)

/** The month the dashboard opens on: that of the day that just ended in China ("2026-11"),
 * the last day the nightly figures count. */
export function currentMonth(at = Date.now()) {
  return lastDay(at).toISOString().slice(0, 7)
}

/** Resolves once what the page changed has been painted (the next frame has been drawn). */
export const afterPaint = () =>
  new Promise((resolve) => {
    if (typeof requestAnimationFrame === 'undefined') return resolve()
    requestAnimationFrame(() => setTimeout(resolve, 0))
  })

/** `drawn()` runs once new figures are on the page (the charts are drawn from them). */
export function useDashboard({ drawn }) {
  const now = lastDay(Date.now())
  const thisYear = now.getUTCFullYear()
  const filters = reactive({ kind: 'month', period: currentMonth(), scope: '' })
  const firstPeriod = filters.period
  const data = ref(null)
  const indicators = ref(null)
  const registry = ref(null)
  const loading = ref(false)
  const problem = ref('')
  // When the figures shown were fetched, and when a load last failed (null once one succeeds).
  const fetchedAt = ref(null)
  const failedAt = ref(null)

  const isDistrict = computed(() => (session.me?.roles ?? []).includes('district'))
  const ownScopes = computed(() =>
    (session.me?.scopes ?? []).filter((s) => ['community', 'department'].includes(s.role)).map((s) => s.scope),
  )
  const scope = computed(() => filters.scope || (isDistrict.value ? 'district' : ownScopes.value[0] || 'district'))

  const periodOptions = computed(() => {
    const out = []
    if (filters.kind === 'month') {
      for (let back = 0; back < 24; back += 1) {
        const d = new Date(thisYear, now.getUTCMonth() - back, 1)
        out.push(`${d.getFullYear()}-${pad(d.getMonth() + 1)}`)
      }
    } else if (filters.kind === 'quarter') {
      for (let y = thisYear; y > thisYear - 3; y -= 1) for (let q = 4; q >= 1; q -= 1) out.push(`${y}-Q${q}`)
    } else if (filters.kind === 'year') {
      for (let y = thisYear; y > thisYear - 4; y -= 1) out.push(String(y))
    } else {
      for (let back = 0; back < 31; back += 1) out.push(new Date(now.getTime() - back * 86400000).toISOString().slice(0, 10))
    }
    return out
  })

  const scopeOptions = computed(() => {
    if (!isDistrict.value) return ownScopes.value.map((s) => ({ value: s, label: s }))
    const r = registry.value
    if (!r) return [{ value: 'district', label: t('dashboard.district') }]
    return [
      { value: 'district', label: t('dashboard.district') },
      ...r.communities.map((c) => ({ value: `community:${c.id}`, label: `${c.street} · ${c.name}` })),
      ...r.departments.map((d) => ({ value: `department:${d.id}`, label: d.name })),
      ...r.categories.map((c) => ({ value: `category:${c.id}`, label: c.name })),
    ]
  })

  const yearIndicators = () => staffRequest('GET', `/metrics/indicators?year=${filters.period.slice(0, 4)}`)

  // The first figures are on the screen (or failed to come): what is not needed for them waits.
  let figuresShown
  const shown = new Promise((resolve) => (figuresShown = resolve))

  // Only the newest load may show its figures: an older request that answers last (the
  // period was changed quickly) must not overwrite them.
  let loads = 0

  async function load() {
    const mine = ++loads
    loading.value = true
    problem.value = ''
    try {
      const query = new URLSearchParams({ period: filters.period, scope: scope.value })
      // The period's figures (the KPI cards of the first screen) are asked for first and shown
      // as soon as they come; the year's indicators (further down, slower to answer) after them.
      const dashboard = await staffRequest('GET', `/metrics/dashboard?${query}`)
      if (mine !== loads) return
      data.value = dashboard
      await afterPaint()
      figuresShown()
      const yearly = await yearIndicators()
      if (mine !== loads) return
      indicators.value = yearly
      fetchedAt.value = new Date()
      failedAt.value = null
      await nextTick()
      await drawn()
    } catch (error) {
      if (mine !== loads) return
      failedAt.value = new Date()
      if (!(error instanceof ApiError)) console.error(error)
      problem.value = error instanceof ApiError ? error.message : t('errors.server')
    } finally {
      figuresShown()
      if (mine === loads) loading.value = false
    }
  }

  /** 督办: chase the department of an overdue case. */
  async function chase(row) {
    try {
      const view = await staffApi.case(row.code)
      await staffApi.act(row.code, 'chase', { version: view.version })
      row.chased = true
      showToast(t('dashboard.chased'))
    } catch (error) {
      showToast(error instanceof ApiError ? error.message : t('errors.server'))
    }
  }

  /** Send property-fee figures (CSV text: compound,month,billed,collected) and show the year's
   * indicators with them. */
  async function sendFees(text) {
    try {
      const response = await fetch('/api/metrics/fees', {
        method: 'POST',
        headers: { 'Content-Type': 'text/csv', Authorization: `Bearer ${await accessToken()}` },
        body: text,
      })
      const body = await response.json()
      if (!response.ok) {
        const lines = (body.error?.details ?? []).map((d) => `${d.field}: ${d.message}`).join('；')
        showToast({ message: `${body.error?.message ?? ''} ${lines}`, duration: 6000 })
        return
      }
      showToast(t('dashboard.uploaded', { n: body.stored }))
      indicators.value = await yearIndicators()
    } catch {
      showToast(t('errors.server'))
    }
  }

  watch(() => filters.kind, () => {
    filters.period = periodOptions.value[0]
  })
  onMounted(async () => {
    // The registry names the areas to choose from: asked for once the figures are shown.
    shown
      .then(() => getRegistry())
      .then(
        (answer) => (registry.value = answer),
        () => (registry.value = null),
      )
    session.me ??= await staffApi.me()
    const own = isDistrict.value ? '' : (ownScopes.value[0] ?? '')
    if (filters.scope !== own) {
      filters.scope = own // the watch below loads that scope's figures
      return
    }
    await load()
  })
  watch(() => [filters.period, filters.scope, i18n.locale], load)

  return {
    filters, firstPeriod, periodOptions, scopeOptions, isDistrict, data, indicators, registry, loading, problem, chase, sendFees,
    load, fetchedAt, failedAt,
  }
}
