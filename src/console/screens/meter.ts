import { useMemo, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { atLeast, gql } from '../api';
import {
  dailySeries,
  datesBetween,
  type DailyPoint,
  localDateOf,
  priceSeries,
  type PricePointData,
} from '../chart-data';
import { formatDecimal, formatNumber } from '../format';
import { Chart, DateRange, html, inZone, previousMonth, type ScreenProps, Status, useLoad } from '../ui';

interface QualityMark {
  mark: string;
  readings: number;
}

/** A day's readings by quality mark, as a short line: "A 40 · E 8"; a dash when none has a mark. */
function qualityText(marks: readonly QualityMark[]): string {
  return marks.length === 0 ? '—' : marks.map((m) => `${m.mark} ${m.readings}`).join(' · ');
}

/** Each date's value, or null where the points have none (a gap in the chart). */
function valuesOn(dates: readonly string[], points: ReadonlyArray<{ date: string; totalKwh: number }>) {
  const byDate = new Map(points.map((p) => [p.date, p.totalKwh]));
  return dates.map((date) => byDate.get(date) ?? null);
}

function monthRange(month: string): { from: string; to: string } {
  const [year, m] = month.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(year, m, 0)).getUTCDate();
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, '0')}` };
}

/** A meter: daily usage with its min/max band and the market prices of the same days, a day's profile, its months. */
export function MeterPage({
  session,
  meter,
  month: initialMonth,
}: ScreenProps & { meter: string; month: string | null }) {
  const initial = monthRange(initialMonth ?? previousMonth(new Date()));
  const [range, setRange] = useState(initial);
  const [day, setDay] = useState(initial.from);
  const [showReactive, setShowReactive] = useState(false);
  const usage = useLoad(
    () =>
      gql<{
        dailyUsage: Array<DailyPoint & { qualityMarks: QualityMark[] }>;
        exported: Array<{ date: string; totalKwh: number }>;
        channels: Array<{ channel: string; kind: string; unit: string }>;
        prices: PricePointData[];
        invoiceSummary: Array<{ month: string; totalKwh: number; energyCost: string }>;
        billingSettings: { timeZone: string };
      }>(
        session.token,
        `query($meter: ID!, $from: String!, $to: String!, $atLeast: String) {
          dailyUsage(meter: $meter, from: $from, to: $to, atLeast: $atLeast) {
            date totalKwh minKwh maxKwh complete qualityMarks { mark readings }
          }
          exported: dailyUsage(meter: $meter, from: $from, to: $to, kind: EXPORT) { date totalKwh }
          channels(meter: $meter) { channel kind unit }
          prices(from: $from, to: $to) { start end priceEurMwh }
          invoiceSummary(meter: $meter, lastMonths: 12) { month totalKwh energyCost }
          billingSettings { timeZone }
        }`,
        { meter, from: range.from, to: range.to, atLeast: atLeast() },
      ),
    [meter, range.from, range.to],
  );
  // Reactive energy only when asked for: it is not billed, and most admins never look at it.
  const reactive = useLoad(
    () =>
      showReactive
        ? gql<{
            reactiveImport: Array<{ date: string; totalKwh: number }>;
            reactiveExport: Array<{ date: string; totalKwh: number }>;
          }>(
            session.token,
            `query($meter: ID!, $from: String!, $to: String!) {
              reactiveImport: dailyUsage(meter: $meter, from: $from, to: $to, kind: REACTIVE_IMPORT) { date totalKwh }
              reactiveExport: dailyUsage(meter: $meter, from: $from, to: $to, kind: REACTIVE_EXPORT) { date totalKwh }
            }`,
            { meter, from: range.from, to: range.to },
          )
        : Promise.resolve(null),
    [meter, range.from, range.to, showReactive],
  );
  const profile = useLoad(
    () =>
      gql<{ meterDayProfile: Array<{ start: string; kwh: number; priceEurMwh: number | null }> }>(
        session.token,
        `query($meter: ID!, $date: String!) { meterDayProfile(meter: $meter, date: $date) { start kwh priceEurMwh } }`,
        { meter, date: day },
      ),
    [meter, day],
  );
  const zone = usage.data?.billingSettings.timeZone ?? null;
  const usageChart = useMemo(() => {
    if (usage.data === null || zone === null) return null;
    const daily = dailySeries(range.from, range.to, usage.data.dailyUsage);
    // Prices averaged per billing day on the second axis (the day's mean of its intervals; gaps stay gaps).
    const perDay = new Map<string, number[]>();
    for (const p of usage.data.prices) {
      const date = localDateOf(Date.parse(p.start), zone);
      perDay.set(date, [...(perDay.get(date) ?? []), p.priceEurMwh]);
    }
    const meanPrice = datesBetween(range.from, range.to).map((d) => {
      const values = perDay.get(d);
      return values === undefined ? null : values.reduce((a, b) => a + b, 0) / values.length;
    });
    const exported = valuesOn(datesBetween(range.from, range.to), usage.data.exported);
    const withExport = exported.some((v) => v !== null);
    const options: Omit<uPlot.Options, 'width' | 'height'> = {
      ...inZone(zone),
      scales: { x: { time: true }, kwh: {}, eur: {} },
      axes: [
        {},
        { scale: 'kwh', label: 'kWh per day' },
        { scale: 'eur', side: 1, label: 'EUR/MWh (day mean)', grid: { show: false } },
      ],
      series: [
        {},
        { label: 'kWh imported', scale: 'kwh', stroke: '#2f6fab', width: 2 },
        { label: 'EUR/MWh', scale: 'eur', stroke: '#c0692b' },
        ...(withExport ? [{ label: 'kWh exported', scale: 'kwh', stroke: '#3a9a5b', width: 2 }] : []),
      ],
    };
    // Each day's smallest and largest interval reading, as a band on its own scale (per interval, not per day).
    const bandOptions: Omit<uPlot.Options, 'width' | 'height'> = {
      ...inZone(zone),
      scales: { x: { time: true } },
      axes: [{}, { label: 'kWh per interval' }],
      series: [{}, { label: 'min kWh', stroke: '#9bbbd9' }, { label: 'max kWh', stroke: '#2f6fab' }],
      bands: [{ series: [2, 1], fill: 'rgba(47,111,171,0.15)' }],
    };
    return {
      options,
      data: [daily.x, daily.total, meanPrice, ...(withExport ? [exported] : [])] as uPlot.AlignedData,
      bandOptions,
      bandData: [daily.x, daily.min, daily.max] as uPlot.AlignedData,
    };
  }, [usage.data, range.from, range.to, zone]);
  const profileChart = useMemo(() => {
    const points = profile.data?.meterDayProfile ?? [];
    if (points.length === 0 || zone === null) return null;
    const x = points.map((p) => Date.parse(p.start) / 1000);
    const options: Omit<uPlot.Options, 'width' | 'height'> = {
      ...inZone(zone),
      scales: { x: { time: true }, kwh: {}, eur: {} },
      axes: [
        {},
        { scale: 'kwh', label: 'kWh per interval' },
        { scale: 'eur', side: 1, label: 'EUR/MWh', grid: { show: false } },
      ],
      series: [
        {},
        { label: 'kWh', scale: 'kwh', stroke: '#2f6fab', width: 2 },
        { label: 'EUR/MWh', scale: 'eur', stroke: '#c0692b' },
      ],
    };
    return { options, data: [x, points.map((p) => p.kwh), points.map((p) => p.priceEurMwh)] as uPlot.AlignedData };
  }, [profile.data, zone]);
  const prices = usage.data === null ? null : priceSeries(usage.data.prices);
  const exportedOn = new Map((usage.data?.exported ?? []).map((d) => [d.date, d.totalKwh]));
  const reactiveOn = {
    imported: new Map((reactive.data?.reactiveImport ?? []).map((d) => [d.date, d.totalKwh])),
    exported: new Map((reactive.data?.reactiveExport ?? []).map((d) => [d.date, d.totalKwh])),
  };
  return html`
    <p><a href="#/invoices">← Invoices</a></p>
    <h1>Meter ${meter}</h1>
    <div class="toolbar">
      <${DateRange} range=${range} onChange=${setRange} />
    </div>
    <${Status} error=${usage.error} loading=${usage.loading} />
    ${
      usageChart === null
        ? null
        : html`<${Chart}
              label=${`Daily usage of ${meter}, kWh per day, and the day's mean market price`}
              options=${usageChart.options}
              data=${usageChart.data}
            />
            <${Chart}
              label=${`Smallest and largest interval reading of each day of ${meter} (min/max band)`}
              options=${usageChart.bandOptions}
              data=${usageChart.bandData}
              height=${160}
            />`
    }
    ${prices === null ? null : html`<p class="muted">${formatDecimal(String(usage.data?.prices.length ?? 0))} price intervals in the range${prices.price.includes(null) ? ', with gaps' : ''}.</p>`}
    ${
      usage.data === null
        ? null
        : html`<p class="muted" data-testid="meter-channels">
              Channels: ${usage.data.channels.map((c) => `${c.channel} (${c.kind}, ${c.unit})`).join(', ') || 'none'}
            </p>
            <label
              ><input
                type="checkbox"
                checked=${showReactive}
                onChange=${(e: Event) => setShowReactive((e.target as HTMLInputElement).checked)}
              />
              Show reactive energy (kvarh)</label
            >
            <${Status} error=${reactive.error} loading=${reactive.loading} />
            <table data-testid="meter-days">
              <caption class="visually-hidden">
                Days of ${meter}: import, export and the quality of the readings
              </caption>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  <th scope="col" class="n">kWh imported</th>
                  <th scope="col" class="n">kWh exported</th>
                  ${
                    showReactive
                      ? html`<th scope="col" class="n">kvarh in</th>
                          <th scope="col" class="n">kvarh out</th>`
                      : null
                  }
                  <th scope="col">Quality</th>
                </tr>
              </thead>
              <tbody>
                ${usage.data.dailyUsage.map(
                  (d) =>
                    html`<tr>
                      <td>${d.date}</td>
                      <td class="n">${formatNumber(d.totalKwh)}</td>
                      <td class="n">${exportedOn.has(d.date) ? formatNumber(exportedOn.get(d.date)!) : '—'}</td>
                      ${
                        showReactive
                          ? html`<td class="n">${formatNumber(reactiveOn.imported.get(d.date) ?? 0)}</td>
                              <td class="n">${formatNumber(reactiveOn.exported.get(d.date) ?? 0)}</td>`
                          : null
                      }
                      <td>${qualityText(d.qualityMarks)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
    }
    <h2>Profile of a day</h2>
    <label
      >Day <input type="date" value=${day} onChange=${(e: Event) => setDay((e.target as HTMLInputElement).value)}
    /></label>
    <${Status} error=${profile.error} loading=${profile.loading} />
    ${
      profileChart === null
        ? profile.loading || zone === null
          ? null
          : html`<p class="muted">No readings on ${day}.</p>`
        : html`<${Chart}
            label=${`Readings of ${meter} on ${day}, with the market price of each interval`}
            options=${profileChart.options}
            data=${profileChart.data}
          />`
    }
    <h2>Months</h2>
    ${
      usage.data === null
        ? null
        : html`<table>
            <caption class="visually-hidden">
              Monthly summary of ${meter}
            </caption>
            <thead>
              <tr>
                <th scope="col">Month</th>
                <th scope="col" class="n">kWh</th>
                <th scope="col" class="n">Energy cost</th>
              </tr>
            </thead>
            <tbody>
              ${usage.data.invoiceSummary.map(
                (m) =>
                  html`<tr>
                    <td><a href=${`#/invoices?month=${m.month}`}>${m.month}</a></td>
                    <td class="n">${formatNumber(m.totalKwh)}</td>
                    <td class="n">${formatDecimal(m.energyCost)} EUR</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
  `;
}
