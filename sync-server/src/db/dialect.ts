// Translates the relay's SQLite statements to PostgreSQL. Deliberately small: it covers what
// the relay writes (tests run every statement against both engines) and refuses nothing
// silently; a statement it cannot place fails loudly in PostgreSQL, never differently.
//
// - `?` and `@name` parameters become `$n` (a named parameter repeated reuses its number);
// - `user` (a reserved word in PostgreSQL: `SELECT user` is the login role!) is quoted;
// - mixed-case aliases are quoted so rows keep their property names;
// - `INSERT OR IGNORE` becomes `ON CONFLICT DO NOTHING`;
// - `LIKE` becomes `ILIKE` (SQLite's LIKE ignores ASCII case);
// - in schema statements: BLOB → BYTEA, INTEGER → BIGINT, an AUTOINCREMENT key → BIGSERIAL,
//   STRICT and WITHOUT ROWID dropped.

export interface Translated {
  text: string;
  /** For named parameters: the name of each `$n`, in order. Null when positional. */
  names: string[] | null;
}

const cache = new Map<string, Translated>();

export function toPostgres(sql: string): Translated {
  const hit = cache.get(sql);
  if (hit) return hit;
  const translated = translate(sql);
  if (cache.size < 2_000) cache.set(sql, translated);
  return translated;
}

function translate(sql: string): Translated {
  let out = '';
  let positional = 0;
  const names: string[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      // A string literal or a quoted identifier: copied as it is ('' and "" escape themselves).
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
      continue;
    }
    if (c === '?') {
      out += `$${++positional}`;
      i++;
      continue;
    }
    if (c === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const m = /^[A-Za-z_]\w*/.exec(sql.slice(i + 1))!;
      let n = names.indexOf(m[0]);
      if (n < 0) n = names.push(m[0]) - 1;
      out += `$${n + 1}`;
      i += 1 + m[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(c) && !/[\w$]/.test(sql[i - 1] ?? ' ')) {
      const word = /^[A-Za-z_]\w*/.exec(sql.slice(i))![0];
      out += translateWord(word, out);
      i += word.length;
      continue;
    }
    out += c;
    i++;
  }
  if (positional > 0 && names.length > 0) {
    throw new Error(`a statement mixes ? and @name parameters: ${sql.slice(0, 80)}`);
  }
  let text = out
    .replace(/\bBIGINT PRIMARY KEY AUTOINCREMENT\b/g, 'BIGSERIAL PRIMARY KEY')
    .replace(/\)\s*STRICT\s*,\s*WITHOUT ROWID/g, ')')
    .replace(/\)\s*STRICT\b/g, ')');
  if (/^\s*INSERT OR IGNORE\b/i.test(text)) {
    text = text.replace(/^(\s*)INSERT OR IGNORE\b/i, '$1INSERT');
    text = /\bRETURNING\b/i.test(text)
      ? text.replace(/\s+RETURNING\b/i, ' ON CONFLICT DO NOTHING RETURNING')
      : `${text.replace(/[\s;]+$/, '')} ON CONFLICT DO NOTHING`;
  }
  return { text, names: names.length > 0 ? names : null };
}

function translateWord(word: string, before: string): string {
  const upper = word.toUpperCase();
  if (word === 'user') return '"user"';
  if (upper === 'LIKE') return 'ILIKE';
  if (upper === 'BLOB') return 'BYTEA';
  if (upper === 'INTEGER') return 'BIGINT';
  // An alias with capitals keeps them (PostgreSQL folds unquoted names to lower case).
  if (/[A-Z]/.test(word) && /[a-z]/.test(word) && /\bAS\s+$/i.test(before)) return `"${word}"`;
  return word;
}
