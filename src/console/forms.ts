/**
 * Forms of the console's admin screens: labelled fields bound to a record of strings, and a submit that
 * shows the service's answer (its error message names the field at fault) next to the form.
 */
import { useState } from 'preact/hooks';
import { describe, html } from './ui';

export type Values = Record<string, string>;

/** A form's values, one setter per field. */
export function useValues(initial: Values): [Values, (name: string, value: string) => void, (all: Values) => void] {
  const [values, setValues] = useState<Values>(initial);
  return [values, (name, value) => setValues((current) => ({ ...current, [name]: value })), setValues];
}

/** A labelled text input bound to `values[name]`. */
export function Field(props: {
  label: string;
  name: string;
  values: Values;
  set: (name: string, value: string) => void;
  required?: boolean;
  type?: string;
  placeholder?: string;
}) {
  const value = props.values[props.name] ?? ''; // eslint-disable-line local/no-plain-dictionary -- name is the form's own field name
  return html`<label
    >${props.label}
    <input
      name=${props.name}
      type=${props.type ?? 'text'}
      required=${props.required === true}
      placeholder=${props.placeholder ?? ''}
      value=${value}
      onInput=${(e: Event) => props.set(props.name, (e.target as HTMLInputElement).value)}
  /></label>`;
}

/** A form that runs `submit` and says what came of it: `done`'s text, or the service's error. */
export function ActionForm(props: {
  label: string;
  submitLabel: string;
  submit: () => Promise<string>;
  children?: unknown;
}) {
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const onSubmit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setOutcome(null);
    try {
      setOutcome({ ok: true, text: await props.submit() });
    } catch (caught) {
      setOutcome({ ok: false, text: describe(caught) });
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="action-form" aria-label=${props.label} onSubmit=${onSubmit}>
    <div class="fields">${props.children}</div>
    <button type="submit" disabled=${busy}>${props.submitLabel}</button>
    ${
      outcome === null
        ? null
        : outcome.ok
          ? html`<p role="status">${outcome.text}</p>`
          : html`<p class="error" role="alert">${outcome.text}</p>`
    }
  </form>`;
}

/** Null for a blank field, else its text: optional GraphQL arguments are left out, not sent as "". */
export const blankToNull = (text: string | undefined): string | null =>
  text === undefined || text.trim() === '' ? null : text.trim();

/** A postal address's fields under a prefix (`billing.street`...), and its value for GraphQL. */
export function AddressFields(props: { prefix: string; values: Values; set: (name: string, value: string) => void }) {
  const { prefix, values, set } = props;
  return html`
    <${Field} label="Street" name=${`${prefix}street`} values=${values} set=${set} required=${true} />
    <${Field} label="Postal code" name=${`${prefix}postalCode`} values=${values} set=${set} required=${true} />
    <${Field} label="City" name=${`${prefix}city`} values=${values} set=${set} required=${true} />
    <${Field}
      label="Country (ISO code)"
      name=${`${prefix}countryCode`}
      values=${values}
      set=${set}
      required=${true}
      placeholder="DE"
    />
  `;
}

export function addressOf(
  values: Values,
  prefix: string,
): {
  street: string;
  postalCode: string;
  city: string;
  countryCode: string;
} {
  /* eslint-disable local/no-plain-dictionary -- a form's values, keyed by the form's own field names */
  return {
    street: values[`${prefix}street`] ?? '',
    postalCode: values[`${prefix}postalCode`] ?? '',
    city: values[`${prefix}city`] ?? '',
    countryCode: values[`${prefix}countryCode`] ?? '',
  };
  /* eslint-enable local/no-plain-dictionary */
}
