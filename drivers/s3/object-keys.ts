/**
 * Object keys of an `s3` pattern, built from its template, and read back: an S3
 * notification carries the object's key, not its body, so the event id must be in the key.
 */

import { s3ObjectKeyForEvent } from './consumer-reader.ts';

const placeholder = /\{\{\s*(prefix|suffix|key|seq)\s*\}\}/g;

export interface KeySpec {
  keyTemplate: string;
  prefixes: readonly string[];
  suffixes: readonly string[];
}

/**
 * The key of event `id`: prefixes cycle fastest, then suffixes, so every combination comes
 * up in turn.
 *
 * @example
 * objectKeyFor({ keyTemplate: '{{ prefix }}{{ seq }}{{ suffix }}', prefixes: ['a/', 'b/'], suffixes: ['.json'] }, 3, 'key-1'); // 'b/3.json'
 */
export function objectKeyFor(spec: KeySpec, id: number, eventKey: string): string {
  const prefix = spec.prefixes[id % spec.prefixes.length]!;
  const suffix = spec.suffixes[Math.floor(id / spec.prefixes.length) % spec.suffixes.length]!;
  return spec.keyTemplate.replace(placeholder, (_, name: string) => (name === 'prefix' ? prefix : name === 'suffix' ? suffix : name === 'key' ? eventKey : String(id)));
}

/**
 * The key of event `id` when a consumer sluice does not run reads it (a managed stack's
 * Lambda): that consumer takes the event id and send time from the key's last segment,
 * which starts `<sentAtMs>-<id>` ({@link s3ObjectKeyForEvent}). So the key keeps what the
 * template puts before `{{ seq }}` — prefixes and keys, which spread the load over S3's
 * per-prefix rates — as its "directory", then that segment, then what the template puts
 * after `{{ seq }}` (the suffixes), so the stack's notification filter sees the same
 * prefixes and suffixes as the embedded target's.
 *
 * @example
 * remoteObjectKeyFor({ keyTemplate: '{{ prefix }}{{ key }}/{{ seq }}{{ suffix }}', prefixes: ['in/'], suffixes: ['.json'] }, 17, 'key-3', 1767225600000);
 * // 'in/key-3/1767225600000-17.json'
 */
export function remoteObjectKeyFor(spec: KeySpec, id: number, eventKey: string, sentAtMs: number): string {
  const seq = /\{\{\s*seq\s*\}\}/.exec(spec.keyTemplate);
  const seqAt = seq?.index ?? spec.keyTemplate.length;
  const head = objectKeyFor({ ...spec, keyTemplate: spec.keyTemplate.slice(0, seqAt) }, id, eventKey);
  const tail = seq ? objectKeyFor({ ...spec, keyTemplate: spec.keyTemplate.slice(seqAt + seq[0].length) }, id, eventKey) : '';
  // The consumer reads only the last segment: a head that does not end a segment becomes one.
  const directory = head === '' || head.endsWith('/') ? head : `${head}/`;
  return s3ObjectKeyForEvent({ prefix: directory, suffix: tail.replaceAll('/', '-'), eventId: id, sentAtMs });
}

/**
 * Reads the event id back from a key made by {@link objectKeyFor}; undefined for a key it
 * did not make. `{{ key }}` values are the workload's `key-N` names.
 */
export function idReaderFor(spec: KeySpec): (objectKey: string) => number | undefined {
  const alternatives = (values: readonly string[]) => `(?:${[...values].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|')})`;
  let source = '';
  let last = 0;
  for (const match of spec.keyTemplate.matchAll(placeholder)) {
    source += escapeRegExp(spec.keyTemplate.slice(last, match.index));
    const name = match[1];
    source += name === 'prefix' ? alternatives(spec.prefixes) : name === 'suffix' ? alternatives(spec.suffixes) : name === 'key' ? 'key-\\d+' : '(\\d+)';
    last = match.index! + match[0].length;
  }
  source += escapeRegExp(spec.keyTemplate.slice(last));
  const pattern = new RegExp(`^${source}$`);
  return (objectKey) => {
    const match = pattern.exec(objectKey);
    return match ? Number(match[1]) : undefined;
  };
}

/**
 * Why a template's keys could not be read back unambiguously, or undefined when they can:
 * `{{ seq }}` must not touch digits from a neighbouring placeholder.
 */
export function keyTemplateProblem(spec: KeySpec): string | undefined {
  const seqCount = [...spec.keyTemplate.matchAll(/\{\{\s*seq\s*\}\}/g)].length;
  if (seqCount !== 1) return 'must contain {{ seq }} exactly once';
  const compact = spec.keyTemplate.replace(placeholder, (_, name: string) => `\u0000${name}\u0000`);
  if (/\u0000(key|seq)\u0000\u0000seq\u0000|\u0000seq\u0000\u0000(key|seq)\u0000/.test(compact)) return '{{ seq }} must not sit right next to {{ key }}: the digits would run together';
  if (/\u0000prefix\u0000\u0000seq\u0000/.test(compact) && spec.prefixes.some((prefix) => /\d$/.test(prefix))) return 'a prefix ending in a digit right before {{ seq }} makes ids ambiguous';
  if (/\u0000seq\u0000\u0000suffix\u0000/.test(compact) && spec.suffixes.some((suffix) => /^\d/.test(suffix))) return 'a suffix starting with a digit right after {{ seq }} makes ids ambiguous';
  if (/\u0000seq\u0000\d|\d\u0000seq\u0000/.test(compact)) return '{{ seq }} must not touch a digit in the template';
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
