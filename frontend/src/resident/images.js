// Photos are shrunk on the phone before upload: at most 1600 px on the long side, JPEG.
// Re-encoding through a canvas keeps only pixels, so EXIF (GPS position included) is gone.

export const MAX_SIDE = 1600
export const MAX_PHOTOS = 6

/** The size that fits within max×max keeping the aspect ratio; never enlarges. */
export function fitWithin(width, height, max = MAX_SIDE) {
  const scale = Math.min(1, max / Math.max(width, height))
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) }
}

export async function shrinkPhoto(file, { quality = 0.85 } = {}) {
  if (!file.type.startsWith('image/')) throw new Error('not an image')
  // imageOrientation applies the EXIF rotation before the metadata is dropped.
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' })
  const { width, height } = fitWithin(bitmap.width, bitmap.height)
  const canvas = document.createElement('canvas')
  canvas.width = width
  canvas.height = height
  canvas.getContext('2d').drawImage(bitmap, 0, 0, width, height)
  bitmap.close?.()
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality))
  if (!blob) throw new Error('could not encode')
  return blob
}
