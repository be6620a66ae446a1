// Parsers for commander options: each names the flag in its error.
import { InvalidArgumentError } from 'commander';

export function intOption(flag: string, min = -Infinity) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`${flag} must be an integer (got "${value}")`);
    const n = Number(value);
    if (n < min) throw new InvalidArgumentError(`${flag} must be >= ${min} (got ${n})`);
    return n;
  };
}

export function floatOption(flag: string, check?: (n: number) => string | null) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} must be a number (got "${value}")`);
    const why = check?.(n);
    if (why) throw new InvalidArgumentError(`${flag} ${why} (got ${n})`);
    return n;
  };
}

export function choiceOption<T extends string>(flag: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`${flag} must be one of ${choices.join(', ')} (got "${value}")`);
    return value as T;
  };
}

export function listOption(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
