// The slapd test engine itself (issue 15): it starts on ephemeral ports with the test tree,
// serves ldaps:// and StartTLS with the test CA, changes the tree, and leaves nothing behind.
import { existsSync, readFileSync } from 'node:fs';
import { Client } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { liveEngines } from './common';
import { groupDn, startSlapd, useSlapd, userDn } from './slapd';

const engine = useSlapd();

async function search(url: string, filter: string, ca?: string): Promise<string[]> {
  const e = engine();
  // ldapts treats any tlsOptions as "TLS from the first byte": only for ldaps://.
  const secure = url.startsWith('ldaps:') && ca;
  const client = new Client({ url, tlsOptions: secure ? { ca: readFileSync(ca) } : undefined });
  try {
    if (url.startsWith('ldap:') && ca) await client.startTLS({ ca: readFileSync(ca) });
    await client.bind(e.serviceDn, e.servicePassword);
    const { searchEntries } = await client.search(e.suffix, { filter, attributes: ['uid'] });
    return searchEntries.map((x) => String(x.uid) || x.dn).sort();
  } finally {
    await client.unbind();
  }
}

describe('slapd test engine', () => {
  it('serves the test tree to the service account over ldap, StartTLS and ldaps', async () => {
    const e = engine();
    const people = ['alice', 'bob', 'carol', 'dave'];
    expect(await search(e.url, '(objectClass=inetOrgPerson)')).toEqual(people);
    expect(await search(e.url, '(objectClass=inetOrgPerson)', e.caFile)).toEqual(people);
    expect(await search(e.ldapsUrl, '(objectClass=inetOrgPerson)', e.caFile)).toEqual(people);
  });

  it('lets an anonymous bind read nothing', async () => {
    const e = engine();
    const client = new Client({ url: e.url });
    try {
      // Not even the suffix is visible to it: "no such object".
      await expect(client.search(e.suffix, { filter: '(uid=*)' })).rejects.toThrow(/0x20/);
    } finally {
      await client.unbind();
    }
  });

  it('changes the tree: add many, disable, rename (entryUUID kept), remove', async () => {
    const e = engine();
    const started = Date.now();
    const uids = await e.addUsers(200, { prefix: 'bulk', groups: ['staff'] });
    const took = Date.now() - started;
    expect(uids).toHaveLength(200);
    expect((await search(e.url, '(uid=bulk*)')).length).toBe(200);
    expect(took).toBeLessThan(10_000);
    await e.setDisabled('bulk0001', true);
    expect(await search(e.url, '(employeeType=disabled)')).toEqual(['bulk0001', 'dave']);
    const uuid = await e.entryUuid('bulk0002');
    await e.renameUser('bulk0002', 'renamed');
    expect(await e.entryUuid('renamed')).toBe(uuid);
    // refint moved the membership along with the rename.
    expect(await search(e.url, `(&(cn=staff)(member=${userDn('renamed')}))`)).toEqual([
      groupDn('staff'),
    ]);
    await e.removeUser('renamed');
    expect(await search(e.url, '(uid=renamed)')).toEqual([]);
  });

  it('dispose() ends the process and removes the directory', async () => {
    const before = liveEngines();
    const started = Date.now();
    const own = await startSlapd();
    console.log(`slapd started in ${Date.now() - started} ms`);
    expect(liveEngines()).toBe(before + 1);
    await own.dispose();
    expect(liveEngines()).toBe(before);
    expect(existsSync(own.dir)).toBe(false);
  });
});
