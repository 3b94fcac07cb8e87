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
  const usage = useLoad(
    () =>
      gql<{
        dailyUsage: DailyPoint[];
        prices: PricePointData[];
        invoiceSummary: Array<{ month: string; totalKwh: number; energyCost: string }>;
        billingSettings: { timeZone: string };
      }>(
        session.token,
        `query($meter: ID!, $from: String!, $to: String!, $atLeast: String) {
          dailyUsage(meter: $meter, from: $from, to: $to, atLeast: $atLeast) { date totalKwh minKwh maxKwh complete }
          prices(from: $from, to: $to) { start end priceEurMwh }
          invoiceSummary(meter: $meter, lastMonths: 12) { month totalKwh energyCost }
          billingSettings { timeZone }
        }`,
        { meter, from: range.from, to: range.to, atLeast: atLeast() },
      ),
    [meter, range.from, range.to],
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
        { label: 'kWh', scale: 'kwh', stroke: '#2f6fab', width: 2 },
        { label: 'EUR/MWh', scale: 'eur', stroke: '#c0692b' },
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
      data: [daily.x, daily.total, meanPrice] as uPlot.AlignedData,
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
