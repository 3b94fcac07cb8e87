import { BREAK, visit, type DocumentNode } from 'graphql';

/**
 * Caps on what one operation may carry, in bytes and entries, checked before anything is made of it:
 * the variables and extensions as the JSON they arrived in (before the document is parsed), the
 * literals written in the document (after it is validated, before any resolver runs).
 */
export interface ValueLimits {
  /** Bytes (UTF-8) of one string: an argument's, a variable's, or any string inside them. */
  maxStringBytes: number;
  /** Entries of one list (and keys of one object), in variables or written inline. */
  maxListLength: number;
}

/** How deep variables may nest: the deepest input here (a format's channel kinds) is 3 levels. */
export const MAX_VALUE_DEPTH = 16;
/** The longest key of an object in variables: GraphQL names are short. */
const MAX_KEY_CHARS = 256;
/** Entries in all of one request's variables together, as a multiple of the list cap. */
const TOTAL_VALUES_PER_LIST = 32;

/** Bytes of `text` in UTF-8, counted only when its length alone cannot settle the comparison. */
export function overBytes(text: string, max: number): number | null {
  if (text.length > max) return Math.max(text.length, Buffer.byteLength(text, 'utf8'));
  if (text.length * 3 <= max) return null;
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes > max ? bytes : null;
}

/** A plain JSON object (not an upload, a promise or another class's instance). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/**
 * Why a JSON value a client sent beside the document (`variables`, `extensions`) is refused, or null:
 * a string over its bytes, a list or object over its entries, nesting over MAX_VALUE_DEPTH, or more
 * entries in all than the lists may add up to. Walked with a stack of its own: any depth costs no
 * call stack, and the walk stops at the first problem.
 */
export function jsonValueProblem(value: unknown, name: string, limits: ValueLimits): string | null {
  const maxTotal = limits.maxListLength * TOTAL_VALUES_PER_LIST;
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: name, depth: 0 }];
  let total = 0;
  while (stack.length > 0) {
    const { value: current, path, depth } = stack.pop()!;
    total += 1;
    if (total > maxTotal) {
      return `${name} holds more than ${maxTotal} values in all (${TOTAL_VALUES_PER_LIST} x GRAPHQL_MAX_LIST_LENGTH); send fewer at a time`;
    }
    if (typeof current === 'string') {
      const bytes = overBytes(current, limits.maxStringBytes);
      if (bytes !== null) {
        return `${path} is a string of ${bytes} bytes; a string may have at most ${limits.maxStringBytes} (GRAPHQL_MAX_STRING_BYTES)`;
      }
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= MAX_VALUE_DEPTH) {
      return `${path} nests deeper than ${MAX_VALUE_DEPTH} levels; no argument here takes that`;
    }
    if (Array.isArray(current)) {
      if (current.length > limits.maxListLength) {
        return `${path} is a list of ${current.length} items; a list may have at most ${limits.maxListLength} (GRAPHQL_MAX_LIST_LENGTH): send fewer at a time`;
      }
      for (let i = current.length - 1; i >= 0; i -= 1) {
        stack.push({ value: current[i], path: `${path}[${i}]`, depth: depth + 1 });
      }
      continue;
    }
    // An upload's placeholder (graphql-upload-minimal's Upload) is the file, not JSON.
    if (!isPlainObject(current)) continue;
    const fields = Object.entries(current);
    if (fields.length > limits.maxListLength) {
      return `${path} is an object of ${fields.length} fields; at most ${limits.maxListLength} (GRAPHQL_MAX_LIST_LENGTH)`;
    }
    for (const [key, value] of fields) {
      if (key.length > MAX_KEY_CHARS) {
        return `${path} has a field name of ${key.length} characters; at most ${MAX_KEY_CHARS}`;
      }
      stack.push({ value, path: `${path}.${key}`, depth: depth + 1 });
    }
  }
  return null;
}

/**
 * Why a literal written in the document is refused, or null: a string (or a number or enum name) over
 * its bytes, a list over its entries. The message names the argument (and its field or directive) or
 * the variable whose default it is.
 */
export function literalProblem(document: DocumentNode, limits: ValueLimits): string | null {
  let problem: string | null = null;
  const owners: string[] = [];
  const where = (): string => owners[owners.length - 1] ?? 'an argument';
  const scalar = (node: { value: string }): unknown => {
    const bytes = overBytes(node.value, limits.maxStringBytes);
    if (bytes === null) return undefined;
    problem = `${where()} is a value of ${bytes} bytes; a string argument may have at most ${limits.maxStringBytes} (GRAPHQL_MAX_STRING_BYTES)`;
    return BREAK;
  };
  const fields: string[] = [];
  visit(document, {
    Field: {
      enter: (node) => void fields.push(node.name.value),
      leave: () => void fields.pop(),
    },
    Argument: {
      enter: (node) => {
        const field = fields[fields.length - 1];
        owners.push(`argument ${node.name.value}${field === undefined ? '' : ` of ${field}`}`);
      },
      leave: () => void owners.pop(),
    },
    VariableDefinition: {
      enter: (node) => void owners.push(`the default of $${node.variable.name.value}`),
      leave: () => void owners.pop(),
    },
    StringValue: scalar,
    IntValue: scalar,
    FloatValue: scalar,
    EnumValue: scalar,
    ListValue: (node) => {
      if (node.values.length <= limits.maxListLength) return undefined;
      problem = `${where()} is a list of ${node.values.length} items; a list argument may have at most ${limits.maxListLength} (GRAPHQL_MAX_LIST_LENGTH): send fewer at a time`;
      return BREAK;
    },
    ObjectValue: (node) => {
      if (node.fields.length <= limits.maxListLength) return undefined;
      problem = `${where()} is an object of ${node.fields.length} fields; at most ${limits.maxListLength} (GRAPHQL_MAX_LIST_LENGTH)`;
      return BREAK;
    },
  });
  return problem;
}

/**
 * Entries of every list in a JSON value (a variable's), nested lists and lists inside objects included:
 * what a list argument adds to a query's cost. Walked with a stack of its own.
 */
export function jsonListEntries(value: unknown): number {
  let entries = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (Array.isArray(current)) {
      entries += current.length;
      for (const item of current) if (typeof item === 'object' && item !== null) stack.push(item);
    } else if (isPlainObject(current)) {
      for (const item of Object.values(current)) if (typeof item === 'object' && item !== null) stack.push(item);
    }
  }
  return entries;
}
