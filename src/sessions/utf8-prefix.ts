// The longest start of `text` that takes at most `maxBytes` bytes in UTF-8, never splitting a
// character: Redis limits values in bytes, JavaScript counts UTF-16 units.
export function utf8Prefix (text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text
  let bytes = 0
  let end = 0
  for (const character of text) {
    bytes += Buffer.byteLength(character)
    if (bytes > maxBytes) break
    end += character.length
  }
  return text.slice(0, end)
}
