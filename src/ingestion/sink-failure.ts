/** A write the sink could not make: it ends the upload as failed, never as a row error. */
export class SinkFailure extends Error {
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'SinkFailure';
  }
}
