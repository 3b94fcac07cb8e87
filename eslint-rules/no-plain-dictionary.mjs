/**
 * local/no-plain-dictionary: outside data never keys a plain object. `{}[key]` answers Object.prototype's
 * members for `constructor`, `toString`, `__proto__` (so a meter named `constructor` once stopped billing),
 * and `obj['__proto__'] = v` is lost. With the types of the program, it reports:
 *   - `obj[key]` (read, write, `?.[]`) and `key in obj` where the key is an open `string` (not a union of
 *     literals, a number or a symbol): whatever the object, such a key may be any text;
 *   - `{}` made to be filled as a dictionary (a variable's, field's or accumulator's start whose type has a
 *     string index signature);
 *   - `const { [key]: value } = obj` with such a key (a read by another name);
 *   - `Object.fromEntries(…)`, which builds such a dictionary, and `Object.assign(target, source)` with a
 *     source that is not an object literal (it copies with [[Set]]: a `__proto__` key of parsed JSON sets
 *     the target's prototype).
 * Use a `Map`, or for an event's JSON a `JsonDictionary` made by `jsonDictionary` and read by `ownValue`
 * (`src/domain/json-dictionary.ts`). Where the keys are a closed set of the program's own
 * constants, disable it on the line and say why.
 */
import ts from 'typescript';
import { ESLintUtils } from '@typescript-eslint/utils';

const ADVICE = 'use a Map (or, in an event payload, jsonDictionary + ownValue)';

/** A key type that cannot be any text: literals (and unions of them), numbers, symbols, booleans. */
function isClosedKey(checker, type, depth = 0) {
  if (depth > 8) return false;
  const flags = type.flags;
  if (flags & (ts.TypeFlags.Never | ts.TypeFlags.NumberLike | ts.TypeFlags.BigIntLike | ts.TypeFlags.ESSymbolLike))
    return true;
  if (flags & (ts.TypeFlags.BooleanLike | ts.TypeFlags.StringLiteral | ts.TypeFlags.EnumLiteral)) return true;
  if (flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)) return true;
  // `keyof T`: the keys of a type the program declares.
  if (flags & ts.TypeFlags.Index) return true;
  if (type.isUnion() || type.isIntersection())
    return type.types.every((member) => isClosedKey(checker, member, depth + 1));
  if (flags & ts.TypeFlags.TypeParameter) {
    const constraint = checker.getBaseConstraintOfType(type);
    return constraint !== undefined && constraint !== type && isClosedKey(checker, constraint, depth + 1);
  }
  return false;
}

function hasStringIndex(checker, type) {
  const parts = type.isUnion() ? type.types : [type];
  return parts.some((part) => checker.getIndexInfoOfType(part, ts.IndexKind.String) !== undefined);
}

export const noPlainDictionary = {
  meta: {
    type: 'problem',
    docs: { description: 'outside data never keys a plain object' },
    messages: {
      openKey: "a plain object indexed by an open string key (it may be 'constructor' or '__proto__'): " + ADVICE,
      openIn: "'in' with an open string key answers true for 'constructor' or 'toString': " + ADVICE,
      emptyDictionary: 'a plain object made as a dictionary ({} typed with a string index): ' + ADVICE,
      fromEntries: 'Object.fromEntries builds a plain-object dictionary: use new Map(entries)',
      assign:
        "Object.assign copies with [[Set]]: a '__proto__' key of outside data sets the prototype; use a spread or a Map",
    },
    schema: [],
  },
  create(context) {
    const services = ESLintUtils.getParserServices(context);
    const checker = services.program.getTypeChecker();
    const typeOf = (node) => checker.getTypeAtLocation(services.esTreeNodeToTSNodeMap.get(node));
    return {
      MemberExpression(node) {
        if (!node.computed || node.property.type === 'Literal') return;
        if (!isClosedKey(checker, typeOf(node.property))) context.report({ node, messageId: 'openKey' });
      },
      Property(node) {
        if (node.parent.type !== 'ObjectPattern' || !node.computed || node.key.type === 'Literal') return;
        if (!isClosedKey(checker, typeOf(node.key))) context.report({ node, messageId: 'openKey' });
      },
      BinaryExpression(node) {
        if (node.operator !== 'in' || node.left.type === 'Literal' || node.left.type === 'PrivateIdentifier') return;
        if (!isClosedKey(checker, typeOf(node.left))) context.report({ node, messageId: 'openIn' });
      },
      ObjectExpression(node) {
        // `{}` made to be filled: a variable's, a field's or an accumulator's start (not `?? {}` or `...{}`).
        const made = ['VariableDeclarator', 'PropertyDefinition', 'AssignmentExpression'];
        const parent = node.parent;
        const accumulator =
          parent.type === 'CallExpression' &&
          parent.callee.type === 'MemberExpression' &&
          parent.callee.property.type === 'Identifier' &&
          parent.callee.property.name === 'reduce';
        if (node.properties.length > 0 || !(made.includes(parent.type) || accumulator)) return;
        const tsNode = services.esTreeNodeToTSNodeMap.get(node);
        const declared = checker.getContextualType(tsNode);
        if (declared !== undefined && hasStringIndex(checker, declared))
          context.report({ node, messageId: 'emptyDictionary' });
      },
      CallExpression(node) {
        const callee = node.callee;
        if (
          callee.type !== 'MemberExpression' ||
          callee.computed ||
          callee.object.type !== 'Identifier' ||
          callee.object.name !== 'Object' ||
          callee.property.type !== 'Identifier'
        )
          return;
        if (callee.property.name === 'fromEntries') context.report({ node, messageId: 'fromEntries' });
        if (callee.property.name === 'assign' && node.arguments.slice(1).some((a) => a.type !== 'ObjectExpression'))
          context.report({ node, messageId: 'assign' });
      },
    };
  },
};

export default { meta: { name: 'local' }, rules: { 'no-plain-dictionary': noPlainDictionary } };
