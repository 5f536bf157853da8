/**
 * A device's primary user: names, UPN, mail, department and — for users synchronised from on-premises AD —
 * distinguished name, SAM account name and SID (SCEPDOC: on-premises attributes need Entra Connect sync).
 */
import type { Random } from '../../protocol/runtime/random.ts';
import type { DeviceUser, Tenant } from './device.ts';
import { domainDn } from './tenant.ts';

const GIVEN_NAMES = [
  'Ada',
  'Grace',
  'Alan',
  'Katherine',
  'Linus',
  'Margaret',
  'Dennis',
  'Barbara',
  'Ken',
  'Frances',
  'Tim',
  'Radia',
  'Vint',
  'Hedy',
  'Edsger',
  'Donald',
  'Sophie',
  'Annie',
  'Claude',
  'Joan',
] as const;
const SURNAMES = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Johnson',
  'Torvalds',
  'Hamilton',
  'Ritchie',
  'Liskov',
  'Thompson',
  'Allen',
  'Berners-Lee',
  'Perlman',
  'Cerf',
  'Lamarr',
  'Dijkstra',
  'Knuth',
  'Wilson',
  'Easley',
  'Shannon',
  "O'Neil",
] as const;
const DEPARTMENTS = [
  'Finance',
  'Engineering',
  'Sales',
  'Human Resources',
  'Legal',
  'Operations',
  'Marketing',
  'IT',
] as const;

/**
 * A user of `tenant`. `userName` is the UPN's local part (`ada.lovelace`), the form SCEPDOC gives for
 * `{{UserName}}` ("such as janedoe"); the SAM account name is the first initial and surname, at most 20
 * characters (the pre-Windows 2000 logon name limit).
 */
export function drawUser(random: Random, tenant: Tenant, synced: boolean): DeviceUser {
  const given = random.pick(GIVEN_NAMES);
  const surname = random.pick(SURNAMES);
  const department = random.pick(DEPARTMENTS);
  const local = `${given}.${surname}`.toLowerCase().replace(/[^a-z0-9.-]/g, '');
  const displayName = `${given} ${surname}`;
  const user: DeviceUser = {
    displayName,
    userPrincipalName: `${local}@${tenant.domain}`,
    mail: `${given}.${surname.replace(/[^A-Za-z0-9-]/g, '')}@${tenant.domain}`,
    userName: local,
    department,
    synced,
  };
  if (!synced) return user;
  return {
    ...user,
    onPremises: {
      distinguishedName: `CN=${displayName},OU=${department},OU=Users,${domainDn(tenant.adDomain)}`,
      samAccountName: `${given.charAt(0)}${surname}`
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, '')
        .slice(0, 20),
      sid: `${tenant.domainSid}-${random.int(1_100, 250_000)}`,
    },
  };
}
