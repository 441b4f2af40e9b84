// Token serial numbers as people type them and as vendors write them.

const SERIAL_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Normalises a serial: white space is dropped, and so are dashes when the rest is all digits
 * (`1234-5678 90123` is the 13-digit serial on the back of a token). Other vendors' serials keep their
 * dashes. Returns null when the result is not 1-64 of `A-Z a-z 0-9 - _`.
 */
export function normalizeSerial(input: string): string | null {
  let serial = input.replace(/\s+/g, '');
  if (/^[0-9-]+$/.test(serial)) serial = serial.replace(/-/g, '');
  return SERIAL_PATTERN.test(serial) ? serial : null;
}
