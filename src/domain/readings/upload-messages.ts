/** The one-line outcome of a validated file, as the receipt and the upload-status model both show it. */
export function describeValidated(data: {
  totalRows: number;
  acceptedRows: number;
  rejectedRows: number;
  roundedRows?: number;
  skippedRows?: number;
  skippedSeries?: ReadonlyArray<{ series: string; rows: number }>;
  unlistedRejectedRows?: number;
  duplicateOf: string | null;
}): string {
  if (data.duplicateOf !== null) {
    return `byte-identical to upload ${data.duplicateOf}, which was already validated; no readings were added`;
  }
  if (data.totalRows === 0 && (data.skippedRows ?? 0) > 0) {
    const series = data.skippedSeries ?? [];
    return series.length > 0
      ? `all ${data.skippedRows} rows were left out: their series (${series.map((s) => s.series).join(', ')}) are not energy; the service keeps the Import and Export Wh and varh series`
      : `all ${data.skippedRows} rows were left out by the format's filter (or are NEM12 null intervals); no readings were added`;
  }
  if (data.totalRows === 0) return 'the file has a header but no data rows';
  const rounded = (data.roundedRows ?? 0) > 0 ? ` (${data.roundedRows} with kWh rounded to 6 decimals)` : '';
  const unlisted = data.unlistedRejectedRows ?? 0;
  const listing =
    unlisted > 0
      ? ` (the first ${data.rejectedRows - unlisted} are listed with their reasons, ${unlisted} more only counted: a file's listing is bounded by MAX_LISTED_REJECTED_ROWS)`
      : '';
  return `${data.acceptedRows} of ${data.totalRows} rows accepted${rounded}, ${data.rejectedRows} rejected${listing}`;
}
