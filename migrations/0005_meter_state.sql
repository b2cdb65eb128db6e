ALTER TABLE "vm_meter_state" ADD COLUMN "state" text DEFAULT 'running' NOT NULL;--> statement-breakpoint
CREATE INDEX "hosts_due" ON "hosts" USING btree ("next_poll_at");