import { decideUpload, UploadStepRefusedError, type UploadStep } from '../../src/domain/readings/upload-decider';
import { evolveUploadStatus, type UploadStatusDoc } from '../../src/domain/readings/upload-status';

const now = new Date('2026-12-05T10:00:00Z');
const land: UploadStep = {
  type: 'Land',
  file: {
    uploadId: 'u1',
    fileName: 'readings.csv',
    byteSize: 10,
    sha256: 'abc',
    resolutionMinutes: 15,
    timeZone: 'Europe/Berlin',
    uploadedBy: null,
  },
};

/** Decides each step against the state the previous ones made, as the write side does. */
function run(steps: UploadStep[]): UploadStatusDoc | null {
  let state: UploadStatusDoc | null = null;
  steps.forEach((step, revision) => {
    const event = decideUpload(step, state, 'u1', now);
    state = evolveUploadStatus(state, { event, revision, position: String(revision + 1) });
  });
  return state;
}

describe('the upload decider', () => {
  it('lands, records batches and finishes validated, as the status fold reads it', () => {
    const state = run([
      land,
      { type: 'AcceptReadings', batch: 0, count: 3 },
      { type: 'RejectRows', batch: 1, rows: [{ line: 5, raw: 'x', reasons: [] }] },
      {
        type: 'FinishValidated',
        summary: {
          totalRows: 4,
          acceptedRows: 3,
          rejectedRows: 1,
          meters: 1,
          firstIntervalStart: null,
          lastIntervalStart: null,
          duplicateOf: null,
        },
      },
    ]);
    expect(state).toMatchObject({ status: 'VALIDATED', totalRows: 4, acceptedRows: 3, rejectedRows: 1 });
    expect(state?.finishedAt).toBe(now.toISOString());
  });

  it('refuses a second landing and any step after the upload finished', () => {
    const landed = run([land]);
    expect(() => decideUpload(land, landed, 'u1', now)).toThrow(UploadStepRefusedError);
    const failed = run([land, { type: 'FinishFailed', reason: 'log refused a write' }]);
    expect(failed?.status).toBe('FAILED');
    expect(() => decideUpload({ type: 'Interrupt' }, failed, 'u1', now)).toThrow(/cannot Interrupt: it is FAILED/);
    expect(() => decideUpload({ type: 'AcceptReadings', batch: 0, count: 1 }, null, 'u1', now)).toThrow(/never landed/);
  });

  it('interrupts an unfinished upload with the reason that tells the admin to upload again', () => {
    const state = run([land, { type: 'AcceptReadings', batch: 0, count: 2 }, { type: 'Interrupt' }]);
    expect(state).toMatchObject({ status: 'INTERRUPTED', acceptedRows: 2 });
    expect(state?.message).toMatch(/upload the file again/);
  });
});
