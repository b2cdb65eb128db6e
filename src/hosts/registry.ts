// Host inventory verbs: add, list, remove. The collectors and portal read hosts through here.
import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client.ts';
import { hosts } from '../db/schema/hosts.ts';

export type HostRecord = typeof hosts.$inferSelect;

const SysfsRoot = z.string().regex(/^\/[A-Za-z0-9_.\/-]*$/, 'an absolute path of letters, digits, _ . / -');

export const AddHostInput = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'letters, digits, _ . - (max 63)'),
    adapter: z.enum(['ssh', 'local', 'sim']),
    address: z.string().min(1).max(253).optional(),
    port: z.number().int().min(1).max(65535).default(22),
    username: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'a POSIX user name').optional(),
    keyPath: z.string().min(1).optional(),
    hostKey: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'an OpenSSH SHA256 fingerprint (ssh-keygen -lf)').optional(),
    sysfsRoot: SysfsRoot.optional(),
  })
  .superRefine((h, ctx) => {
    if (h.adapter === 'ssh') {
      for (const k of ['address', 'username', 'keyPath', 'hostKey'] as const) {
        if (!h[k]) ctx.addIssue({ code: 'custom', path: [k], message: `required for the ssh adapter` });
      }
    }
  });
export type AddHostInput = z.input<typeof AddHostInput>;

export class HostNotFound extends Error {
  readonly code = 'NotFound';
  constructor(ref: string) {
    super(`no host named or with id ${JSON.stringify(ref)} (see: kamikazi hosts list)`);
  }
}

export class InvalidHostInput extends Error {
  readonly code = 'InvalidInput';
}

export async function addHost(db: Db, input: AddHostInput): Promise<HostRecord> {
  const parsed = AddHostInput.safeParse(input);
  if (!parsed.success) {
    const what = parsed.error.issues.map((i) => `${i.path.join('.') || 'host'}: ${i.message}`).join('; ');
    throw new InvalidHostInput(`invalid host: ${what}`);
  }
  const h = parsed.data;
  const [row] = await db.insert(hosts).values(h).returning();
  return row;
}

export async function listHosts(db: Db): Promise<HostRecord[]> {
  return db.select().from(hosts).orderBy(asc(hosts.name));
}

export async function getHost(db: Db, ref: string): Promise<HostRecord> {
  const isId = /^[0-9a-f-]{36}$/i.test(ref);
  const [row] = await db.select().from(hosts).where(isId ? eq(hosts.id, ref) : eq(hosts.name, ref));
  if (!row) throw new HostNotFound(ref);
  return row;
}

export async function removeHost(db: Db, ref: string): Promise<HostRecord> {
  const host = await getHost(db, ref);
  await db.delete(hosts).where(eq(hosts.id, host.id));
  return host;
}
