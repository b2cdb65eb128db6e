// Accounts, sessions and the audit trail: users, sessions (hashed tokens), login attempts for throttling,
// invites and password resets (hashed single-use links), API tokens, console tickets, audit log.
import { sql } from 'drizzle-orm';
import { bigserial, boolean, check, index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, tstz } from './columns.ts';
import { tenants } from './billing.ts';

/** A tenant user (owner | member, with a tenant) or an operator (no tenant). */
export const users = pgTable(
  'users',
  {
    id: id(),
    /** Stored lower-cased so lookups are exact. */
    email: text('email').notNull().unique(),
    name: text('name').notNull().default(''),
    role: text('role').$type<UserRole>().notNull(),
    tenantId: uuid('tenant_id').references(() => tenants.id, { onDelete: 'restrict' }),
    passwordHash: text('password_hash'),
    /** TOTP key, hex; enabled only once a code from it was confirmed. */
    totpKey: text('totp_key'),
    totpEnabled: boolean('totp_enabled').notNull().default(false),
    suspendedAt: tstz('suspended_at'),
    createdAt: createdAt(),
  },
  (t) => [
    index('users_tenant').on(t.tenantId),
    check('users_role_tenant', sql`(${t.role} = 'operator' and ${t.tenantId} is null) or (${t.role} in ('owner','member') and ${t.tenantId} is not null)`),
  ],
);
export type UserRole = 'owner' | 'member' | 'operator';

/** Lucia-style sessions: the id is the SHA-256 (hex) of the cookie token; the token itself is never stored. */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: tstz('expires_at').notNull(),
    createdAt: tstz('created_at').notNull(),
    lastSeenAt: tstz('last_seen_at').notNull(),
    /** Synchronizer CSRF token bound to this session. */
    csrfToken: text('csrf_token').notNull(),
    /** False while a TOTP user has given the password but not yet the code. */
    twoFactorVerified: boolean('two_factor_verified').notNull().default(false),
    ip: text('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [index('sessions_user').on(t.userId)],
);

/** One row per login attempt; throttling counts recent failures per account and per address. */
export const loginAttempts = pgTable(
  'login_attempts',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    email: text('email').notNull(),
    ip: text('ip').notNull(),
    at: tstz('at').notNull(),
    success: boolean('success').notNull(),
    /** 'login' (sign-in and TOTP) or 'reset' (password reset requests): counted apart. */
    kind: text('kind').$type<'login' | 'reset'>().notNull().default('login'),
  },
  (t) => [
    index('login_attempts_email_at').on(t.email, t.at),
    index('login_attempts_ip_at').on(t.ip, t.at),
    check('login_attempts_kind', sql`${t.kind} in ('login', 'reset')`),
  ],
);

/** Invitations by link: the id is the SHA-256 of the link token. */
export const invites = pgTable('invites', {
  id: text('id').primaryKey(),
  email: text('email').notNull(),
  role: text('role').$type<UserRole>().notNull(),
  tenantId: uuid('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
  createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: tstz('created_at').notNull(),
  expiresAt: tstz('expires_at').notNull(),
  usedAt: tstz('used_at'),
});

/** Password reset links: the id is the SHA-256 of the link token. */
export const passwordResets = pgTable(
  'password_resets',
  {
    id: text('id').primaryKey(),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    createdAt: tstz('created_at').notNull(),
    expiresAt: tstz('expires_at').notNull(),
    usedAt: tstz('used_at'),
  },
  (t) => [index('password_resets_user').on(t.userId)],
);

/** API bearer tokens: shown once, stored as SHA-256; optionally limited to one VM and read-only. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: id(),
    tokenHash: text('token_hash').notNull().unique(),
    /** First characters of the token, shown in lists so a user can tell tokens apart. */
    prefix: text('prefix').notNull(),
    name: text('name').notNull(),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    tenantId: uuid('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
    vmUuid: uuid('vm_uuid'),
    readOnly: boolean('read_only').notNull().default(false),
    createdAt: tstz('created_at').notNull(),
    lastUsedAt: tstz('last_used_at'),
    revokedAt: tstz('revoked_at'),
  },
  (t) => [index('api_tokens_tenant').on(t.tenantId)],
);

/** Single-use console tickets (id = SHA-256 of the ticket), bound to user, session and VM. */
export const consoleTickets = pgTable('console_tickets', {
  id: text('id').primaryKey(),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  sessionId: text('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
  vmUuid: uuid('vm_uuid').notNull(),
  expiresAt: tstz('expires_at').notNull(),
  usedAt: tstz('used_at'),
});

/**
 * Who holds each VM's console, across every replica: the primary key is the lock. The holder refreshes
 * `heartbeat_at` while the session lives; a row whose heartbeat went stale (its process died) may be taken over.
 */
export const consoleSessions = pgTable(
  'console_sessions',
  {
    vmUuid: uuid('vm_uuid').primaryKey(),
    /** Random id of the holding session (one process may hold several VMs). */
    holder: text('holder').notNull(),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    /** The holder's tenant (null for operators): suspending a tenant ends its users' consoles. */
    tenantId: uuid('tenant_id'),
    openedAt: tstz('opened_at').notNull(),
    heartbeatAt: tstz('heartbeat_at').notNull(),
  },
  (t) => [index('console_sessions_tenant').on(t.tenantId)],
);

/** Append-only audit trail: logins, logouts, power actions, consoles, token events. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    at: tstz('at').notNull(),
    actorUserId: uuid('actor_user_id'),
    /** Email or token name at the time, kept even if the user is later deleted. */
    actorLabel: text('actor_label'),
    tenantId: uuid('tenant_id'),
    action: text('action').notNull(),
    target: text('target'),
    result: text('result').notNull(),
    ip: text('ip'),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
  },
  (t) => [index('audit_log_tenant_at').on(t.tenantId, t.at), index('audit_log_at').on(t.at)],
);
