/** Hash routes (`#/uploads/ID`): the server serves one page, and every screen has its own link. */
export type Route =
  | { name: 'upload' }
  | { name: 'uploads' }
  | { name: 'upload-page'; uploadId: string }
  | { name: 'invoices'; month: string | null }
  | { name: 'accounts'; month: string | null }
  | { name: 'customers' }
  | { name: 'meter'; meter: string; month: string | null }
  | { name: 'prices' }
  | { name: 'operations' };

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const month = /^\d{4}-\d{2}$/.test(params.get('month') ?? '') ? params.get('month') : null;
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  switch (parts[0]) {
    case 'uploads':
      return parts[1] === undefined ? { name: 'uploads' } : { name: 'upload-page', uploadId: parts[1] };
    case 'invoices':
      return { name: 'invoices', month };
    case 'meters':
      return parts[1] === undefined ? { name: 'invoices', month } : { name: 'meter', meter: parts[1], month };
    case 'accounts':
      return { name: 'accounts', month };
    case 'customers':
      return { name: 'customers' };
    case 'prices':
      return { name: 'prices' };
    case 'operations':
      return { name: 'operations' };
    default:
      return { name: 'upload' };
  }
}
