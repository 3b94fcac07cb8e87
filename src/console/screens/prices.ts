import { useMemo, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { atLeast, gql, gqlWithFile, notePosition } from '../api';
import { priceSeries, type PricePointData } from '../chart-data';
import { formatDecimal } from '../format';
import { Chart, DateRange, describe, html, type ScreenProps, Status, useLoad } from '../ui';

function isoDate(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

/** Market prices of a range as steps, gaps drawn as gaps; admins import a price file or scrape a day. */
export function PricesScreen({ session }: ScreenProps) {
  const [range, setRange] = useState({ from: isoDate(-7), to: isoDate(1) });
  const { data, error, loading, reload } = useLoad(
    () =>
      gql<{ prices: PricePointData[] }>(
        session.token,
        `query($from: String!, $to: String!, $atLeast: String) { prices(from: $from, to: $to, atLeast: $atLeast) { start end priceEurMwh } }`,
        { ...range, atLeast: atLeast() },
      ),
    [range.from, range.to],
  );
  const [message, setMessage] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [scrapeDay, setScrapeDay] = useState(isoDate(1));
  const chart = useMemo(() => {
    if (data === null || data.prices.length === 0) return null;
    const series = priceSeries(data.prices);
    const options: Omit<uPlot.Options, 'width' | 'height'> = {
      scales: { x: { time: true } },
      axes: [{}, { label: 'EUR/MWh' }],
      series: [{}, { label: 'EUR/MWh', stroke: '#c0692b', width: 2, paths: undefined }],
    };
    return { options, data: [series.x, series.price] as uPlot.AlignedData };
  }, [data]);
  const act = async (work: () => Promise<string>) => {
    setMessage(null);
    setActionError(null);
    try {
      setMessage(await work());
      reload();
    } catch (caught) {
      setActionError(describe(caught));
    }
  };
  const admin = session.role === 'ADMIN';
  return html`
    <h1>Market prices</h1>
    <div class="toolbar">
      <${DateRange} range=${range} onChange=${setRange} />
    </div>
    <${Status} error=${error} loading=${loading} />
    ${
      chart === null
        ? loading
          ? null
          : html`<p class="muted">No prices in this range.</p>`
        : html`<${Chart}
            label=${`Day-ahead prices from ${range.from} to ${range.to}, EUR/MWh; gaps are unpublished intervals`}
            options=${chart.options}
            data=${chart.data}
          />`
    }
    ${data === null ? null : html`<p class="muted">${formatDecimal(String(data.prices.length))} intervals.</p>`}
    ${
      !admin
        ? null
        : html`<h2>Import and scrape</h2>
            <div class="toolbar">
              <label class="button"
                >Import a price CSV
                <input
                  type="file"
                  accept=".csv,text/csv"
                  class="visually-hidden"
                  onChange=${(e: Event) => {
                    const file = (e.target as HTMLInputElement).files?.[0];
                    if (file !== undefined)
                      void act(async () => {
                        const r = await gqlWithFile<{
                          importPrices: { days: number; points: number; unchangedDays: number; position: string };
                        }>(
                          session.token,
                          'mutation($file: Upload!) { importPrices(file: $file) { days points unchangedDays position } }',
                          file,
                        );
                        notePosition(r.importPrices.position);
                        return `Imported ${r.importPrices.days} days (${r.importPrices.points} intervals); ${r.importPrices.unchangedDays} days unchanged.`;
                      });
                  }}
                />
              </label>
              <label
                >Day
                <input
                  type="date"
                  value=${scrapeDay}
                  onChange=${(e: Event) => setScrapeDay((e.target as HTMLInputElement).value)}
              /></label>
              <button
                type="button"
                onClick=${() =>
                  act(async () => {
                    const r = await gql<{
                      scrapePrices: {
                        source: string;
                        points: number;
                        complete: boolean;
                        appended: boolean;
                        position: string | null;
                      };
                    }>(
                      session.token,
                      'mutation($date: String!) { scrapePrices(date: $date) { source points complete appended position } }',
                      { date: scrapeDay },
                    );
                    notePosition(r.scrapePrices.position);
                    const s = r.scrapePrices;
                    return `${s.source}: ${s.points} intervals${s.complete ? '' : ' (incomplete)'}; ${s.appended ? 'published' : 'unchanged'}.`;
                  })}
              >
                Scrape this day
              </button>
            </div>
            ${message === null ? null : html`<p role="status">${message}</p>`}
            ${actionError === null ? null : html`<p class="error" role="alert">${actionError}</p>`}`
    }
  `;
}
