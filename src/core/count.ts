// A count in words for messages: "1 second", "2 seconds". Every message that shows a number of things uses
// it, so none says "1 seconds" or "read 1 keys".

/** `n` and the noun, plural unless `n` is 1 (`plural`: the plural when it is not the noun plus "s"). */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
