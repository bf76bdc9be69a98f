import type { Command } from 'commander';
import { StackLauncher } from './stack-launcher';
import { withExitCodes } from './cli-options';

/** `slm up`: the whole system on one machine (what `npm start` runs). */
export function registerStackCommands(program: Command): void {
  withExitCodes(program.command('up'), {
    0: 'stopped by SIGINT/SIGTERM after every service shut down',
    1: 'a service failed to start, or kept dying',
    2: 'usage error, or invalid configuration variables (the message lists every bad one)',
  })
    .description('start Redis (unless REDIS_URL is set), the three workers and the router, restarting one that dies; Ctrl-C stops them all')
    .action(async () => {
      process.exitCode = await new StackLauncher().run();
    });
}
