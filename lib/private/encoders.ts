/**
 * The one encoder per format: every value a renderer writes into shell, a systemd unit, YAML or TOML goes
 * through the function for that format here. Pure, no imports. Values may hold CDK token markers
 * (`${Token[TOKEN.1]}`), which none of these encoders changes: a token is either carried as data (the
 * boothook's deploy-time values) or known to be produced by AWS (see lib/private/deploy-time.ts).
 */

/** Quote a value as one bash word: single quotes, with any `'` written as `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Escape a value for a double-quoted systemd `Environment=` assignment: `\` and `"` are
 * backslash-escaped, and `%` becomes `%%` because systemd expands `%` specifiers in unit files.
 */
export function systemdQuote(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%');
}

/**
 * A YAML double-quoted scalar, written as a JSON string (YAML 1.2 is a superset of JSON): `"` and `\`
 * escaped, control characters and everything outside ASCII as `\uXXXX` (YAML 1.1 parsers, such as the
 * one behind nodeadm's `sigs.k8s.io/yaml`, read U+0085, U+2028 and U+2029 as line breaks), so the
 * scalar is one line and `on`, `yes` or `1.10` stay strings.
 */
export function yamlString(value: string): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** TOML's short escapes (TOML 1.0.0, "String": `\b \t \n \f \r \" \\`). */
const SHORT_ESCAPES: Record<string, string> = {
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\f': '\\f',
  '\r': '\\r',
  '"': '\\"',
  '\\': '\\\\',
};

/**
 * A TOML basic string (`"..."`). TOML 1.0.0 requires escaping the quotation mark, the backslash and the
 * control characters U+0000–U+001F and U+007F (tab may stay literal; it is escaped here too). Every other
 * character, token markers included, is written as is.
 */
export function tomlString(value: string): string {
  const escaped = value.replace(
    // eslint-disable-next-line no-control-regex -- the control characters are exactly what TOML requires escaped
    /["\\\u0000-\u001f\u007f]/g,
    (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
  return `"${escaped}"`;
}

/** A TOML key: bare when it only has `A-Za-z0-9_-` (TOML 1.0.0, "Keys"), else a quoted basic string. */
export function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}
