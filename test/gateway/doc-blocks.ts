import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// The configurations the gateway tests run are the ones the docs show: read from there, with
// only the addresses replaced, so the two cannot drift apart.
export const GATEWAYS_DOC = fileURLToPath(new URL('../../../docs/gateways.md', import.meta.url))
export const README = fileURLToPath(new URL('../../../README.md', import.meta.url))

// The fenced blocks of one language in a Markdown file, in order.
export function fencedBlocks (file: string, language: string, text = readFileSync(file, 'utf8')): string[] {
  const fence = new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'gm')
  return [...text.matchAll(fence)].map((match) => match[1] ?? '')
}

// A documented placeholder (an example address), which must occur exactly once, replaced.
export function replaceOnce (text: string, placeholder: string, value: string): string {
  const parts = text.split(placeholder)
  if (parts.length !== 2) throw new Error(`the documented block must contain "${placeholder}" exactly once`)
  return parts.join(value)
}
