// A stream is read as it is sent, so it cannot be sent a second time: a web ReadableStream, a
// Node stream, or any async iterable (fetch in Node accepts those).
export function isStreamBody (body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false
  return typeof Reflect.get(body, 'getReader') === 'function' ||
    typeof Reflect.get(body, 'pipe') === 'function' ||
    Symbol.asyncIterator in body
}
