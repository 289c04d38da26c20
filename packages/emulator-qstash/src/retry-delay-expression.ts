/**
 * Evaluator for `Upstash-Retry-Delay` expressions: arithmetic over numbers and the variable
 * `retried`, with the functions pow sqrt abs exp floor ceil round min max, result in
 * milliseconds (OA Upstash-Retry-Delay; SDK JSDoc QT:2309-2340). Parsed once by a small recursive
 * descent parser into a closure: no `eval`, no property access, nothing but these names.
 *
 * Grammar (usual precedence, left associative):
 *   expr   := term (("+" | "-") term)*
 *   term   := unary (("*" | "/" | "%") unary)*
 *   unary  := ("+" | "-") unary | call
 *   call   := number | "retried" | name "(" expr ("," expr)* ")" | "(" expr ")"
 */

export type RetryDelayFn = (retried: number) => number;

export class RetryDelayExpressionError extends Error {
  constructor(expression: string, reason: string) {
    super(`invalid retry delay expression ${JSON.stringify(expression)}: ${reason}`);
    this.name = "RetryDelayExpressionError";
  }
}

/** QStash evaluates in Go; `round` there rounds half away from zero, unlike Math.round. */
const roundHalfAwayFromZero = (x: number) => Math.sign(x) * Math.round(Math.abs(x));

const FUNCTIONS: Record<string, { arity: number; fn: (...args: number[]) => number }> = {
  pow: { arity: 2, fn: (x, y) => x ** y },
  sqrt: { arity: 1, fn: Math.sqrt },
  abs: { arity: 1, fn: Math.abs },
  exp: { arity: 1, fn: Math.exp },
  floor: { arity: 1, fn: Math.floor },
  ceil: { arity: 1, fn: Math.ceil },
  round: { arity: 1, fn: roundHalfAwayFromZero },
  min: { arity: 2, fn: Math.min },
  max: { arity: 2, fn: Math.max },
};

type Token =
  | { kind: "number"; value: number }
  | { kind: "name"; value: string }
  | { kind: "symbol"; value: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)|([A-Za-z_]\w*)|([-+*/%(),]))/y;
  let index = 0;
  while (index < expression.length) {
    if (/^\s*$/.test(expression.slice(index))) break;
    pattern.lastIndex = index;
    const match = pattern.exec(expression);
    if (!match) throw new RetryDelayExpressionError(expression, `unexpected character at ${index}`);
    if (match[1] !== undefined) tokens.push({ kind: "number", value: Number(match[1]) });
    else if (match[2] !== undefined) tokens.push({ kind: "name", value: match[2] });
    else tokens.push({ kind: "symbol", value: match[3] as string });
    index = pattern.lastIndex;
  }
  return tokens;
}

/** Compiles an expression; throws RetryDelayExpressionError when it is not one. */
export function compileRetryDelay(expression: string): RetryDelayFn {
  const tokens = tokenize(expression);
  let position = 0;
  const fail = (reason: string): never => {
    throw new RetryDelayExpressionError(expression, reason);
  };
  const peek = () => tokens[position];
  const isSymbol = (value: string) => {
    const token = peek();
    return token?.kind === "symbol" && token.value === value;
  };
  const expect = (value: string) => {
    if (!isSymbol(value)) fail(`expected "${value}"`);
    position += 1;
  };

  const parseExpr = (): RetryDelayFn => {
    let left = parseTerm();
    while (isSymbol("+") || isSymbol("-")) {
      const op = (tokens[position++] as Token).value;
      const l = left;
      const r = parseTerm();
      left = op === "+" ? (n) => l(n) + r(n) : (n) => l(n) - r(n);
    }
    return left;
  };
  const parseTerm = (): RetryDelayFn => {
    let left = parseUnary();
    while (isSymbol("*") || isSymbol("/") || isSymbol("%")) {
      const op = (tokens[position++] as Token).value;
      const l = left;
      const r = parseUnary();
      left = op === "*" ? (n) => l(n) * r(n) : op === "/" ? (n) => l(n) / r(n) : (n) => l(n) % r(n);
    }
    return left;
  };
  const parseUnary = (): RetryDelayFn => {
    if (isSymbol("-")) {
      position += 1;
      const operand = parseUnary();
      return (n) => -operand(n);
    }
    if (isSymbol("+")) {
      position += 1;
      return parseUnary();
    }
    return parsePrimary();
  };
  const parsePrimary = (): RetryDelayFn => {
    const token = peek();
    if (!token) return fail("unexpected end");
    position += 1;
    if (token.kind === "number") {
      const value = token.value;
      return () => value;
    }
    if (token.kind === "symbol") {
      if (token.value !== "(") return fail(`unexpected "${token.value}"`);
      const inner = parseExpr();
      expect(")");
      return inner;
    }
    if (token.value === "retried") return (n) => n;
    const fn = FUNCTIONS[token.value];
    if (!fn || !Object.hasOwn(FUNCTIONS, token.value)) return fail(`unknown name "${token.value}"`);
    expect("(");
    const args = [parseExpr()];
    while (isSymbol(",")) {
      position += 1;
      args.push(parseExpr());
    }
    expect(")");
    if (args.length !== fn.arity) fail(`${token.value} takes ${fn.arity} argument(s), got ${args.length}`);
    return (n) => fn.fn(...args.map((arg) => arg(n)));
  };

  if (tokens.length === 0) fail("empty expression");
  const compiled = parseExpr();
  if (position !== tokens.length) fail(`unexpected "${(peek() as Token).value}"`);
  return compiled;
}
