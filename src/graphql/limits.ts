import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GraphQLArmorConfig } from '@escape.tech/graphql-armor-types';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import type { DocumentNode, GraphQLError, GraphQLSchema, SelectionSetNode, ValidationRule } from 'graphql';
import { BREAK, Kind, Lexer, parse, Source, specifiedRules, TokenKind, validate, visit } from 'graphql';

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

/**
 * How often one response name may be selected in one selection set, counting the fields its inline
 * fragments and fragment spreads bring in. graphql-js's OverlappingFieldsCanBeMerged compares every pair
 * of same-named fields there: 400 copies of one field (1,600 tokens, inside every other limit) took 0.7 s
 * of the main thread to validate, and an invalid document is validated again at every request.
 */
export const MAX_SAME_NAME_SELECTIONS = 10;

/**
 * Why a document is refused before it is validated, or null: a response name selected more than
 * MAX_SAME_NAME_SELECTIONS times in one selection set. Linear in the document: each selection set and
 * fragment is counted once, counts saturate at the limit. A syntax error is left to the parser.
 */
export function repeatedSelectionProblem(query: string): string | null {
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: GRAPHQL_LIMITS.maxTokens, noLocation: true });
  } catch {
    return null;
  }
  const fragments = new Map<string, SelectionSetNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition.selectionSet);
  }
  const counted = new Map<SelectionSetNode, Map<string, number>>();
  const inProgress = new Set<SelectionSetNode>();
  const countsOf = (set: SelectionSetNode): Map<string, number> => {
    const known = counted.get(set);
    if (known !== undefined) return known;
    const counts = new Map<string, number>();
    if (inProgress.has(set)) return counts; // a fragment cycle: validation reports it
    inProgress.add(set);
    const add = (name: string, n: number): void => {
      counts.set(name, Math.min(MAX_SAME_NAME_SELECTIONS + 1, (counts.get(name) ?? 0) + n));
    };
    // graphql-js compares a fragment spread once per selection set however often it is spread there.
    const spread = new Set<string>();
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) add((selection.alias ?? selection.name).value, 1);
      else if (selection.kind === Kind.FRAGMENT_SPREAD && spread.has(selection.name.value)) continue;
      else {
        if (selection.kind === Kind.FRAGMENT_SPREAD) spread.add(selection.name.value);
        const inner =
          selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragments.get(selection.name.value);
        if (inner !== undefined) for (const [name, n] of countsOf(inner)) add(name, n);
      }
    }
    inProgress.delete(set);
    counted.set(set, counts);
    return counts;
  };
  let problem: string | null = null;
  visit(document, {
    SelectionSet(set) {
      if (problem !== null) return BREAK;
      for (const [name, n] of countsOf(set)) {
        if (n > MAX_SAME_NAME_SELECTIONS) {
          problem = `'${name}' is selected more than ${MAX_SAME_NAME_SELECTIONS} times in one selection set (its fragments included); select each field once`;
          return BREAK;
        }
      }
      return undefined;
    },
  });
  return problem;
}
