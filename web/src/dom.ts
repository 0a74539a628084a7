// The page's elements are fixed in index.html; a missing or mistyped one is a build bug, found at start.
export function elementById<T extends HTMLElement> (id: string, kind: abstract new () => T): T {
  const element = document.getElementById(id)
  if (!(element instanceof kind)) throw new Error(`index.html has no ${kind.name} #${id}`)
  return element
}

// Disables a form's or a button's controls while its request runs, so a double click sends one request.
export async function whileBusy<T> (controls: Iterable<HTMLButtonElement>, work: () => Promise<T>): Promise<T> {
  const buttons = [...controls]
  for (const button of buttons) button.disabled = true
  try {
    return await work()
  } finally {
    for (const button of buttons) button.disabled = false
  }
}

export function buttonsOf (form: HTMLFormElement): HTMLButtonElement[] {
  return [...form.querySelectorAll('button')]
}

// A button that ends or deletes something, with the label a screen reader says for its row.
export function dangerButton (text: string, ariaLabel: string, onClick: (button: HTMLButtonElement) => void): HTMLButtonElement {
  const button = document.createElement('button')
  button.type = 'button'
  button.className = 'danger'
  button.textContent = text
  button.setAttribute('aria-label', ariaLabel)
  button.addEventListener('click', () => { onClick(button) })
  return button
}
