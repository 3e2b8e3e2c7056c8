import { describe, expect, it } from 'vitest'
import { fitWithin } from '../src/resident/images.js'

describe('photos are shrunk on the phone', () => {
  it('fits the long side within 1600 px keeping the aspect ratio', () => {
    expect(fitWithin(4000, 3000)).toEqual({ width: 1600, height: 1200 })
    expect(fitWithin(3000, 4000)).toEqual({ width: 1200, height: 1600 })
    expect(fitWithin(3000, 2000)).toEqual({ width: 1600, height: 1067 })
  })

  it('never enlarges a small photo', () => {
    expect(fitWithin(800, 600)).toEqual({ width: 800, height: 600 })
  })
})
