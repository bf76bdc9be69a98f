import * as os from 'node:os';
import { availableCores } from './host-resources';

describe('availableCores', () => {
  it("counts the cores a container's CPU quota allows, not the machine's", () => {
    const machine = os.availableParallelism();
    // cgroup v2 cpu.max: "<quota> <period>" in µs, or "max" for no limit.
    expect(availableCores('max 100000\n')).toBe(machine);
    expect(availableCores('')).toBe(machine);
    expect(availableCores('100000 100000\n')).toBe(1);
    expect(availableCores('150000 100000\n')).toBe(Math.min(2, machine));
    expect(availableCores('25000 100000\n')).toBe(1);
    expect(availableCores(`${(machine + 8) * 100000} 100000`)).toBe(machine);
  });
});
