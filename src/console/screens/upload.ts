import { useEffect, useRef, useState } from 'preact/hooks';
import { countDataLines, gqlWithFile, notePosition, subscribe } from '../api';
import { validationProgress } from '../chart-data';
import { CHANNEL_FIELDS, ChannelList, type UploadChannel } from '../channels';
import { formatDecimal } from '../format';
import { describe, html, type ScreenProps } from '../ui';

const UPLOAD = `mutation($file: Upload!, $uploadId: ID) {
  uploadReadings(file: $file, uploadId: $uploadId) {
    uploadId fileName status totalRows acceptedRows rejectedRows meters duplicateOf message
    firstIntervalStart lastIntervalStart position ${CHANNEL_FIELDS}
  }
}`;
const WATCH = `subscription($id: ID!) {
  fileValidation(uploadId: $id) { processedRows acceptedRows rejectedRows status done duplicateOf message }
}`;

interface Progress {
  processedRows: number;
  acceptedRows: number;
  rejectedRows: number;
  status: string;
  done: boolean;
}

interface Receipt {
  uploadId: string;
  position: string;
  fileName: string;
  status: string;
  totalRows: number;
  acceptedRows: number;
  rejectedRows: number;
  meters: number | null;
  duplicateOf: string | null;
  message: string | null;
  channels: UploadChannel[];
}

function progressText(p: Progress): string {
  const n = (value: number) => formatDecimal(String(value));
  return `${n(p.processedRows)} rows processed: ${n(p.acceptedRows)} accepted, ${n(p.rejectedRows)} rejected`;
}

/** Drop or pick a CSV; the bar follows fileValidation while the file streams; the receipt at the end. */
export function UploadScreen({ session }: ScreenProps) {
  const [file, setFile] = useState<File | null>(null);
  const [dragging, setDragging] = useState(false);
  const [lines, setLines] = useState<number | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [receipt, setReceipt] = useState<Receipt | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const stop = useRef<(() => void) | null>(null);
  useEffect(() => () => stop.current?.(), []);

  const choose = (chosen: File | null) => {
    setFile(chosen);
    setReceipt(null);
    setProgress(null);
    setError(null);
    setLines(null);
    if (chosen !== null) void countDataLines(chosen).then(setLines);
  };

  const start = async () => {
    if (file === null) return;
    setBusy(true);
    setError(null);
    setReceipt(null);
    const uploadId = crypto.randomUUID();
    setProgress({ processedRows: 0, acceptedRows: 0, rejectedRows: 0, status: 'RECEIVED', done: false });
    stop.current = subscribe<{ fileValidation: Progress }>(
      session.token,
      WATCH,
      { id: uploadId },
      {
        next: (data) => setProgress(data.fileValidation),
        error: () => undefined, // the receipt below says how it ended
      },
    );
    try {
      const data = await gqlWithFile<{ uploadReadings: Receipt }>(session.token, UPLOAD, file, { uploadId });
      notePosition(data.uploadReadings.position);
      setReceipt(data.uploadReadings);
      setProgress({
        processedRows: data.uploadReadings.acceptedRows + data.uploadReadings.rejectedRows,
        acceptedRows: data.uploadReadings.acceptedRows,
        rejectedRows: data.uploadReadings.rejectedRows,
        status: data.uploadReadings.status,
        done: true,
      });
    } catch (caught) {
      setError(describe(caught));
    } finally {
      stop.current?.();
      stop.current = null;
      setBusy(false);
    }
  };

  const fraction = progress === null ? null : progress.done ? 1 : validationProgress(progress, lines);
  return html`
    <h1>Upload readings</h1>
    <div
      class=${`dropzone${dragging ? ' dragging' : ''}`}
      onDragOver=${(e: DragEvent) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave=${() => setDragging(false)}
      onDrop=${(e: DragEvent) => {
        e.preventDefault();
        setDragging(false);
        choose(e.dataTransfer?.files[0] ?? null);
      }}
    >
      <p>Drop a CSV file of meter readings here, or</p>
      <label class="button">
        Choose a file
        <input
          type="file"
          accept=".csv,text/csv"
          class="visually-hidden"
          data-testid="file-input"
          onChange=${(e: Event) => choose((e.target as HTMLInputElement).files?.[0] ?? null)}
        />
      </label>
      ${
        file === null
          ? null
          : html`<p>
              ${file.name}, ${formatDecimal(String(file.size))}
              bytes${lines === null ? '' : `, ${formatDecimal(String(lines))} data lines`}
            </p>`
      }
    </div>
    <button type="button" disabled=${file === null || busy} onClick=${start}>Upload and validate</button>
    ${
      progress === null
        ? null
        : html`<div class="progress" aria-live="polite">
            <label for="validation-progress">Validation${progress.done ? ' finished' : ''}</label>
            <progress id="validation-progress" max="1" value=${fraction ?? undefined}></progress>
            <p data-testid="progress-counts">${progressText(progress)}</p>
          </div>`
    }
    ${error === null ? null : html`<p class="error" role="alert">${error}</p>`}
    ${
      receipt === null
        ? null
        : html`<div class="receipt" data-testid="receipt">
            <h2>${receipt.duplicateOf !== null ? 'Duplicate file' : `Upload ${receipt.status.toLowerCase()}`}</h2>
            ${
              receipt.duplicateOf !== null
                ? html`<p>
                    This file was uploaded before: <a href=${`#/uploads/${receipt.duplicateOf}`}>see that upload</a>.
                    Nothing was added.
                  </p>`
                : null
            }
            <dl>
              <dt>Status</dt>
              <dd>${receipt.status}</dd>
              <dt>Rows</dt>
              <dd>${formatDecimal(String(receipt.totalRows))}</dd>
              <dt>Accepted</dt>
              <dd>${formatDecimal(String(receipt.acceptedRows))}</dd>
              <dt>Rejected</dt>
              <dd>${formatDecimal(String(receipt.rejectedRows))}</dd>
              <dt>Meters</dt>
              <dd>${receipt.meters ?? '—'}</dd>
            </dl>
            ${receipt.message === null ? null : html`<p>${receipt.message}</p>`}
            <${ChannelList} channels=${receipt.channels} />
            <p>
              <a href=${`#/uploads/${receipt.uploadId}`}
                >Open the upload${receipt.rejectedRows > 0 ? ' and its rejected rows' : ''}</a
              >
            </p>
          </div>`
    }
  `;
}
