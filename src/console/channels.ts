import { formatDecimal } from './format';
import { html } from './ui';

/** A channel of an upload's accepted readings, as the API lists it. */
export interface UploadChannel {
  channel: string;
  kind: string;
  unit: string;
  meters: number;
  readings: number;
}

export const CHANNEL_FIELDS = 'channels { channel kind unit meters readings }';

/** The channels an upload found (import, export, reactive), each with its meters and readings. */
export function ChannelList(props: { channels: readonly UploadChannel[] }) {
  if (props.channels.length === 0) return null;
  return html`<table data-testid="channels">
    <caption>
      Channels found
    </caption>
    <thead>
      <tr>
        <th scope="col">Channel</th>
        <th scope="col">Kind</th>
        <th scope="col">Unit</th>
        <th scope="col" class="n">Meters</th>
        <th scope="col" class="n">Readings</th>
      </tr>
    </thead>
    <tbody>
      ${props.channels.map(
        (c) =>
          html`<tr>
            <td>${c.channel}</td>
            <td>${c.kind}</td>
            <td>${c.unit}</td>
            <td class="n">${formatDecimal(String(c.meters))}</td>
            <td class="n">${formatDecimal(String(c.readings))}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
