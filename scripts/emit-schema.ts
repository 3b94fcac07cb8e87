/**
 * Writes schema.graphql from the type-graphql resolvers, or with --check fails when the committed file
 * differs from what the code emits (CI runs the check).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { buildGraphQLSchema } from '../src/graphql/schema';

async function main(): Promise<void> {
  const file = join(__dirname, '..', 'schema.graphql');
  const emitted = `# Emitted by \`npm run schema:emit\` from the resolvers; do not edit by hand.\n\n${printSchema(
    lexicographicSortSchema(await buildGraphQLSchema()),
  )}\n`;
  if (process.argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(file, 'utf8');
    } catch {
      // a missing file is drift too
    }
    if (committed !== emitted) {
      process.stderr.write(
        'schema.graphql differs from what the code emits: run `npm run schema:emit` and commit it\n',
      );
      process.exit(1);
    }
    process.stdout.write('schema.graphql is up to date\n');
    return;
  }
  writeFileSync(file, emitted);
  process.stdout.write(`wrote ${file}\n`);
}

void main();
