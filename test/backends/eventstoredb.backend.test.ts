/**
 * The event-store contract against a real EventStoreDB. Runs only when EVENTSTORE_URL is set
 * (`npm run test:backends`, see README "Production backends"); these machines have no server to run it.
 */
import { EventStoreDbEventStore } from '../../src/infrastructure/eventstoredb/eventstoredb-event-store';
import { eventStoreContract } from '../contract/event-store.contract';

const url = process.env.EVENTSTORE_URL;

if (url === undefined || url === '') {
  describe.skip('EventStore contract: EventStoreDB (set EVENTSTORE_URL to run)', () => {
    it('needs a server', () => undefined);
  });
} else {
  eventStoreContract('EventStoreDB', async () => {
    const store = await EventStoreDbEventStore.connect(url, { timeoutMs: 10_000 });
    return { store, dispose: () => store.close() };
  });
}
