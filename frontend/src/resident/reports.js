// "My reports": the cases this phone filed, with their tokens. Kept only on the phone.
import { reactive } from 'vue'

const STORAGE_KEY = 'whistle.reports'

function read(storage) {
  try {
    const parsed = JSON.parse(storage.getItem(STORAGE_KEY) || '[]')
    return Array.isArray(parsed) ? parsed : []
  } catch {
    return []
  }
}

export function createReports(storage = globalThis.localStorage) {
  const state = reactive({ items: read(storage) })

  function save() {
    try {
      storage.setItem(STORAGE_KEY, JSON.stringify(state.items))
    } catch {
      /* storage full or unavailable: the list lives for this visit */
    }
  }

  return {
    state,
    /** Add or update a case (newest first); a known code keeps its place and token. */
    remember(entry) {
      const index = state.items.findIndex((item) => item.code === entry.code)
      if (index >= 0) state.items[index] = { ...state.items[index], ...entry }
      else state.items.unshift(entry)
      save()
    },
    find(code) {
      return state.items.find((item) => item.code === code) || null
    },
    forget(code) {
      state.items = state.items.filter((item) => item.code !== code)
      save()
    },
  }
}

export const reports = createReports()
