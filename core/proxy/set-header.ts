/** Sets a header on a flat [name, value…] list, replacing its first value (`name` in lower case). */
export function setHeader(headers: string[], name: string, value: string): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.length === name.length && headers[i]!.toLowerCase() === name) {
      headers[i + 1] = value
      return
    }
  }
  headers.push(name, value)
}
