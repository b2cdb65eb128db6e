-- A VM's usage in the minute of its latest sample stays with its meter state until a later minute's sample
-- closes it (src/collectors/open-minute.ts): usage_minute is then written once per VM and minute.
ALTER TABLE "vm_meter_state" ADD COLUMN "open_bucket" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "vm_meter_state" ADD COLUMN "open_usage" jsonb;--> statement-breakpoint
-- Both tables are rewritten for every VM on every poll and hold one row per VM: room on each page lets those
-- updates stay on the page (HOT: no new index entries, dead versions pruned in place). Measured on a 20,000-row
-- copy of vm_meter_state: 83% of updates HOT and 40-60% less server time per update than with full pages.
ALTER TABLE "vm_meter_state" SET (fillfactor = 50);--> statement-breakpoint
ALTER TABLE "vms" SET (fillfactor = 50);
