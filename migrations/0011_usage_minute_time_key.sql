DROP INDEX "usage_minute_bucket";--> statement-breakpoint
ALTER TABLE "usage_minute" DROP CONSTRAINT "usage_minute_vm_uuid_bucket_pk";--> statement-breakpoint
ALTER TABLE "usage_minute" ADD CONSTRAINT "usage_minute_bucket_vm_uuid_pk" PRIMARY KEY("bucket","vm_uuid");