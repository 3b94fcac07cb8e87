import { useState } from 'preact/hooks';
import { gql, saveBlob } from '../api';
import { CHANNEL_FIELDS, ChannelList, type UploadChannel } from '../channels';
import { toCsv } from '../csv';
import { formatDecimal, formatInstant } from '../format';
import { currentAfter, firstPage, nextPage, pageNumber, previousPage } from '../paging';
import { describe, html, type ScreenProps, Status, useLoad } from '../ui';

const PAGE = 20;

interface UploadNode {
  uploadId: string;
  fileName: string;
  status: string;
  receivedAt: string | null;
  totalRows: number;
  acceptedRows: number;
  rejectedRows: number;
  meters: number | null;
  duplicateOf: string | null;
  uploadedBy: string | null;
  firstIntervalStart: string | null;
  lastIntervalStart: string | null;
  message: string | null;
}

const FIELDS =
  'uploadId fileName status receivedAt totalRows acceptedRows rejectedRows meters duplicateOf uploadedBy firstIntervalStart lastIntervalStart message';

interface Connection<T> {
  totalCount: number;
  edges: Array<{ node: T }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

function Pager(props: { page: number; hasNext: boolean; onPrevious: () => void; onNext: () => void }) {
  return html`<nav class="pager" aria-label="Pages">
    <button type="button" disabled=${props.page === 1} onClick=${props.onPrevious}>Previous</button>
    <span>Page ${props.page}</span>
    <button type="button" disabled=${!props.hasNext} onClick=${props.onNext}>Next</button>
  </nav>`;
}

/** Uploads, newest first, a page at a time. */
export function UploadsScreen({ session }: ScreenProps) {
  const [paging, setPaging] = useState(firstPage());
  const { data, error, loading } = useLoad(
    () =>
      gql<{ uploads: Connection<UploadNode> }>(
        session.token,
        `query($first: Int, $after: String) { uploads(first: $first, after: $after) { totalCount edges { node { ${FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
        { first: PAGE, after: currentAfter(paging) },
      ),
    [paging],
  );
  const uploads = data?.uploads;
  return html`
    <h1>Uploads</h1>
    <${Status} error=${error} loading=${loading && uploads === undefined} />
    ${
      uploads === undefined
        ? null
        : html`<p>${formatDecimal(String(uploads.totalCount))} uploads</p>
            <table>
              <caption class="visually-hidden">
                Uploads, newest first
              </caption>
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Status</th>
                  <th scope="col">Received</th>
                  <th scope="col" class="n">Rows</th>
                  <th scope="col" class="n">Accepted</th>
                  <th scope="col" class="n">Rejected</th>
                  <th scope="col" class="n">Meters</th>
                </tr>
              </thead>
              <tbody>
                ${uploads.edges.map(
                  ({ node }) =>
                    html`<tr>
                      <td>
                        <a href=${`#/uploads/${node.uploadId}`}>${node.fileName}</a
                        >${node.duplicateOf === null ? null : html` <span class="tag">duplicate</span>`}
                      </td>
                      <td>${node.status}</td>
                      <td>${formatInstant(node.receivedAt)}</td>
                      <td class="n">${formatDecimal(String(node.totalRows))}</td>
                      <td class="n">${formatDecimal(String(node.acceptedRows))}</td>
                      <td class="n">${formatDecimal(String(node.rejectedRows))}</td>
                      <td class="n">${node.meters ?? '—'}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
            <${Pager}
              page=${pageNumber(paging)}
              hasNext=${uploads.pageInfo.hasNextPage}
              onPrevious=${() => setPaging(previousPage(paging))}
              onNext=${() => setPaging(nextPage(paging, uploads.pageInfo.endCursor, uploads.pageInfo.hasNextPage))}
            />`
    }
  `;
}

interface RejectedRow {
  line: number;
  raw: string;
  reasons: Array<{ code: string; field: string | null; message: string }>;
}

const REJECTED = `query($id: ID!, $first: Int, $after: String) {
  rejectedRows(uploadId: $id, first: $first, after: $after) {
    totalCount edges { node { line raw reasons { code field message } } } pageInfo { hasNextPage endCursor }
  }
}`;

/** Every rejected row of an upload, page by page (the API's largest pages), for the download. */
async function allRejected(token: string | null, uploadId: string): Promise<RejectedRow[]> {
  const rows: RejectedRow[] = [];
  let after: string | null = null;
  for (;;) {
    const data: { rejectedRows: Connection<RejectedRow> } = await gql(token, REJECTED, {
      id: uploadId,
      first: 500,
      after,
    });
    rows.push(...data.rejectedRows.edges.map((e) => e.node));
    if (!data.rejectedRows.pageInfo.hasNextPage) return rows;
    after = data.rejectedRows.pageInfo.endCursor;
  }
}

/** An upload's counts, meters and interval range, and its rejected rows with their reasons. */
export function UploadPage({ session, uploadId }: ScreenProps & { uploadId: string }) {
  const upload = useLoad(
    () =>
      gql<{ upload: (UploadNode & { channels: UploadChannel[] }) | null }>(
        session.token,
        `query($id: ID!) { upload(id: $id) { ${FIELDS} ${CHANNEL_FIELDS} } }`,
        { id: uploadId },
      ),
    [uploadId],
  );
  const [paging, setPaging] = useState(firstPage());
  const [reason, setReason] = useState('');
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const rejected = useLoad(
    () =>
      gql<{ rejectedRows: Connection<RejectedRow> }>(session.token, REJECTED, {
        id: uploadId,
        first: 100,
        after: currentAfter(paging),
      }),
    [uploadId, paging],
  );
  const doc = upload.data?.upload;
  const rows = rejected.data?.rejectedRows;
  const codes = [...new Set(rows?.edges.flatMap((e) => e.node.reasons.map((r) => r.code)) ?? [])].sort();
  const shown =
    rows?.edges.map((e) => e.node).filter((row) => reason === '' || row.reasons.some((r) => r.code === reason)) ?? [];
  const downloadCsv = async () => {
    setDownloadError(null);
    try {
      const all = await allRejected(session.token, uploadId);
      const csv = toCsv(
        ['line', 'raw', 'reasons'],
        all.map((row) => [
          row.line,
          row.raw,
          row.reasons.map((r) => `${r.code}${r.field === null ? '' : `(${r.field})`}: ${r.message}`).join('; '),
        ]),
      );
      saveBlob(new Blob([csv], { type: 'text/csv' }), `rejected-${uploadId}.csv`);
    } catch (error) {
      setDownloadError(describe(error));
    }
  };
  return html`
    <p><a href="#/uploads">← Uploads</a></p>
    <${Status} error=${upload.error} loading=${upload.loading && doc === undefined} />
    ${doc === null ? html`<p class="error" role="alert">No upload ${uploadId}.</p>` : null}
    ${
      doc == null
        ? null
        : html`<h1>${doc.fileName}</h1>
            <dl class="facts">
              <dt>Status</dt>
              <dd>${doc.status}${doc.duplicateOf === null ? '' : ` (duplicate of ${doc.duplicateOf})`}</dd>
              <dt>Received</dt>
              <dd>${formatInstant(doc.receivedAt)}${doc.uploadedBy === null ? '' : ` by ${doc.uploadedBy}`}</dd>
              <dt>Rows</dt>
              <dd>${formatDecimal(String(doc.totalRows))}</dd>
              <dt>Accepted</dt>
              <dd>${formatDecimal(String(doc.acceptedRows))}</dd>
              <dt>Rejected</dt>
              <dd data-testid="rejected-count">${formatDecimal(String(doc.rejectedRows))}</dd>
              <dt>Meters</dt>
              <dd>${doc.meters ?? '—'}</dd>
              <dt>First interval</dt>
              <dd>${formatInstant(doc.firstIntervalStart)}</dd>
              <dt>Last interval</dt>
              <dd>${formatInstant(doc.lastIntervalStart)}</dd>
            </dl>
            ${doc.message === null ? null : html`<p>${doc.message}</p>`}
            <${ChannelList} channels=${doc.channels} />`
    }
    <h2>Rejected rows</h2>
    <${Status} error=${rejected.error} loading=${rejected.loading && rows === undefined} />
    ${
      rows === undefined
        ? null
        : html`<div class="toolbar">
              <label
                >Reason
                <select value=${reason} onChange=${(e: Event) => setReason((e.target as HTMLSelectElement).value)}>
                  <option value="">all</option>
                  ${codes.map((code) => html`<option value=${code}>${code}</option>`)}
                </select></label
              >
              <button type="button" onClick=${downloadCsv} disabled=${rows.totalCount === 0}>
                Download all as CSV
              </button>
              ${downloadError === null ? null : html`<span class="error" role="alert">${downloadError}</span>`}
            </div>
            <table data-testid="rejected-rows">
              <caption class="visually-hidden">
                Rejected rows with their reasons
              </caption>
              <thead>
                <tr>
                  <th scope="col" class="n">Line</th>
                  <th scope="col">Row</th>
                  <th scope="col">Reasons</th>
                </tr>
              </thead>
              <tbody>
                ${shown.map(
                  (row) =>
                    html`<tr>
                      <td class="n">${row.line}</td>
                      <td><code>${row.raw}</code></td>
                      <td>
                        ${row.reasons.map((r) => html`<div><span class="tag">${r.code}</span> ${r.field === null ? '' : `${r.field}: `}${r.message}</div>`)}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
            <${Pager}
              page=${pageNumber(paging)}
              hasNext=${rows.pageInfo.hasNextPage}
              onPrevious=${() => setPaging(previousPage(paging))}
              onNext=${() => setPaging(nextPage(paging, rows.pageInfo.endCursor, rows.pageInfo.hasNextPage))}
            />`
    }
  `;
}
