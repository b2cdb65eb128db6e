// Request and response shapes of /api/v1 as zod schemas: they validate input and generate the OpenAPI
// document, so the document cannot drift from what the routes accept. Amounts are strings (bigint minor units).
// src/api/** is owned by the API helper; the portal reads it, it does not write it.
import { z } from '@hono/zod-openapi';
import { METERS } from '../db/schema/usage.ts';
import { POWER_ACTIONS } from '../portal/actions/power.ts';
import { PROBLEMS } from './errors.ts';

const iso = (example: string) => z.string().openapi({ format: 'date-time', example });
const uuid = (example: string) => z.uuid().openapi({ example });

export const IdParam = (what: string, example: string) =>
  z.object({ id: z.uuid({ error: `${what} ids are UUIDs` }).openapi({ param: { name: 'id', in: 'path' }, description: `The ${what}'s id (UUID)`, example }) });

export const VM_EXAMPLE = '6f1c2a7e-3b4d-4c5e-8f90-1a2b3c4d5e6f';

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: '/api/docs#problem-not-found' }),
    title: z.string().openapi({ example: PROBLEMS['not-found'].title }),
    status: z.number().int().openapi({ example: 404 }),
    detail: z.string().openapi({ example: 'vm not found' }),
    instance: z.string().openapi({ example: `/api/v1/vms/${VM_EXAMPLE}` }),
    requestId: z.string().openapi({ example: '0b5d1f9e-1c1e-4c4f-9a57-2c1f0d3e4a5b' }),
    errors: z
      .array(z.object({ in: z.enum(['path', 'query', 'body', 'header', 'cookie']), field: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: 'Validation failures only: one entry per invalid field.' }),
  })
  .openapi('Problem');

/** The fields a VM has in the list and in its detail alike (after its id). */
const vmCoreFields = {
  name: z.string().openapi({ example: 'web-01' }),
  state: z.string().openapi({ description: 'State at the last poll (running, paused, shutdown, unknown, …).', example: 'running' }),
  domid: z.number().int().nullable(),
  vcpus: z.number().int(),
  memoryMiB: z.number().int(),
  lastSeenAt: iso('2026-03-15T11:59:50.000Z'),
};
/** A host, tenant or plan a VM refers to. */
const namedRef = z.object({ id: z.string(), name: z.string().nullable() }).nullable();

export const VmSchema = z
  .object({
    id: uuid(VM_EXAMPLE).openapi({ description: 'The Xen UUID: stable across reboots and migrations.' }),
    ...vmCoreFields,
    host: namedRef,
    tenant: namedRef,
    plan: namedRef,
    assignedFrom: iso('2026-03-01T00:00:00.000Z').nullable(),
  })
  .openapi('Vm');

/** The list's item: what a list needs, without what the caller knows or one VM's detail has (ids of host and plan, assignment start). */
export const VmListItemSchema = z
  .object({
    id: uuid(VM_EXAMPLE).openapi({ description: 'The Xen UUID: stable across reboots and migrations. GET /vms/{id} has the rest.' }),
    ...vmCoreFields,
    hostName: z.string().nullable().openapi({ example: 'dom0-a' }),
    planName: z.string().nullable().openapi({ example: 'small' }),
    tenant: namedRef,
  })
  .openapi('VmListItem');

export const VmDetailSchema = VmSchema.extend({
  live: z
    .object({ state: z.string(), live: z.boolean().openapi({ description: 'False when the host did not answer: `state` is then the last polled one.' }) })
    .openapi({ description: 'State asked of the host just now.' }),
}).openapi('VmDetail');

export const PowerActionSchema = z.enum(POWER_ACTIONS as [string, ...string[]]);
export const PowerResultSchema = z
  .object({ vm: VmSchema, action: PowerActionSchema, result: z.literal('ok'), at: iso('2026-03-15T12:00:00.000Z') })
  .openapi('PowerResult');

export const MeterSchema = z.enum(METERS).openapi({ description: 'One usage meter; omit for all.' });
export const RANGE_KEYS = ['24h', '7d', '30d', 'period'] as const;
export const UsageQuery = z.object({
  meter: MeterSchema.optional().openapi({ param: { name: 'meter', in: 'query' } }),
  range: z
    .enum(RANGE_KEYS)
    .default('24h')
    .openapi({ param: { name: 'range', in: 'query' }, description: '24h (5-minute bins), 7d (hourly), 30d (daily) or the current billing period (daily).' }),
});
export const UsageSchema = z
  .object({
    vmId: z.string(),
    range: z.enum(RANGE_KEYS),
    from: iso('2026-03-14T12:00:00.000Z'),
    to: iso('2026-03-15T12:00:00.000Z'),
    bin: z.enum(['5min', 'hour', 'day']),
    binSeconds: z.number().int(),
    meters: z.array(MeterSchema),
    points: z.array(
      z.object({
        t: iso('2026-03-15T11:55:00.000Z'),
        values: z.record(z.string(), z.string()).openapi({ description: 'Exact decimal strings per meter (raw units: seconds, bytes, MiB·s).' }),
      }),
    ),
    gaps: z
      .array(z.object({ at: iso('2026-03-15T03:10:00.000Z'), error: z.string().optional().openapi({ description: 'Operators only.' }) }))
      .openapi({ description: "Failed polls of the VM's host in the range: usage is carried into the next good poll." }),
  })
  .openapi('Usage');

const money = z.string().regex(/^-?\d+$/).openapi({ description: 'Minor units of `currency` (cents), as a decimal string.', example: '1234' });

export const InvoiceSchema = z
  .object({
    id: uuid('9d7f0c56-2f4a-4c1b-9c3e-0a1b2c3d4e5f'),
    number: z.string().nullable().openapi({ example: 'KZ-2026-000042' }),
    tenantId: z.string(),
    period: z.string().openapi({ example: '2026-02' }),
    periodStart: iso('2026-02-01T00:00:00.000Z'),
    periodEnd: iso('2026-03-01T00:00:00.000Z'),
    status: z.enum(['draft', 'finalized', 'paid', 'void', 'uncollectible']),
    currency: z.string().openapi({ example: 'EUR' }),
    subtotal: money,
    tax: money,
    total: money,
    taxRatePercent: z.string().openapi({ example: '19' }),
    taxInclusive: z.boolean(),
    finalizedAt: iso('2026-03-01T06:00:00.000Z').nullable(),
    dueAt: iso('2026-03-15T06:00:00.000Z').nullable(),
    paidAt: iso('2026-03-03T10:00:00.000Z').nullable(),
  })
  .openapi('Invoice');

export const InvoiceDetailSchema = InvoiceSchema.extend({
  lines: z.array(
    z.object({
      position: z.number().int(),
      kind: z.string(),
      vmId: z.string().nullable(),
      vmName: z.string().nullable(),
      component: z.string().nullable(),
      description: z.string(),
      quantity: z.string().openapi({ description: 'Exact decimal.' }),
      unit: z.string(),
      unitPrice: z.string().openapi({ description: 'Exact decimal, major units per `unit`.' }),
      amount: money,
    }),
  ),
  creditNotes: z.array(z.object({ number: z.string(), total: money, reason: z.string(), issuedAt: iso('2026-03-05T00:00:00.000Z') })),
}).openapi('InvoiceDetail');

export const InvoiceListQuery = z.object({
  status: z.enum(['draft', 'finalized', 'paid', 'void', 'uncollectible']).optional().openapi({ param: { name: 'status', in: 'query' } }),
  period: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a period label YYYY-MM')
    .optional()
    .openapi({ param: { name: 'period', in: 'query' }, example: '2026-02' }),
});

export const TokenSchema = z
  .object({
    id: uuid('5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d'),
    name: z.string().openapi({ example: 'deploy bot' }),
    prefix: z.string().openapi({ description: 'The first characters of the token, to tell tokens apart.', example: 'kb_abcdef' }),
    vmId: z.string().nullable().openapi({ description: 'When set, the token sees and acts on this VM only.' }),
    readOnly: z.boolean(),
    createdAt: iso('2026-03-15T12:00:00.000Z'),
    lastUsedAt: iso('2026-03-15T12:05:00.000Z').nullable(),
    revokedAt: iso('2026-03-16T08:00:00.000Z').nullable(),
  })
  .openapi('Token');

export const NewTokenSchema = z
  .object({
    name: z.string().trim().min(1, 'give the token a name').max(100),
    vmId: z.uuid({ error: 'vmId must be a VM id (UUID)' }).nullable().optional(),
    readOnly: z.boolean().default(false),
  })
  .openapi('NewToken');

export const CreatedTokenSchema = TokenSchema.extend({
  token: z.string().openapi({ description: 'The secret, shown this once: only its hash is stored.', example: 'kb_abcdefghijklmnopqrstuvwxyz234567' }),
}).openapi('CreatedToken');

export const HostSchema = z
  .object({
    id: uuid('7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918'),
    name: z.string().openapi({ example: 'dom0-fra-01' }),
    adapter: z.enum(['ssh', 'local', 'sim']),
    address: z.string().nullable(),
    port: z.number().int(),
    username: z.string().nullable(),
    hostKey: z.string().nullable(),
    enabled: z.boolean(),
    createdAt: iso('2026-01-10T09:00:00.000Z'),
    lastPollAt: iso('2026-03-15T11:59:50.000Z').nullable(),
    lastSuccessAt: iso('2026-03-15T11:59:50.000Z').nullable(),
    lastError: z.string().nullable(),
    lastErrorAt: iso('2026-03-14T02:00:00.000Z').nullable(),
    consecutiveFailures: z.number().int(),
  })
  .openapi('Host');

export const NewHostSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'letters, digits, _ . - (max 63)'),
    adapter: z.enum(['ssh', 'local', 'sim']),
    address: z.string().min(1).max(253).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    username: z.string().optional(),
    keyPath: z.string().min(1).optional(),
    hostKey: z.string().optional(),
    sysfsRoot: z.string().optional(),
  })
  .openapi('NewHost', { description: 'The ssh adapter needs address, username, keyPath and hostKey (checked by the host registry).' });

export const TenantSchema = z
  .object({
    id: uuid('3c2b1a09-8f7e-4d6c-9b5a-493827160504'),
    company: z.string().openapi({ example: 'Acme GmbH' }),
    billingEmail: z.string(),
    currency: z.string(),
    status: z.enum(['active', 'suspended']),
    suspendedReason: z.string().nullable().openapi({ description: 'Why the tenant is suspended (shown to its users); null while active.', example: null }),
    suspendedAt: iso('2026-03-20T09:00:00.000Z').nullable(),
    billingDay: z.number().int(),
    timezone: z.string(),
    paymentProvider: z.string(),
    createdAt: iso('2026-01-01T00:00:00.000Z'),
  })
  .openapi('Tenant');

const VmPowerOutcome = (verb: string) =>
  z.object({
    done: z.array(z.string()).openapi({ description: `VM ids ${verb}.` }),
    failed: z.array(z.object({ id: z.string(), error: z.string() })).openapi({ description: `VMs that could not be ${verb} (host unreachable, …).` }),
  });

export const SuspendTenantSchema = z
  .object({
    reason: z.string().trim().min(1, 'say why (the tenant sees it)').max(500),
    stopVms: z.boolean().default(false).openapi({ description: "Also shut the tenant's VMs down now; they start again on unsuspend." }),
  })
  .openapi('SuspendTenant');

export const UnsuspendTenantSchema = z
  .object({
    startVms: z.boolean().default(true).openapi({ description: 'Start the VMs the suspension shut down (default true).' }),
  })
  .openapi('UnsuspendTenant');

export const TenantSuspendedSchema = z
  .object({
    tenant: TenantSchema,
    consolesClosed: z.number().int().openapi({ description: "Console sessions of the tenant's users that were ended." }),
    vms: VmPowerOutcome('shut down'),
  })
  .openapi('TenantSuspended');

export const TenantUnsuspendedSchema = z.object({ tenant: TenantSchema, vms: VmPowerOutcome('started') }).openapi('TenantUnsuspended');
