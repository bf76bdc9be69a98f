import { Argument, type Command } from 'commander';
import { WORKER_DOMAINS, type WorkerDomain } from '@slm/contracts';
import { runServiceInForeground } from './service-process';
import { withExitCodes } from './cli-options';
import { SERVICE_EXIT_CODES } from './router.commands';

/**
 * `slm worker math|code|science`: runs one domain worker in the foreground (the built
 * dist/apps/<domain>-worker/src/main.js as a child process). SIGINT/SIGTERM are passed on so the
 * worker finishes or hands back its jobs; its exit code becomes the command's.
 */
export function registerWorkerCommands(program: Command): void {
  withExitCodes(program.command('worker'), SERVICE_EXIT_CODES)
    .description('run a domain worker (gRPC Worker service + BullMQ consumer); configured by <DOMAIN>_WORKER_* variables')
    .addArgument(new Argument('<domain>', 'the domain to serve').choices(WORKER_DOMAINS))
    .action(async (domain: WorkerDomain) => {
      const code = await runServiceInForeground(`${domain}-worker`);
      if (code !== 0) process.exitCode = code;
    });
}
