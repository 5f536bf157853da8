/**
 * `--tenant` (`serve`, `agents`, `broker`): the tenant is one segment of the MQTT topic tree
 * (`certfleet/{tenant}/…`, protocol/wire/topics.ts), so a name no topic segment can hold (`a/b`, `#`, `+`, a
 * space) is a usage error (exit 2) when the command line is read, before anything is connected to or
 * written — not a failure once the run began. Read by yargs `coerce`, as the numeric options are
 * (numeric-options.ts), so `CERTFLEET_TENANT` is checked the same way.
 */
import { CertfleetError } from '../pki/errors.ts';
import { tenantRoot } from '../protocol/wire/topics.ts';

/**
 * A yargs `coerce` function for `--tenant`.
 * @throws CertfleetError USAGE quoting the value, or when the option is given more than once.
 */
export function tenantCoerce(value: unknown): string {
  if (Array.isArray(value)) {
    throw new CertfleetError(
      'USAGE',
      `--tenant is given ${value.length} times (${value.map((v) => `'${String(v)}'`).join(', ')}): give it once.`,
    );
  }
  const tenant = String(value);
  try {
    tenantRoot(tenant);
  } catch (cause) {
    throw new CertfleetError(
      'USAGE',
      `--tenant must be letters, digits, . _ or - (it is one level of the MQTT topic tree certfleet/<tenant>/…), not '${tenant}'.`,
      { cause },
    );
  }
  return tenant;
}
