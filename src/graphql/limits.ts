import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GraphQLArmorConfig } from '@escape.tech/graphql-armor-types';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import type { DocumentNode, GraphQLError, GraphQLSchema, ValidationRule } from 'graphql';
import { Lexer, parse, Source, specifiedRules, TokenKind, validate } from 'graphql';

/**
 * How big a request may be. A document is refused before it runs when it is too deep or has too many
 * aliases, tokens or directives (graphql-armor); the bodies and WebSocket messages
 * that carry documents are capped before they are parsed. The service's own queries (README, console,
 * bench) stay far inside these limits.
 */
export const GRAPHQL_LIMITS = {
  maxDepth: 10,
  maxAliases: 15,
  maxTokens: 2_000,
  maxDirectives: 20,
  /** A JSON request body. */
  jsonBodyBytes: 1024 * 1024,
  /** The `operations` and `map` fields of a multipart upload (the file itself has its own limit). */
  multipartFieldBytes: 256 * 1024,
  /**
   * One WebSocket message beyond the document's own cap (GRAPHQL_MAX_DOCUMENT_BYTES): room for the
   * variables, so a document over its cap is answered with an error naming it, not a closed socket.
   */
  webSocketMessageBytes: 256 * 1024,
  /** What Apollo's cache of parsed and validated documents may hold (its own estimate, see documentSize). */
  documentCacheBytes: 16 * 1024 * 1024,
  /** What Apollo's cache of registered persisted queries (APQ) may hold, in characters. */
  persistedQueryCacheChars: 4 * 1024 * 1024,
} as const;

const ARMOR_CONFIG: GraphQLArmorConfig = {
  maxDepth: { n: GRAPHQL_LIMITS.maxDepth, ignoreIntrospection: true },
  maxAliases: { n: GRAPHQL_LIMITS.maxAliases },
  // Counted before Apollo runs (documentTooLong): armor's token limit fails inside Apollo's parse hook,
  // which Apollo answers with HTTP 500.
  maxTokens: { enabled: false },
  maxDirectives: { n: GRAPHQL_LIMITS.maxDirectives },
  // Off: armor's cost multiplies by `first`, and every list here caps `first` itself with a clear
  // BAD_USER_INPUT; tokens, aliases and depth bound the rest (15 aliases x 500 invoices at most).
  costLimit: { enabled: false },
};

/** Apollo's share: validation rules and plugins (depth, aliases, directives). */
export function apolloProtection(): ReturnType<ApolloArmor['protect']> {
  return new ApolloArmor(ARMOR_CONFIG).protect();
}

/**
 * The same limits for graphql-ws, which parses and validates subscriptions itself: a parse that stops
 * at the token limit, and validation with the standard rules plus armor's.
 */
export function webSocketProtection(): {
  parse: (source: string) => DocumentNode;
  validate: (schema: GraphQLSchema, document: DocumentNode) => readonly GraphQLError[];
} {
  const rules: ValidationRule[] = [...specifiedRules, ...apolloProtection().validationRules];
  return {
    parse: (source) => parse(source, { maxTokens: GRAPHQL_LIMITS.maxTokens }),
    validate: (schema, document) => validate(schema, document, rules),
  };
}

/**
 * Why a document is refused before it is parsed, or null: more tokens than the limit. Counting stops at
 * the limit, so a huge document costs no more than a short one.
 */
export function documentTooLong(query: string): string | null {
  const lexer = new Lexer(new Source(query));
  let tokens = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      tokens += 1;
      if (tokens > GRAPHQL_LIMITS.maxTokens) {
        return `the document is over the token limit of ${GRAPHQL_LIMITS.maxTokens}; split it into smaller operations`;
      }
    }
  } catch {
    return null; // a syntax error is the parser's to report, with its location
  }
  return null;
}

/** What one parsed token holds on the heap, with its share of the AST (measured: 270-430 bytes on Node 24). */
const BYTES_PER_TOKEN = 512;

/**
 * What a parsed document really holds: its source text (every node's location keeps the whole of it)
 * and its tokens, comments included, which the locations keep linked. Apollo's own estimate,
 * JSON.stringify(document), counts neither: a document padded with a comment cost it a few bytes.
 */
export function documentSize(document: DocumentNode): number {
  const loc = document.loc;
  if (loc === undefined) return 1;
  let tokens = 0;
  for (let token = loc.startToken.next; token !== null; token = token.next) tokens += 1;
  return loc.source.body.length * 2 + tokens * BYTES_PER_TOKEN;
}

/** Apollo's caches, each bounded by what it really holds: parsed documents, and APQ's registered queries. */
export function apolloCaches(): {
  documentStore: InMemoryLRUCache<DocumentNode>;
  persistedQueries: { cache: InMemoryLRUCache<string> };
} {
  return {
    documentStore: new InMemoryLRUCache<DocumentNode>({
      maxSize: GRAPHQL_LIMITS.documentCacheBytes,
      sizeCalculation: documentSize,
    }),
    persistedQueries: { cache: new InMemoryLRUCache<string>({ maxSize: GRAPHQL_LIMITS.persistedQueryCacheChars }) },
  };
}
