// 附近已有的同类问题: the open cases a resident may be about to report again, asked once kind
// and compound are chosen (or the location changes) and again a moment after the description
// stops changing. A late answer to an earlier question is dropped.
import { ref, watch } from 'vue'
import { nearbyApi } from '../api.js'

export const TYPING_PAUSE_MS = 700

export function useNearbyCases(form) {
  const items = ref([])
  let asked = 0
  let typing = null

  async function load() {
    const question = ++asked
    if (!form.category || !form.compound) {
      items.value = []
      return
    }
    try {
      const answer = await nearbyApi.openCases(form.compound, {
        kind: form.category,
        text: form.description,
        location: form.location,
      })
      if (question === asked) items.value = answer.items
    } catch {
      if (question === asked) items.value = [] // a hint only: the report goes on without it
    }
  }

  watch(() => [form.category, form.compound, form.location], load)
  watch(
    () => form.description,
    () => {
      clearTimeout(typing)
      typing = setTimeout(load, TYPING_PAUSE_MS)
    },
  )
  return items
}
