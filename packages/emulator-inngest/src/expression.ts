/**
 * A small subset of CEL, the expression language Inngest uses for trigger
 * `if` filters, concurrency / idempotency keys and cancellation matches
 * (https://www.inngest.com/docs/guides/writing-expressions).
 *
 * Supported: field access (`event.data.id`, `event.data["id"]`), string /
 * number / bool / null literals, `+` (string concat or addition), `-`,
 * `== != < <= > >=`, `&& || !` and parentheses. Anything else is a parse
 * error, so a function using it is refused at sync instead of silently
 * matching everything.
 */

type Token =
  | { kind: "num"; value: number }
  | { kind: "str"; value: string }
  | { kind: "id"; value: string }
  | { kind: "op"; value: string };

/** Raised when an expression uses syntax outside the supported subset. */
export class ExpressionError extends Error {
  override name = "ExpressionError";
}

/** A compiled expression, evaluated against named roots such as `event` and `async`. */
export type CompiledExpression = (roots: Record<string, unknown>) => unknown;

const OPERATORS = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "(", ")", ".", "[", "]"];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === "'" || ch === '"') {
      let value = "";
      i++;
      while (i < source.length && source[i] !== ch) {
        if (source[i] === "\\" && i + 1 < source.length) i++;
        value += source[i];
        i++;
      }
      if (source[i] !== ch) throw new ExpressionError(`Unterminated string in ${source}`);
      i++;
      tokens.push({ kind: "str", value });
      continue;
    }
    const num = /^\d+(\.\d+)?/.exec(source.slice(i));
    if (num) {
      tokens.push({ kind: "num", value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
    if (ident) {
      tokens.push({ kind: "id", value: ident[0] });
      i += ident[0].length;
      continue;
    }
    const op = OPERATORS.find((candidate) => source.startsWith(candidate, i));
    if (!op) throw new ExpressionError(`Unsupported character "${ch}" in ${source}`);
    tokens.push({ kind: "op", value: op });
    i += op.length;
  }
  return tokens;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "object" && typeof b === "object" && a !== null && b !== null) {
    return JSON.stringify(a) === JSON.stringify(b);
  }
  return false;
}

function member(target: unknown, key: unknown): unknown {
  if (target === null || typeof target !== "object") return undefined;
  return (target as Record<string, unknown>)[String(key)];
}

/** Parses `source` into an evaluator; throws {@link ExpressionError} outside the subset. */
export function compileExpression(source: string): CompiledExpression {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = (value: string) => tokens[pos]?.kind === "op" && tokens[pos]?.value === value;
  const expect = (value: string) => {
    if (!peek(value)) throw new ExpressionError(`Expected "${value}" in ${source}`);
    pos++;
  };

  const binary = (
    next: () => CompiledExpression,
    ops: string[],
    apply: (op: string, a: CompiledExpression, b: CompiledExpression) => CompiledExpression,
  ) => {
    return (): CompiledExpression => {
      let left = next();
      while (ops.some(peek)) {
        const op = (tokens[pos++] as Token).value as string;
        left = apply(op, left, next());
      }
      return left;
    };
  };

  const primary = (): CompiledExpression => {
    const token = tokens[pos++];
    if (!token) throw new ExpressionError(`Unexpected end of ${source}`);
    if (token.kind === "num" || token.kind === "str") {
      const value = token.value;
      return () => value;
    }
    if (token.kind === "id") {
      const name = token.value;
      if (name === "true") return () => true;
      if (name === "false") return () => false;
      if (name === "null") return () => null;
      if (peek("(")) throw new ExpressionError(`Function calls are not supported: ${source}`);
      return (roots) => roots[name];
    }
    if (token.value === "(") {
      const inner = or();
      expect(")");
      return inner;
    }
    throw new ExpressionError(`Unexpected "${token.value}" in ${source}`);
  };

  const postfix = (): CompiledExpression => {
    let target = primary();
    for (;;) {
      if (peek(".")) {
        pos++;
        const name = tokens[pos++];
        if (name?.kind !== "id") throw new ExpressionError(`Expected a field name in ${source}`);
        const base = target;
        target = (roots) => member(base(roots), name.value);
      } else if (peek("[")) {
        pos++;
        const key = or();
        expect("]");
        const base = target;
        target = (roots) => member(base(roots), key(roots));
      } else {
        return target;
      }
    }
  };

  const unary = (): CompiledExpression => {
    if (peek("!")) {
      pos++;
      const inner = unary();
      return (roots) => !inner(roots);
    }
    if (peek("-")) {
      pos++;
      const inner = unary();
      return (roots) => -Number(inner(roots));
    }
    return postfix();
  };

  const additive = binary(unary, ["+", "-"], (op, a, b) =>
    op === "+"
      ? (roots) => {
          const x = a(roots);
          const y = b(roots);
          return typeof x === "number" && typeof y === "number" ? x + y : `${x ?? ""}${y ?? ""}`;
        }
      : (roots) => Number(a(roots)) - Number(b(roots)),
  );
  const relational = binary(additive, ["<=", ">=", "<", ">"], (op, a, b) => (roots) => {
    const x = a(roots) as number | string;
    const y = b(roots) as number | string;
    if (op === "<") return x < y;
    if (op === "<=") return x <= y;
    if (op === ">") return x > y;
    return x >= y;
  });
  const equality = binary(relational, ["==", "!="], (op, a, b) =>
    op === "==" ? (roots) => equal(a(roots), b(roots)) : (roots) => !equal(a(roots), b(roots)),
  );
  const and = binary(equality, ["&&"], (_op, a, b) => (roots) => Boolean(a(roots)) && Boolean(b(roots)));
  const or = binary(and, ["||"], (_op, a, b) => (roots) => Boolean(a(roots)) || Boolean(b(roots)));

  const compiled = or();
  if (pos !== tokens.length) throw new ExpressionError(`Unexpected trailing input in ${source}`);
  return compiled;
}

/**
 * The string form of an evaluated key expression (concurrency, idempotency):
 * strings as they are, anything else as JSON, a missing value as "".
 */
export function keyValue(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}
