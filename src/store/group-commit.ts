// Group commit: work items that arrive together are written in one transaction, and each caller's promise
// settles only once the transaction holding its item has committed (or failed). No SQL here: the queue
// hands each batch to a commit function and gives every caller its own result.

export interface GroupCommitOptions<J, R> {
  /** Writes the jobs in one transaction, in order; resolves with one result per job once committed. */
  commit: (jobs: J[]) => Promise<R[]>;
  /**
   * True when the error is one job's fault (the database refused a value): the batch is then retried job
   * by job, so that one bad job does not fail the others. False for the engine or the connection failing,
   * which would fail each job alone just the same.
   */
  isOneJobsFault: (error: unknown) => boolean;
  /** The most jobs in one batch; more wait for the next. */
  maxBatch: number;
}

interface Pending<J, R> {
  job: J;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * A batch starts at the end of the event-loop turn its first job arrived in (the jobs of the other requests
 * read in that turn join it), and jobs that arrive while a batch commits go together in the next. Batches
 * of one queue run one at a time.
 */
export class GroupCommit<J, R> {
  #queue: Pending<J, R>[] = [];
  #writing = false;

  constructor(private readonly options: GroupCommitOptions<J, R>) {}

  submit(job: J): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ job, resolve, reject });
      if (!this.#writing) {
        // Without this wait, on SQLite (whose driver runs each statement at once) every batch held one job:
        // the whole check of a request, its write included, ran before the next request was even parsed.
        this.#writing = true;
        setImmediate(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.options.maxBatch);
        try {
          const results = await this.options.commit(batch.map((p) => p.job));
          batch.forEach((p, i) => p.resolve(results[i]!));
        } catch (error) {
          if (batch.length === 1 || !this.options.isOneJobsFault(error)) {
            for (const p of batch) p.reject(error);
            continue;
          }
          for (const p of batch) {
            try {
              const [result] = await this.options.commit([p.job]);
              p.resolve(result!);
            } catch (single) {
              p.reject(single);
            }
          }
        }
      }
    } finally {
      this.#writing = false;
    }
  }
}
