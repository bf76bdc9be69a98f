import { AppError, ErrorCode, errorCodeOf, publicMessageOf } from '@slm/platform';
import { DOMAINS } from './domains';
import type { DomainClassifier } from './domain-classifier';

/** Options of {@link classifyLines}. */
export interface ClassifyLinesOptions {
  /**
   * `jsonl`: every line is an object with a string `text` (an `id` is echoed back); `text`: every
   * line is a text; `auto` (default): JSONL when the first non-blank line is a JSON object.
   */
  format?: 'auto' | 'jsonl' | 'text';
  /** Output lines are flushed in groups of this many. Default 256. */
  batchLines?: number;
}

const round = (x: number): number => Math.round(x * 10000) / 10000;

/**
 * Classifies a stream of lines into a stream of JSONL results, one output line per input line
 * and in input order: `{"line","domain","confidence","scores"}`, or `{"line","error":{code,message}}`
 * for a line that cannot be classified (bad JSON, no `text`, blank text). Nothing is dropped.
 * `write` may return a promise (backpressure); it is awaited before reading on.
 */
export async function classifyLines(
  lines: AsyncIterable<string>,
  classifier: DomainClassifier,
  write: (chunk: string) => void | Promise<void>,
  options: ClassifyLinesOptions = {},
): Promise<{ lines: number; errors: number }> {
  let format = options.format ?? 'auto';
  const batchLines = options.batchLines ?? 256;
  const p = new Float64Array(DOMAINS.length);
  let pending: string[] = [];
  let lineNo = 0;
  let errors = 0;
  for await (const raw of lines) {
    lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (format === 'auto' && line.trim() !== '') format = line.trimStart().startsWith('{') ? 'jsonl' : 'text';
    let out: Record<string, unknown> = { line: lineNo };
    try {
      let text: unknown = line;
      if (format === 'jsonl') {
        let record: unknown;
        try {
          record = JSON.parse(line);
        } catch {
          throw new AppError(ErrorCode.INVALID_ARGUMENT, 'line is not valid JSON');
        }
        if (record === null || typeof record !== 'object' || Array.isArray(record))
          throw new AppError(ErrorCode.INVALID_ARGUMENT, 'line is not a JSON object');
        const { id, text: field } = record as { id?: unknown; text?: unknown };
        if (id !== undefined) out = { line: lineNo, id };
        if (field === undefined) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'object has no "text" field');
        text = field;
      }
      classifier.probabilitiesInto(text, p);
      let best = 0;
      for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
      out.domain = DOMAINS[best];
      out.confidence = round(p[best]);
      out.scores = { math: round(p[0]), code: round(p[1]), science: round(p[2]), other: round(p[3]) };
    } catch (error) {
      errors++;
      out.error = { code: errorCodeOf(error), message: publicMessageOf(error) };
    }
    pending.push(JSON.stringify(out));
    if (pending.length >= batchLines) {
      await write(`${pending.join('\n')}\n`);
      pending = [];
    }
  }
  if (pending.length) await write(`${pending.join('\n')}\n`);
  return { lines: lineNo, errors };
}
