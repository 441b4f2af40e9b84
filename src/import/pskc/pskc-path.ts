// Where the reader stands in a PSKC document: the open elements from the root down, by local name, and
// checks against named patterns (`path.at(KEY_POLICY)` with KEY_POLICY = pattern(CONTAINER, PACKAGE, KEY,
// 'Policy')) in place of bare depth numbers. Patterns are built once: the checks run on every element of
// a 100,000-key file.

/** One level of a path pattern: a name, any of several names, or ANY element. */
export type Step = string | readonly string[];
/** Matches any element at its level. */
export const ANY: readonly string[] = [];

/** A sequence of steps from the root (or, for `below`, from a given element). */
export type PathPattern = readonly Step[];

export function pattern(...steps: Step[]): PathPattern {
  return Object.freeze(steps);
}

function matches(step: Step, name: string): boolean {
  if (typeof step === 'string') return step === name;
  return step === ANY || step.includes(name);
}

export class ElementPath {
  private readonly names: string[] = [];

  /** How many elements are open: 1 inside the root alone. */
  get depth(): number {
    return this.names.length;
  }

  /** The innermost open element's name ('' outside the root). */
  get current(): string {
    return this.names[this.names.length - 1] ?? '';
  }

  push(name: string): void {
    this.names.push(name);
  }

  pop(): void {
    this.names.pop();
  }

  /** The name of the open element at `level` (0: the root), counting down from the root. */
  name(level: number): string | undefined {
    return this.names[level];
  }

  /** The innermost element is exactly at these steps from the root. */
  at(steps: PathPattern): boolean {
    return steps.length === this.names.length && this.startsWith(steps);
  }

  /** The innermost element is at these steps from the root or inside the element they name. */
  within(steps: PathPattern): boolean {
    return steps.length <= this.names.length && this.startsWith(steps);
  }

  /** The innermost element is exactly these steps below the element open at `depth` (its `depth`). */
  below(depth: number, steps: PathPattern): boolean {
    if (depth + steps.length !== this.names.length) return false;
    for (let i = steps.length - 1; i >= 0; i--) if (!matches(steps[i]!, this.names[depth + i]!)) return false;
    return true;
  }

  // From the innermost step outwards: the deepest names tell paths apart soonest.
  private startsWith(steps: PathPattern): boolean {
    for (let i = steps.length - 1; i >= 0; i--) if (!matches(steps[i]!, this.names[i]!)) return false;
    return true;
  }
}
