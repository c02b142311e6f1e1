// A JSON reader and writer that keep numbers as the text they were written as:
// DynamoDB numbers have up to 38 significant digits, which a JavaScript number
// (JSON.parse) would round. Parse errors carry the position, line and column.

/** A JSON number, kept as its source text. */
export class JsonNumber {
  constructor(text) {
    this.text = text;
  }
  toString() {
    return this.text;
  }
}

export class JsonParseError extends Error {
  constructor(message, text, position) {
    const before = text.slice(0, position);
    const line = before.split('\n').length;
    const column = position - before.lastIndexOf('\n');
    super(`${message} at line ${line}, column ${column} (position ${position})`);
    this.position = position;
    this.line = line;
    this.column = column;
  }
}

const ESCAPES = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Parses JSON text; numbers become JsonNumber. Throws JsonParseError. */
export function parseJson(text) {
  let i = 0;
  const fail = (message, at = i) => {
    throw new JsonParseError(message, text, at);
  };
  const space = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const describe = () => (i >= text.length ? 'end of input' : `'${text[i]}'`);

  function string() {
    const start = i;
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) fail('Unterminated string', start);
      const c = text[i];
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          const code = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(code)) fail('Invalid \\u escape in string');
          out += String.fromCharCode(parseInt(code, 16));
          i += 6;
        } else if (e in ESCAPES) {
          out += ESCAPES[e];
          i += 2;
        } else {
          fail('Invalid escape in string');
        }
      } else if (c < ' ') {
        fail('Control character in string (write it as an escape such as \\n)');
      } else {
        out += c;
        i++;
      }
    }
  }

  function number() {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!match || match[0] === '-') fail(`Unexpected ${describe()}`);
    i += match[0].length;
    return new JsonNumber(match[0]);
  }

  // DynamoDB nests 32 levels, which DynamoDB JSON writes as about 70 levels of
  // JSON ({"Item": {"a": {"M": {"b": {"M": ...}}}}}); the limit only keeps a
  // hostile file from exhausting the stack.
  function value(depth) {
    if (depth > 256) fail('Nested too deeply');
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj = {};
      space();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail(`Expected a property name in double quotes, found ${describe()}`);
        const keyAt = i;
        const key = string();
        if (Object.prototype.hasOwnProperty.call(obj, key)) fail(`Duplicate property "${key}"`, keyAt);
        space();
        if (text[i] !== ':') fail(`Expected ':' after a property name, found ${describe()}`);
        i++;
        Object.defineProperty(obj, key, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail(`Expected ',' or '}' in an object, found ${describe()}`);
      }
    }
    if (c === '[') {
      i++;
      const arr = [];
      space();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail(`Expected ',' or ']' in an array, found ${describe()}`);
      }
    }
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const [word, result] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return result;
      }
    }
    return fail(i >= text.length ? 'Unexpected end of input' : `Unexpected ${describe()}`);
  }

  const result = value(0);
  space();
  if (i < text.length) fail(`Unexpected ${describe()} after the JSON value`);
  return result;
}

/** JSON text of a value (JsonNumber written as is); `indent` spaces per level, 0 for one line. */
export function stringifyJson(value, indent = 2, level = 0) {
  const pad = indent ? '\n' + ' '.repeat(indent * (level + 1)) : '';
  const end = indent ? '\n' + ' '.repeat(indent * level) : '';
  const sep = indent ? ': ' : ':';
  if (value === null || value === undefined) return 'null';
  if (value instanceof JsonNumber) return value.text;
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return '[' + value.map((v) => pad + stringifyJson(v, indent, level + 1)).join(',') + end + ']';
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return '{}';
  return '{' + keys.map((k) => pad + JSON.stringify(k) + sep + stringifyJson(value[k], indent, level + 1)).join(',') + end + '}';
}
