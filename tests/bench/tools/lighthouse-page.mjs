// Lighthouse on one page of the SPA, with the page's session storage filled before any of
// its scripts run: a staff page (the district dashboard) is only shown to a signed-in
// member of staff, and the SPA keeps its tokens in the tab's session storage, which the
// Lighthouse command line cannot fill. Same defaults as the command line otherwise
// (mobile, simulated throttling).
//
//   node lighthouse-page.mjs URL OUTPUT.json CHROME_PATH STORAGE_JSON CHROME_FLAGS_JSON
import { writeFileSync } from 'node:fs'
import lighthouse from 'lighthouse'
import puppeteer from 'puppeteer-core'

const [url, output, chromePath, storageJson, flagsJson] = process.argv.slice(2)
const storage = JSON.parse(storageJson || '{}')
const browser = await puppeteer.launch({
  executablePath: chromePath,
  headless: 'new',
  args: JSON.parse(flagsJson || '[]'),
})
try {
  const page = await browser.newPage()
  await page.evaluateOnNewDocument((entries) => {
    for (const [key, value] of Object.entries(entries)) localStorage.setItem(key, value)
  }, storage)
  const result = await lighthouse(
    url,
    {
      output: 'json',
      onlyCategories: ['performance', 'accessibility', 'best-practices'],
      // Clearing storage would sign the page out before it is measured.
      disableStorageReset: true,
      maxWaitForLoad: 60000,
      logLevel: 'error',
    },
    undefined,
    page,
  )
  writeFileSync(output, result.report)
} finally {
  await browser.close()
}
