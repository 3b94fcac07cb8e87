/** The one-line outcome of a validated file, as the receipt and the upload-status model both show it. */
export function describeValidated(data: {
  totalRows: number;
  acceptedRows: number;
  rejectedRows: number;
  duplicateOf: string | null;
}): string {
  if (data.duplicateOf !== null) {
    return `byte-identical to upload ${data.duplicateOf}, which was already validated; no readings were added`;
  }
  if (data.totalRows === 0) return 'the file has a header but no data rows';
  return `${data.acceptedRows} of ${data.totalRows} rows accepted, ${data.rejectedRows} rejected`;
}
