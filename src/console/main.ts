import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, type Session, signIn, storedToken, storeToken } from './api';
import { parseRoute, type Route } from './router';
import { AccountsScreen } from './screens/accounts';
import { CustomersScreen } from './screens/customers';
import { InvoicesScreen } from './screens/invoices';
import { MeterPage } from './screens/meter';
import { OperationsScreen } from './screens/operations';
import { PricesScreen } from './screens/prices';
import { UploadScreen } from './screens/upload';
import { UploadPage, UploadsScreen } from './screens/uploads';
import { describe, html } from './ui';

function SignIn(props: { onSession: (session: Session) => void; reason: string | null }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(props.reason);
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      const session = await signIn(token.trim());
      storeToken(token.trim());
      props.onSession(session);
    } catch (caught) {
      setError(
        caught instanceof ApiError && caught.code === 'UNAUTHENTICATED'
          ? 'That key is not valid (or was revoked).'
          : describe(caught),
      );
    }
  };
  return html`<main class="signin">
    <h1>Energy billing</h1>
    <form onSubmit=${submit}>
      <label for="token">API key</label>
      <input
        id="token"
        type="password"
        autocomplete="current-password"
        required
        value=${token}
        onInput=${(e: Event) => setToken((e.target as HTMLInputElement).value)}
      />
      <button type="submit">Sign in</button>
      ${error === null ? null : html`<p class="error" role="alert">${error}</p>`}
    </form>
    <p class="muted">The key stays in this tab only. Admins upload and issue; viewers read.</p>
  </main>`;
}

function Screen(props: { route: Route; session: Session }) {
  const { route, session } = props;
  switch (route.name) {
    case 'upload':
      return session.role === 'ADMIN'
        ? html`<${UploadScreen} session=${session} />`
        : html`<${UploadsScreen} session=${session} />`;
    case 'uploads':
      return html`<${UploadsScreen} session=${session} />`;
    case 'upload-page':
      return html`<${UploadPage} session=${session} uploadId=${route.uploadId} />`;
    case 'invoices':
      return html`<${InvoicesScreen} session=${session} month=${route.month} />`;
    case 'accounts':
      return html`<${AccountsScreen} session=${session} month=${route.month} />`;
    case 'customers':
      return html`<${CustomersScreen} session=${session} />`;
    case 'meter':
      return html`<${MeterPage} session=${session} meter=${route.meter} month=${route.month} />`;
    case 'prices':
      return html`<${PricesScreen} session=${session} />`;
    case 'operations':
      return html`<${OperationsScreen} session=${session} />`;
  }
}

function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [checking, setChecking] = useState(true);
  const [reason, setReason] = useState<string | null>(null);
  const [route, setRoute] = useState(parseRoute(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onHash);
    // With auth off (local development) no key is needed; else a key kept in this tab is tried.
    signIn(storedToken())
      .then(setSession, (error: unknown) => {
        if (!(error instanceof ApiError && error.code === 'UNAUTHENTICATED')) setReason(describe(error));
      })
      .finally(() => setChecking(false));
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  if (checking) return html`<p class="muted">Loading…</p>`;
  if (session === null) return html`<${SignIn} onSession=${setSession} reason=${reason} />`;
  const link = (href: string, label: string, active: boolean) =>
    html`<a href=${href} aria-current=${active ? 'page' : undefined}>${label}</a>`;
  const signOut = () => {
    storeToken(null);
    setSession(null);
  };
  return html`
    <a class="skip" href="#main">Skip to content</a>
    <header>
      <nav aria-label="Main">
        <strong>Energy billing</strong>
        ${session.role === 'ADMIN' ? link('#/', 'Upload', route.name === 'upload') : null}
        ${link('#/uploads', 'Uploads', route.name === 'uploads' || route.name === 'upload-page')}
        ${link('#/invoices', 'Invoices', route.name === 'invoices' || route.name === 'meter')}
        ${link('#/accounts', 'Accounts', route.name === 'accounts')}
        ${link('#/customers', 'Customers', route.name === 'customers')}
        ${link('#/prices', 'Prices', route.name === 'prices')}
        ${link('#/operations', 'Operations', route.name === 'operations')}
        <span class="who">${session.name ?? 'local'} (${session.role.toLowerCase()})</span>
        ${session.token === null ? null : html`<button type="button" class="link" onClick=${signOut}>Sign out</button>`}
      </nav>
    </header>
    <main id="main" tabindex="-1"><${Screen} route=${route} session=${session} /></main>
  `;
}

render(html`<${App} />`, document.getElementById('app')!);
