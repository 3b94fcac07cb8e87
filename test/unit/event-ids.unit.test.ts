/**
 * Event ids two writers can never share: the store takes a known id for a retry and drops the append,
 * so an id must name everything that tells two events apart and that a retry of one shares.
 */
import { nameBasedUuid } from '../../src/common/name-based-uuid';
import { fileClaimEventId, newStreamWriter, uploadEventId } from '../../src/ingestion/event-ids';

describe('upload event ids', () => {
  const upload = '7d3f1c2e-0000-4000-8000-000000000001';

  it('are the same for a retry: same upload, writer, index and type', () => {
    const writer = newStreamWriter();
    expect(uploadEventId(upload, writer, 3, 'ReadingsAccepted')).toBe(
      uploadEventId(upload, writer, 3, 'ReadingsAccepted'),
    );
  });

  it("differ between a second server's UploadInterrupted and the first server's next batch at the same index", () => {
    // The probe: both at index 3 of one upload; the batch was dropped as a retry of the interrupt.
    const first = newStreamWriter();
    const second = newStreamWriter();
    expect(first).not.toBe(second);
    expect(uploadEventId(upload, second, 3, 'UploadInterrupted')).not.toBe(
      uploadEventId(upload, first, 3, 'ReadingsAccepted'),
    );
    // Each part alone tells them apart too: the writer (two batches of two writers), the type (one writer).
    expect(uploadEventId(upload, second, 3, 'ReadingsAccepted')).not.toBe(
      uploadEventId(upload, first, 3, 'ReadingsAccepted'),
    );
    expect(uploadEventId(upload, first, 3, 'UploadInterrupted')).not.toBe(
      uploadEventId(upload, first, 3, 'ReadingsAccepted'),
    );
  });

  it("never equal the ids older versions stored ('uploadId/n'), so old logs replay and go on without a clash", () => {
    const writer = newStreamWriter();
    for (let index = 0; index < 50; index++) {
      const old = nameBasedUuid(`${upload}/${index}`);
      for (const type of ['FileReceived', 'ReadingsAccepted', 'RowsRejected', 'UploadInterrupted', 'FileValidated'])
        expect(uploadEventId(upload, writer, index, type)).not.toBe(old);
    }
  });

  it('are UUIDs (EventStoreDB takes no other ids)', () => {
    expect(uploadEventId(upload, newStreamWriter(), 0, 'FileReceived')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe('file-claim event ids', () => {
  it('keep the name they always had (a release recorded before is recognised), and differ by upload and type', () => {
    const sha = 'ab'.repeat(32);
    expect(fileClaimEventId(sha, 'FileClaimed', 'u1', 4)).toBe(nameBasedUuid(`filehash/${sha}/FileClaimed/u1/4`));
    expect(fileClaimEventId(sha, 'FileClaimed', 'u1', 4)).not.toBe(fileClaimEventId(sha, 'FileClaimed', 'u2', 4));
    expect(fileClaimEventId(sha, 'FileClaimed', 'u1', 4)).not.toBe(fileClaimEventId(sha, 'FileClaimReleased', 'u1', 4));
  });
});
