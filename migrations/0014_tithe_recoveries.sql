-- Tithe already sent that a refund or chargeback makes owed back by upstream: each attempt to recover it
-- (Stripe transfer reversal, PayPal platform fee returned with a refund), written before the provider call.
CREATE TABLE "tithe_recoveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"provider" text NOT NULL,
	"method" text NOT NULL,
	"payment_id" uuid NOT NULL,
	"settlement_id" uuid,
	"reversal_id" uuid,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"provider_ref" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"recovered_at" timestamp with time zone,
	CONSTRAINT "tithe_recoveries_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "tithe_recoveries_amount_positive" CHECK ("tithe_recoveries"."amount" > 0),
	CONSTRAINT "tithe_recoveries_status" CHECK ("tithe_recoveries"."status" in ('pending', 'recovered', 'failed', 'canceled'))
);
--> statement-breakpoint
ALTER TABLE "tithe_recoveries" ADD CONSTRAINT "tithe_recoveries_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tithe_recoveries" ADD CONSTRAINT "tithe_recoveries_settlement_id_tithe_settlements_id_fk" FOREIGN KEY ("settlement_id") REFERENCES "public"."tithe_settlements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tithe_recoveries" ADD CONSTRAINT "tithe_recoveries_reversal_id_payment_reversals_id_fk" FOREIGN KEY ("reversal_id") REFERENCES "public"."payment_reversals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tithe_recoveries_payment" ON "tithe_recoveries" USING btree ("payment_id");--> statement-breakpoint
CREATE INDEX "tithe_recoveries_status" ON "tithe_recoveries" USING btree ("status");
