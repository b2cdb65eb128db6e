-- Operator suspension of a tenant: why and since when, and which VMs the suspension shut down (so that
-- unsuspending can start exactly those again).
ALTER TABLE "tenants" ADD COLUMN "suspended_reason" text;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "suspended_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "suspended_vms" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
-- One console holder per VM across every replica: the primary key is the lock, the heartbeat tells a live
-- holder from one whose process died (a stale row may be taken over).
CREATE TABLE "console_sessions" (
	"vm_uuid" uuid PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"user_id" uuid NOT NULL,
	"tenant_id" uuid,
	"opened_at" timestamp with time zone NOT NULL,
	"heartbeat_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "console_sessions" ADD CONSTRAINT "console_sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "console_sessions_tenant" ON "console_sessions" USING btree ("tenant_id");--> statement-breakpoint
-- Password reset requests are throttled with the login attempts table; `kind` keeps the two counts apart.
ALTER TABLE "login_attempts" ADD COLUMN "kind" text DEFAULT 'login' NOT NULL;--> statement-breakpoint
ALTER TABLE "login_attempts" ADD CONSTRAINT "login_attempts_kind" CHECK ("login_attempts"."kind" in ('login', 'reset'));
