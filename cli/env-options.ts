/**
 * `CERTFLEET_*` environment variables as options (docs/architecture.md house rule 8), for the options the running command
 * declares only. yargs' `.env('CERTFLEET')` turns every `CERTFLEET_*` variable into an argument, and
 * `.strict()` then refuses those the command does not declare: `CERTFLEET_DIR=x certfleet run` exited 2
 * with "Unknown argument: dir", and so did every command with `CERTFLEET_BROKER_PASSWORD` set (issue 5).
 * This middleware drops the arguments that came from such variables before yargs validates, so strict
 * mode still refuses unknown options typed on the command line.
 */
import type { Arguments } from 'yargs';

/** The prefix of certfleet's environment variables (without the trailing `_`). */
export const ENV_PREFIX = 'CERTFLEET';

/**
 * The argument name yargs-parser makes of a variable name after the prefix: `BROKER_USERNAME` →
 * `brokerUsername` (yargs-parser `camelCase`; `__` nests, so only the first segment names the argument).
 */
export function envArgumentName(rest: string): string {
  const first = rest.split('__')[0] ?? rest;
  const mixed = first !== first.toLowerCase() && first !== first.toUpperCase();
  return (mixed ? first : first.toLowerCase()).replace(/[-_]+([^-_])/g, (_m, c: string) => c.toUpperCase());
}

function camel(name: string): string {
  return name.replace(/-+([^-])/g, (_m, c: string) => c.toUpperCase());
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** The options yargs knows for the command being run (not in @types/yargs, but public on the instance). */
interface DeclaredOptions {
  getOptions(): { key: Record<string, unknown>; alias: Record<string, string[] | undefined> };
}

/**
 * A before-validation middleware that removes arguments set only by a `CERTFLEET_*` variable the current
 * command does not declare. `args` are the command-line tokens: an undeclared option named there is left
 * for strict mode to refuse.
 */
export function ignoreUndeclaredEnv(
  env: Record<string, string | undefined>,
  args: readonly string[],
): (argv: Arguments, y?: unknown) => void {
  // yargs calls middleware with (argv, yargs instance); @types/yargs only types the first
  return (argv, y) => {
    if (!y) return;
    const { key, alias } = (y as DeclaredOptions).getOptions();
    const declared = new Set<string>();
    for (const name of [
      ...Object.keys(key),
      ...Object.entries(alias).flatMap(([k, a]) => [k, ...(a ?? [])]),
    ]) {
      declared.add(name);
      declared.add(camel(name));
    }
    const onCommandLine = (name: string): boolean =>
      [name, kebab(name)].some((n) =>
        args.some((t) => t === `--${n}` || t.startsWith(`--${n}=`) || t === `--no-${n}`),
      );
    for (const variable of Object.keys(env)) {
      if (!variable.startsWith(`${ENV_PREFIX}_`)) continue;
      const name = envArgumentName(variable.slice(ENV_PREFIX.length + 1));
      if (!name || declared.has(name) || onCommandLine(name)) continue;
      delete argv[name];
      delete argv[kebab(name)];
    }
  };
}
