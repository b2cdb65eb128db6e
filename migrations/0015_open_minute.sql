-- A VM's usage in the minute of its latest sample stays with its meter state until a later minute's sample
-- closes it (src/collectors/open-minute.ts): usage_minute is then written once per VM and minute.
ALTER TABLE "vm_meter_state" ADD COLUMN "open_bucket" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "vm_meter_state" ADD COLUMN "open_usage" jsonb;
