import { domainNameOf, WORKER_DOMAINS, type Domain } from '@slm/contracts';
import { Command, Option } from 'commander';
import { integer } from './cli-options';
import { callRouter, routerUrlOption } from './router-client';

interface RouteJson {
  domain: string;
  confidence: number;
  overridden: boolean;
  fallback: boolean;
  fallbackReason: string;
  lowConfidence?: boolean;
  runnerUp?: string;
  runnerUpConfidence?: number;
  scores?: { domain: string; probability: number }[];
}

const domainName = (domain: string): string => domainNameOf(domain as Domain) ?? domain;

/** One line for stderr: the domain, why, and what the classifier thought. */
function describeRoute(route: RouteJson): string {
  if (route.overridden) {
    // The confidence is the classifier's for its own top class, not for the forced domain: name it.
    const top = route.scores?.[0];
    return `route: ${domainName(route.domain)} (overridden${top ? `; the classifier said ${domainName(top.domain)} ${top.probability.toFixed(3)}` : ''})`;
  }
  const kind = route.fallback ? `fallback: ${route.fallbackReason}` : route.lowConfidence ? 'classified, low confidence' : 'classified';
  const runnerUp =
    route.runnerUp && route.runnerUp !== 'DOMAIN_UNSPECIFIED'
      ? `; runner-up ${domainName(route.runnerUp)} ${(route.runnerUpConfidence ?? 0).toFixed(3)}`
      : '';
  return `route: ${domainName(route.domain)} (confidence ${route.confidence.toFixed(3)}, ${kind}${runnerUp})`;
}

/** Reads a server-sent-events body, calling back once per event. */
async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (event: string, data: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
      onEvent(
        event,
        lines
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n'),
      );
    }
  }
}

interface SolveFlags {
  domain?: string;
  stream?: boolean;
  maxNewTokens?: number;
  json?: boolean;
  url: string;
}

/** `slm solve`: one problem through the router. */
export function registerSolveCommands(program: Command): void {
  program
    .command('solve')
    .description('solve one problem through the router: prints the route decision (stderr) and the answer (stdout)')
    .argument('<problem>', 'the problem text')
    .addOption(new Option('--domain <domain>', 'force a domain instead of classifying').choices([...WORKER_DOMAINS]))
    .option('--stream', 'stream the answer as it is generated (reasoning on stderr)')
    .option('--max-new-tokens <n>', 'upper bound on generated tokens', integer(1))
    .option('--json', 'print the whole result as JSON')
    .addOption(routerUrlOption())
    .action(solve);
}

/** `slm solve`: the route decision on stderr, the answer on stdout (streamed with --stream). */
async function solve(problem: string, flags: SolveFlags): Promise<void> {
  const body = {
    text: problem,
    domain: flags.domain,
    stream: Boolean(flags.stream),
    ...(flags.maxNewTokens ? { options: { maxNewTokens: flags.maxNewTokens } } : {}),
  };
  const res = await callRouter(`${flags.url}/v1/solve`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!flags.stream) {
    const { result } = (await res.json()) as { result: { answer: string; route: RouteJson } };
    process.stderr.write(`${describeRoute(result.route)}\n`);
    process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : `${result.answer}\n`);
    return;
  }
  let failed: Error | undefined;
  await readEvents(res.body as ReadableStream<Uint8Array>, (event, data) => {
    const payload = JSON.parse(data) as Record<string, unknown>;
    if (event === 'route') process.stderr.write(`${describeRoute(payload as unknown as RouteJson)}\n`);
    else if (event === 'delta') (payload.channel === 'CHANNEL_REASONING' ? process.stderr : process.stdout).write(String(payload.text));
    else if (event === 'result') process.stdout.write(flags.json ? `\n${JSON.stringify(payload)}\n` : '\n');
    else if (event === 'error') failed = new Error(`stream broke: ${String(payload.code)}: ${String(payload.message)}`);
  });
  if (failed) throw failed;
}
