import { useState } from 'preact/hooks';
import { gql } from '../api';
import { formatDecimal } from '../format';
import { describe, html, type ScreenProps, Status, useLoad } from '../ui';

interface Readiness {
  status: string;
  problems: string[];
  backends: Array<{ name: string; ok: boolean; error?: string }>;
  projector: { leader: boolean } | null;
  projections: Array<{ name: string; position: string | null; failed: string | null; lagSeconds: number | null }>;
}

/** Projection state and lag from /readyz, and (admins) a replay of the read models with its report. */
export function OperationsScreen({ session }: ScreenProps) {
  const { data, error, loading, reload } = useLoad(async () => {
    // With the key: without one, /readyz tells only whether the service is ready.
    const response = await fetch('/readyz', {
      headers: session.token === null ? {} : { authorization: `Bearer ${session.token}` },
    });
    return (await response.json()) as Readiness;
  }, []);
  const [replay, setReplay] = useState<{ running: boolean; report: string | null; error: string | null }>({
    running: false,
    report: null,
    error: null,
  });
  const runReplay = async () => {
    setReplay({ running: true, report: null, error: null });
    try {
      const r = await gql<{ replayProjections: { projections: string[]; events: number; millis: number } }>(
        session.token,
        'mutation { replayProjections { projections events millis } }',
      );
      const { projections, events, millis } = r.replayProjections;
      setReplay({
        running: false,
        report: `Rebuilt ${projections.join(', ')} from ${formatDecimal(String(events))} events in ${formatDecimal(String(millis))} ms.`,
        error: null,
      });
      reload();
    } catch (caught) {
      setReplay({ running: false, report: null, error: describe(caught) });
    }
  };
  return html`
    <h1>Operations</h1>
    <button type="button" onClick=${reload}>Refresh</button>
    <${Status} error=${error} loading=${loading} />
    ${
      data === null
        ? null
        : html`<p>
              Service
              <strong data-testid="readiness">${data.status}</strong
              >${data.projector === null ? '' : data.projector.leader ? ' · this instance runs the projections' : ' · projections run elsewhere'}
            </p>
            ${
              data.problems.length === 0
                ? null
                : html`<ul class="error">
                    ${data.problems.map((p) => html`<li>${p}</li>`)}
                  </ul>`
            }
            <table>
              <caption>
                Projections
              </caption>
              <thead>
                <tr>
                  <th scope="col">Projection</th>
                  <th scope="col">Checkpoint</th>
                  <th scope="col" class="n">Lag (s)</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                ${data.projections.map(
                  (p) =>
                    html`<tr>
                      <td>${p.name}</td>
                      <td>${p.position ?? '—'}</td>
                      <td class="n">${p.lagSeconds === null ? '—' : formatDecimal(p.lagSeconds.toFixed(1))}</td>
                      <td>${p.failed === null ? 'running' : html`<span class="error">${p.failed}</span>`}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
            <table>
              <caption>
                Backends
              </caption>
              <thead>
                <tr>
                  <th scope="col">Backend</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                ${data.backends.map(
                  (b) =>
                    html`<tr>
                      <td>${b.name}</td>
                      <td>${b.ok ? 'answering' : (b.error ?? 'failing')}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
    }
    ${
      session.role !== 'ADMIN'
        ? null
        : html`<h2>Replay</h2>
            <p>
              Rebuilds every read model from the event log into fresh tables and swaps them in; queries keep answering
              meanwhile.
            </p>
            <button type="button" disabled=${replay.running} onClick=${runReplay}>
              ${replay.running ? 'Replaying…' : 'Replay projections'}
            </button>
            ${replay.report === null ? null : html`<p role="status">${replay.report}</p>`}
            ${replay.error === null ? null : html`<p class="error" role="alert">${replay.error}</p>`}`
    }
  `;
}
