/** Removes credentials from URLs (`scheme://user:pass@host` → `scheme://***@host`) in any text. */
export function redact(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1***@');
}
