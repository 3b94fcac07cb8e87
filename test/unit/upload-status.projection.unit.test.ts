import type { UploadEvent } from '../../src/domain/readings/events';
import type { UploadStatusDoc } from '../../src/domain/readings/upload-status';
import { evolveUploadStatus } from '../../src/domain/readings/upload-status';
import { projectionSpec } from '../support/projection-spec';

let revision = -1;
const at = (event: UploadEvent) => {
  revision += 1;
  return { event, revision, position: String(100 + revision) };
};

const received = at({
  type: 'FileReceived',
  data: {
    uploadId: 'u1',
    fileName: 'a.csv',
    byteSize: 10,
    sha256: 'abc',
    resolutionMinutes: 15,
    timeZone: 'Europe/Sofia',
    uploadedBy: null,
    receivedAt: '2026-11-01T00:00:00Z',
  },
});
const accepted = at({
  type: 'ReadingsAccepted',
  data: {
    uploadId: 'u1',
    batch: 0,
    count: 2,
  },
});
const rejected = at({
  type: 'RowsRejected',
  data: { uploadId: 'u1', batch: 1, rows: [{ line: 4, raw: 'x', reasons: [{ code: 'KWH_INVALID', message: 'm' }] }] },
});
const validated = at({
  type: 'FileValidated',
  data: {
    uploadId: 'u1',
    totalRows: 3,
    acceptedRows: 2,
    rejectedRows: 1,
    meters: 1,
    firstIntervalStart: '1970-01-01T00:00:00.000Z',
    lastIntervalStart: '1970-01-01T00:15:00.000Z',
    duplicateOf: null,
    validatedAt: '2026-11-01T00:00:01Z',
  },
});

const spec = projectionSpec<UploadStatusDoc | null, ReturnType<typeof at>>(evolveUploadStatus, null);

describe('upload-status projection (each case applies its events twice)', () => {
  it('counts progress while rows are processed', () => {
    spec.given(received, accepted, rejected).then((doc) => {
      expect(doc).toMatchObject({
        status: 'RECEIVED',
        totalRows: 3,
        acceptedRows: 2,
        rejectedRows: 1,
        position: '102',
      });
    });
  });

  it('ends VALIDATED with the final counts', () => {
    spec.given(received, accepted, rejected, validated).then((doc) => {
      expect(doc).toMatchObject({ status: 'VALIDATED', totalRows: 3, acceptedRows: 2, rejectedRows: 1, meters: 1 });
      expect(doc?.message).toBe('2 of 3 rows accepted, 1 rejected');
    });
  });

  it('ends REJECTED with the reason', () => {
    const fileRejected = {
      ...validated,
      event: {
        type: 'FileRejected',
        data: { uploadId: 'u1', code: 'NO_HEADER', reason: 'no header', line: 1, rejectedAt: 'x' },
      } as UploadEvent,
    };
    spec.given(received, fileRejected).then((doc) => {
      expect(doc).toMatchObject({ status: 'REJECTED', message: 'no header' });
    });
  });

  it('ignores a stream that does not start with FileReceived', () => {
    spec.given(accepted).then((doc) => expect(doc).toBeNull());
  });
});
