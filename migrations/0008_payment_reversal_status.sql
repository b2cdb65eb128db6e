ALTER TABLE "payment_reversals" ALTER COLUMN "tithe_reversed" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "payment_reversals" ADD COLUMN "status" text DEFAULT 'applied' NOT NULL;