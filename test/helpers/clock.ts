// The one test clock: a time the test moves by hand. Services read it through ServiceContext.now, so pass
// `clock.read` where a `now: () => number` is wanted; `clock.now` is the current time in milliseconds.

export class TestClock {
  /** The current time, in milliseconds since the epoch. */
  now: number;

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.now = startMs;
  }

  /** The clock as the services take it (`{ now: clock.read }`). */
  readonly read = (): number => this.now;

  /** Moves the clock forward by `seconds`. */
  advance(seconds: number): void {
    this.now += seconds * 1000;
  }

  /** The former name of `advance`, kept for one release for tests written against it. */
  advanceSeconds(seconds: number): void {
    this.advance(seconds);
  }
}
