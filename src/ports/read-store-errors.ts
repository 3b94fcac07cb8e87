/** The read-model store cannot be reached; any adapter throws this so callers need no driver types. */
export class ReadStoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReadStoreUnavailableError';
  }
}

/** A projector write refused because this process no longer holds the lease it was made under. */
export class FencedOffError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FencedOffError';
  }
}
