/** Why `uploadReadings` refused an upload before it could record anything of it. */

export class UploadIdInUseError extends Error {
  constructor(readonly uploadId: string) {
    super(`upload id ${uploadId} is already used by another upload`);
    this.name = 'UploadIdInUseError';
  }
}

/** As many uploads as the service takes at once are running: the client tries again later. */
export class TooManyUploadsError extends Error {
  constructor(readonly limit: number) {
    super(`${limit} uploads are being processed already (MAX_CONCURRENT_UPLOADS); try again when one has finished`);
    this.name = 'TooManyUploadsError';
  }
}

/** A byte-identical file is being processed by another upload and did not finish in time. */
export class IdenticalUploadInProgressError extends Error {
  constructor(readonly otherUploadId: string) {
    super(`a byte-identical file is still being processed as upload ${otherUploadId}; try again when it has finished`);
    this.name = 'IdenticalUploadInProgressError';
  }
}
