import { readFileSync } from 'node:fs'
import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// Vant's icon stylesheet inlines a 27 KB icon font (and falls back to a CDN, which the
// Content-Security-Policy blocks). We use a handful of its icons: they are drawn as small
// SVG masks in src/styles/vant-icons.css, which replaces Vant's stylesheet at build time.
function vantIconsWithoutFont() {
  const replacement = readFileSync(
    fileURLToPath(new URL('./src/styles/vant-icons.css', import.meta.url)),
    'utf8',
  )
  return {
    name: 'whistle:vant-icons-without-font',
    enforce: 'pre',
    load(id) {
      if (/vant[\\/]es[\\/]icon[\\/]index\.css$/.test(id)) return replacement
      return null
    },
  }
}

export default defineConfig({
  base: '/',
  plugins: [vantIconsWithoutFont(), vue()],
  build: {
    target: 'es2020',
    cssCodeSplit: true,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    // ECharts (only the charts the dashboard draws) is one lazily loaded chunk of about 550 KB.
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8000', '/config.json': 'http://127.0.0.1:8000' },
  },
  test: {
    environment: 'happy-dom',
    include: ['tests/**/*.test.js'],
  },
})
