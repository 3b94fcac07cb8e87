/**
 * Applies an update pipeline ($set / $unset stages) to a document, evaluating the few aggregation
 * expressions the MongoDB adapter's updates use: field paths, `$$NOW`, `$cond`, `$lt`, `$gte`, `$eq`,
 * `$or`, `$and`, `$ifNull`, `$max`, `$add`. Comparison follows BSON's order of types (missing and null first, then numbers, strings,
 * dates). For unit tests of the adapter's update logic where no server can run.
 */
type Doc = Record<string, unknown>;

const MISSING = Symbol('missing');

function rank(value: unknown): number {
  if (value === MISSING || value === null || value === undefined) return 0;
  if (typeof value === 'number') return 1;
  if (typeof value === 'string') return 2;
  if (value instanceof Date) return 3;
  throw new Error(`no BSON order for ${String(value)}`);
}

function compare(a: unknown, b: unknown): number {
  const ranks = rank(a) - rank(b);
  if (ranks !== 0) return ranks;
  if (rank(a) === 0) return 0;
  const left = a instanceof Date ? a.getTime() : (a as number | string);
  const right = b instanceof Date ? b.getTime() : (b as number | string);
  return left < right ? -1 : left > right ? 1 : 0;
}

function evaluate(expression: unknown, doc: Doc, now: Date): unknown {
  if (typeof expression === 'string') {
    if (expression === '$$NOW') return now;
    if (expression.startsWith('$')) return expression.slice(1) in doc ? doc[expression.slice(1)] : MISSING;
    return expression;
  }
  if (expression === null || typeof expression !== 'object' || expression instanceof Date) return expression;
  const [operator, operands] = Object.entries(expression)[0] as [string, unknown[]];
  const values = () => operands.map((operand) => evaluate(operand, doc, now));
  switch (operator) {
    case '$cond': {
      const [condition, then, otherwise] = operands;
      return evaluate(condition, doc, now) === true ? evaluate(then, doc, now) : evaluate(otherwise, doc, now);
    }
    case '$lt': {
      const [a, b] = values();
      return compare(a, b) < 0;
    }
    case '$eq': {
      const [a, b] = values();
      return compare(a, b) === 0;
    }
    case '$gte': {
      const [a, b] = values();
      return compare(a, b) >= 0;
    }
    case '$or':
      return values().some((value) => value === true);
    case '$and':
      return values().every((value) => value === true);
    case '$ifNull': {
      const [value, otherwise] = values();
      return value === MISSING || value === null ? otherwise : value;
    }
    case '$max':
      return values().reduce((a, b) => (compare(a, b) >= 0 ? a : b));
    case '$add': {
      const [a, b] = values() as [Date | number, number];
      return a instanceof Date ? new Date(a.getTime() + b) : a + b;
    }
    default:
      throw new Error(`operator ${operator} is not evaluated here`);
  }
}

/** The document after the pipeline (an upsert starts from `{ _id }`); fields evaluated to missing are removed. */
export function applyPipeline(doc: Doc, pipeline: readonly Doc[], now: Date): Doc {
  let current: Doc = { ...doc };
  for (const stage of pipeline) {
    if ('$set' in stage) {
      const next: Doc = { ...current };
      for (const [field, expression] of Object.entries(stage.$set as Doc)) {
        const value = evaluate(expression, current, now);
        if (value === MISSING) delete next[field];
        else next[field] = value;
      }
      current = next;
    } else if ('$unset' in stage) {
      current = { ...current };
      const fields = stage.$unset as string | string[];
      for (const field of typeof fields === 'string' ? [fields] : fields) delete current[field];
    } else throw new Error(`stage ${Object.keys(stage)[0]} is not applied here`);
  }
  return current;
}
