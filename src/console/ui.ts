/** Preact with htm (tagged templates: no JSX build step), and the small pieces every screen shares. */
import { h, type ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import uPlot from 'uplot';
import { ApiError, type Session } from './api';

export const html = htm.bind(h);

export interface ScreenProps {
  session: Session;
}

/** Loads on mount and whenever `deps` change; `reload` runs it again. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
): { data: T | null; error: string | null; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error: unknown) => live && setState({ data: null, error: describe(error), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

export function describe(error: unknown): string {
  if (error instanceof ApiError) return error.code === null ? error.message : `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}

export function Status(props: { error: string | null; loading?: boolean }) {
  if (props.error !== null) return html`<p class="error" role="alert">${props.error}</p>`;
  return props.loading === true ? html`<p class="muted" aria-live="polite">Loading…</p>` : null;
}

export function Section(props: { title: string; children?: ComponentChildren }) {
  return html`<section aria-label=${props.title}>
    <h2>${props.title}</h2>
    ${props.children}
  </section>`;
}

/**
 * A chart's time axis in the billing zone, not the browser's: a day's profile runs from 00:00 to 24:00
 * of that day wherever the admin sits.
 */
export function inZone(timeZone: string): Pick<uPlot.Options, 'tzDate'> {
  return { tzDate: (seconds: number) => uPlot.tzDate(new Date(seconds * 1000), timeZone) };
}

/** A uPlot chart; re-created when its data or options change, destroyed with the component. */
export function Chart(props: {
  label: string;
  options: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
  height?: number;
}) {
  const target = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = target.current;
    if (element === null) return;
    const plot = new uPlot(
      { ...props.options, width: Math.max(320, element.clientWidth), height: props.height ?? 260 },
      props.data,
      element,
    );
    const resize = () => plot.setSize({ width: Math.max(320, element.clientWidth), height: props.height ?? 260 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [props.data, props.options, props.height]);
  return html`<figure class="chart">
    <div ref=${target} role="img" aria-label=${props.label}></div>
    <figcaption>${props.label}</figcaption>
  </figure>`;
}

export function previousMonth(now: Date): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return d.toISOString().slice(0, 7);
}

/** From and to dates of a range, each a labelled date input. */
export function DateRange(props: {
  range: { from: string; to: string };
  onChange: (range: { from: string; to: string }) => void;
}) {
  const { range, onChange } = props;
  const input = (key: 'from' | 'to', label: string) =>
    html`<label
      >${label}
      <input
        type="date"
        value=${range[key]}
        onChange=${(e: Event) => onChange({ ...range, [key]: (e.target as HTMLInputElement).value })}
    /></label>`;
  return html`${input('from', 'From')}${input('to', 'To')}`;
}

/** A labelled month input that reports only complete months. */
export function MonthInput(props: { month: string; onChange: (month: string) => void }) {
  return html`<label
    >Month
    <input
      type="month"
      value=${props.month}
      onChange=${(e: Event) => {
        const value = (e.target as HTMLInputElement).value;
        if (value !== '') props.onChange(value);
      }}
  /></label>`;
}
