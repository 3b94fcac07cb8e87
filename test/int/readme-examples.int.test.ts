/**
 * The README's GraphQL examples of accounts and invoices run as written, in order, on a fresh server
 * (the webhook example is left out: its host is a placeholder that does not resolve here).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { graphql, startTestServer } from '../support/test-server';

it("runs the README's accounts and invoices examples without an error", async () => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('### Accounts, tariffs and issued invoices'),
    readme.indexOf('### Errors'),
  );
  const blocks = [...section.matchAll(/```graphql\n([\s\S]*?)```/g)]
    .map((match) => match[1]!)
    .filter((block) => !block.includes('registerWebhook'));
  expect(blocks.length).toBeGreaterThanOrEqual(5);
  const t = await startTestServer();
  try {
    for (const block of blocks) {
      const answer = await graphql(t.url, block);
      expect({ block: block.slice(0, 40), errors: answer.errors }).toEqual({
        block: block.slice(0, 40),
        errors: undefined,
      });
    }
    const account = await graphql(t.url, '{ account(id: "ACC-B") { meters { meter from to } } }');
    expect((account.data as any).account.meters).toEqual([{ meter: 'MP000002', from: '2026-10-15', to: null }]);
  } finally {
    await t.close();
  }
});
