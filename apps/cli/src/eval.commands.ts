import * as fs from 'node:fs';
import { Command, Option } from 'commander';
import type { Result } from '@slm/contracts';
import { mathAnswerKey } from '@slm/verification';
import { ExitCode, commandGroup, integer, withExitCodes } from './cli-options';
import { defaultRouterUrl } from './router-client';

/** One problem of the data file. */
export interface EvalProblem {
  /** 1-based line of the JSONL file. */
  line: number;
  problem: string;
  /** The gold answer, GSM8K's `… #### 42` already cut to `42`. */
  gold: string;
}

/** A line that is not a problem, skipped. */
export interface SkippedLine {
  line: number;
  reason: string;
}

/** A problem the router did not solve. `status` 0: no HTTP answer at all (unreachable, connection reset). */
export interface EvalError {
  line: number;
  status: number;
  code: string;
  message: string;
}

/** What came back for one problem: the router's Result (JSON, camelCase) or the failure. */
export type EvalOutcome = { line: number; gold: string } & ({ result: Result } | { error: EvalError });

export interface MathEvalReport {
  samples: number;
  /** Problems sent (scored + errors). */
  problems: number;
  scored: number;
  /** Mean over the scored problems of the share of their finished samples whose answer is right (k = 1: the answer is right). */
  passAt1: number | null;
  /** Share of the scored problems whose returned (voted) answer is right. */
  majorityAtK: number | null;
  /** Scored problems that came back without an answer. */
  noAnswer: number;
  /** Mean vote share of the returned answer over the problems that were voted on. */
  meanVoteShare: number | null;
  errors: { count: number; byCode: Record<string, number>; problems: EvalError[] };
  skippedLines: SkippedLine[];
  /** True when any answer came from a model with random weights: the accuracy means nothing. */
  syntheticWeights: boolean;
}

/** The gold answer of a line: what follows the last `####` (GSM8K), else the whole string, trimmed. */
export function goldAnswer(raw: string): string {
  const mark = raw.lastIndexOf('####');
  return (mark < 0 ? raw : raw.slice(mark + 4)).trim();
}

/** One JSONL line: `{"problem"|"question": string, "answer": string|number}`; a string is the reason it is not a problem. */
export function parseProblemLine(text: string, line: number): EvalProblem | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const { problem, question, answer } = value as Record<string, unknown>;
  const textOf = typeof problem === 'string' ? problem : question;
  if (typeof textOf !== 'string' || textOf.trim() === '') return 'no "problem" (or "question") string';
  const gold = typeof answer === 'number' ? String(answer) : typeof answer === 'string' ? goldAnswer(answer) : '';
  if (gold === '') return 'no "answer" string';
  return { line, problem: textOf, gold };
}

/** Reads the data file: the problems (the first `limit`) and the lines skipped. Blank lines are ignored. */
export function readProblems(file: string, limit = Number.POSITIVE_INFINITY): { problems: EvalProblem[]; skippedLines: SkippedLine[] } {
  const problems: EvalProblem[] = [];
  const skippedLines: SkippedLine[] = [];
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  for (let index = 0; index < lines.length && problems.length < limit; index++) {
    if (lines[index]!.trim() === '') continue;
    const parsed = parseProblemLine(lines[index]!, index + 1);
    if (typeof parsed === 'string') skippedLines.push({ line: index + 1, reason: parsed });
    else problems.push(parsed);
  }
  return { problems, skippedLines };
}

const isRight = (value: string | undefined, goldKey: string): boolean => Boolean(value) && mathAnswerKey(value!) === goldKey;

/** The share of a problem's finished samples that reached the gold answer; one sample: whether its answer is right. */
function samplesRight(result: Result, goldKey: string): number {
  const verification = result.verification;
  if (!verification?.samples) return isRight(result.extracted?.value, goldKey) ? 1 : 0;
  const right = (verification.answers ?? [])
    .filter((answer) => isRight(answer.value, goldKey))
    .reduce((sum, answer) => sum + (answer.count ?? 0), 0);
  return right / verification.samples;
}

const mean = (values: number[]): number | null =>
  values.length === 0 ? null : Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 1000) / 1000;

/** Scores what came back against the gold answers (pure: no I/O). */
export function scoreMathEval(outcomes: readonly EvalOutcome[], samples: number, skippedLines: SkippedLine[] = []): MathEvalReport {
  const passAt1: number[] = [];
  const majority: number[] = [];
  const voteShares: number[] = [];
  const errors: EvalError[] = [];
  let noAnswer = 0;
  let syntheticWeights = false;
  for (const outcome of outcomes) {
    if ('error' in outcome) {
      errors.push(outcome.error);
      continue;
    }
    const { result } = outcome;
    const goldKey = mathAnswerKey(outcome.gold);
    passAt1.push(samplesRight(result, goldKey));
    majority.push(isRight(result.extracted?.value, goldKey) ? 1 : 0);
    if (!result.extracted?.value) noAnswer++;
    if (result.verification?.samples) voteShares.push(Number(result.verification.voteShare ?? 0));
    syntheticWeights ||= result.syntheticWeights === true;
  }
  const byCode: Record<string, number> = {};
  for (const error of errors) {
    const key = error.status === 0 ? error.code : `HTTP ${error.status} ${error.code}`;
    byCode[key] = (byCode[key] ?? 0) + 1;
  }
  return {
    samples,
    problems: outcomes.length,
    scored: passAt1.length,
    passAt1: mean(passAt1),
    majorityAtK: mean(majority),
    noAnswer,
    meanVoteShare: mean(voteShares),
    errors: { count: errors.length, byCode, problems: errors },
    skippedLines,
    syntheticWeights,
  };
}

interface SolveSettings {
  url: string;
  samples: number;
  maxNewTokens?: number;
}

/** `POST /v1/solve` for one problem; every failure becomes an `EvalError`, never an exception. */
async function solveProblem(problem: EvalProblem, settings: SolveSettings): Promise<EvalOutcome> {
  const options = { samples: settings.samples, ...(settings.maxNewTokens ? { maxNewTokens: settings.maxNewTokens } : {}) };
  const failed = (status: number, code: string, message: string): EvalOutcome => ({
    line: problem.line,
    gold: problem.gold,
    error: { line: problem.line, status, code, message },
  });
  let res: Response;
  try {
    res = await fetch(`${settings.url}/v1/solve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: problem.problem, domain: 'math', options }),
    });
  } catch (error) {
    const cause = (error as Error).cause;
    return failed(0, 'UNREACHABLE', cause ? String(cause) : (error as Error).message);
  }
  const body = await res.text();
  try {
    const json = JSON.parse(body) as { result?: Result; error?: { code?: string; message?: string } };
    if (res.ok && json.result) return { line: problem.line, gold: problem.gold, result: json.result };
    return failed(res.status, json.error?.code ?? 'UNKNOWN', json.error?.message ?? body.slice(0, 200));
  } catch {
    return failed(res.status, 'UNKNOWN', body.slice(0, 200));
  }
}

/** Solves the problems with `concurrency` requests in flight; outcomes in input order. */
async function solveAll(
  problems: readonly EvalProblem[],
  settings: SolveSettings,
  concurrency: number,
  onDone: (done: number) => void,
): Promise<EvalOutcome[]> {
  const outcomes: EvalOutcome[] = new Array(problems.length);
  let next = 0;
  let done = 0;
  const client = async (): Promise<void> => {
    while (next < problems.length) {
      const index = next++;
      outcomes[index] = await solveProblem(problems[index]!, settings);
      onDone(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, problems.length) }, client));
  return outcomes;
}

function printSummary(report: MathEvalReport, file: string): void {
  const figure = (value: number | null): string => (value === null ? '-' : value.toFixed(3));
  const lines = [
    `math eval of ${file}: ${report.problems} problems, ${report.scored} scored, ${report.samples} sample(s) each`,
    `  pass@1       ${figure(report.passAt1)}  (from the samples)`,
    `  majority@${String(report.samples).padEnd(3)} ${figure(report.majorityAtK)}`,
    `  no answer    ${report.noAnswer}`,
    `  vote share   ${figure(report.meanVoteShare)}  (mean)`,
    `  errors       ${report.errors.count}${
      report.errors.count
        ? `  (${Object.entries(report.errors.byCode)
            .map(([code, n]) => `${code} ×${n}`)
            .join(', ')})`
        : ''
    }`,
    ...report.skippedLines.map((skipped) => `  skipped line ${skipped.line}: ${skipped.reason}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

interface EvalMathFlags {
  data: string;
  samples: number;
  url: string;
  limit?: number;
  concurrency: number;
  maxNewTokens?: number;
  json?: boolean;
}

/** `slm eval math`: accuracy of the math route on a labelled JSONL file, through the router's REST API. */
export function registerEvalCommands(program: Command): void {
  const math = commandGroup(program, 'eval', 'accuracy on labelled data sets, through the router').command('math');
  withExitCodes(math, {
    [ExitCode.ERROR]:
      'the command failed: the data file is unreadable or has no problem, or no problem could be scored (the report is printed first)',
    [ExitCode.PARTIAL_FAILURE]: 'the report is printed, but some problems were not scored: HTTP errors, or JSONL lines skipped',
  });
  math
    .description(
      'send each problem of a JSONL file to POST /v1/solve (domain math, options.samples = k) and score the answers against the gold ones ' +
        '(equivalent answers count: 1/2 = 0.5 = \\frac{1}{2}). Each line: {"problem": string, "answer": string} ("question" is read where ' +
        '"problem" is missing; a GSM8K answer "… #### 42" is scored as 42). A line that is not such an object is skipped and reported with its number ' +
        '(exit code 3). Prints pass@1 (from the samples), majority@k (the returned answer), problems with no answer, the mean vote share and the errors',
    )
    .requiredOption('--data <file>', 'JSONL file of problems and gold answers')
    .option('--samples <k>', 'self-consistency samples per problem (1..16)', integer(1, 16), 1)
    .addOption(
      new Option('--url <url>', 'router base URL; unset: $SLM_ROUTER_URL, else http://127.0.0.1:$ROUTER_HTTP_PORT').default(
        defaultRouterUrl(),
      ),
    )
    .option('--limit <n>', 'the first n problems only', integer(1))
    .option('--concurrency <n>', 'problems in flight at once', integer(1), 2)
    .option('--max-new-tokens <n>', 'upper bound on generated tokens per sample', integer(1))
    .option('--json', 'print one JSON object (the report, with data and url)')
    .action(evalMath);
}

/** `slm eval math`: solves every problem through the router, scores the answers and prints the report. */
async function evalMath(flags: EvalMathFlags): Promise<void> {
  if (!fs.existsSync(flags.data)) throw new Error(`${flags.data}: no such file`);
  const { problems, skippedLines } = readProblems(flags.data, flags.limit);
  if (problems.length === 0)
    throw new Error(
      `${flags.data}: no problem in the file${skippedLines.length ? ` (${skippedLines.length} lines skipped, the first: line ${skippedLines[0]!.line}: ${skippedLines[0]!.reason})` : ''}`,
    );
  const progress = !flags.json && process.stderr.isTTY;
  const outcomes = await solveAll(
    problems,
    { url: flags.url, samples: flags.samples, maxNewTokens: flags.maxNewTokens },
    flags.concurrency,
    (done) => {
      if (progress) process.stderr.write(`\r${done}/${problems.length} problems`);
    },
  );
  if (progress) process.stderr.write('\n');
  const report = scoreMathEval(outcomes, flags.samples, skippedLines);
  if (flags.json) process.stdout.write(`${JSON.stringify({ data: flags.data, url: flags.url, ...report })}\n`);
  else printSummary(report, flags.data);
  if (report.syntheticWeights)
    process.stderr.write('note: the answers come from synthetic (random-weight) models: the accuracy means nothing\n');
  if (report.scored === 0) throw new Error(`no problem could be scored: ${Object.keys(report.errors.byCode).join(', ')}`);
  if (report.errors.count > 0 || skippedLines.length > 0) process.exitCode = ExitCode.PARTIAL_FAILURE;
}
