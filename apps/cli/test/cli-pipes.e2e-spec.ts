import { spawn } from 'node:child_process';
import * as path from 'node:path';

const slm = path.join(__dirname, '..', '..', '..', 'bin', 'slm.js');

describe('slm writing to a reader that stops early (`slm … | head`)', () => {
  it('ends quietly with exit code 0, not with an EPIPE crash', async () => {
    // 20,000 classified lines are far more than a pipe buffers: writes go on after the reader has gone.
    const child = spawn(process.execPath, [slm, 'classify', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    // The child stops reading its input when it ends: what is left of it cannot be written.
    child.stdin.on('error', () => undefined);
    child.stdin.end(Array.from({ length: 20_000 }, (_, i) => `Solve 3x + ${i} = 20 for x.`).join('\n'));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });
});
