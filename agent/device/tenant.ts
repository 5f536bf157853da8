/**
 * The organisation a generated fleet belongs to, drawn from the seed alone, so that every device of one seed
 * shares one Entra tenant, one AD domain and one domain SID (user and computer SIDs differ only in their RID).
 * Domain names are Microsoft's documentation example companies.
 */
import type { Random } from '../../protocol/runtime/random.ts';
import type { Tenant } from './device.ts';

const ORGANISATIONS = [
  { domain: 'contoso.com', netbiosName: 'CONTOSO' },
  { domain: 'fabrikam.com', netbiosName: 'FABRIKAM' },
  { domain: 'adatum.com', netbiosName: 'ADATUM' },
  { domain: 'northwindtraders.com', netbiosName: 'NWTRADERS' },
  { domain: 'woodgrovebank.com', netbiosName: 'WOODGROVE' },
] as const;

/**
 * A tenant drawn from `random` (pass `createRandom(seed).fork('tenant')`). The domain SID is
 * `S-1-5-21-` followed by three 32-bit sub-authorities, as Windows writes machine and domain SIDs.
 */
export function drawTenant(random: Random): Tenant {
  const org = random.pick(ORGANISATIONS);
  const sub = (): number => random.int(100_000_000, 4_294_967_295);
  return {
    tenantId: random.uuid(),
    domain: org.domain,
    adDomain: `corp.${org.domain}`,
    netbiosName: org.netbiosName,
    domainSid: `S-1-5-21-${sub()}-${sub()}-${sub()}`,
  };
}

/** `DC=corp,DC=contoso,DC=com` for `corp.contoso.com`. */
export function domainDn(adDomain: string): string {
  return adDomain
    .split('.')
    .map((label) => `DC=${label}`)
    .join(',');
}
