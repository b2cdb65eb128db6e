ALTER TABLE "payment_customers" ADD COLUMN "card_brand" text;--> statement-breakpoint
ALTER TABLE "payment_customers" ADD COLUMN "card_last4" text;--> statement-breakpoint
ALTER TABLE "payment_customers" ADD COLUMN "card_exp_month" integer;--> statement-breakpoint
ALTER TABLE "payment_customers" ADD COLUMN "card_exp_year" integer;--> statement-breakpoint
ALTER TABLE "payment_customers" ADD COLUMN "updated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "payment_method" text;--> statement-breakpoint
ALTER TABLE "payment_customers" ADD CONSTRAINT "payment_customers_card_last4" CHECK ("payment_customers"."card_last4" is null or "payment_customers"."card_last4" ~ '^[0-9]{4}$');--> statement-breakpoint
ALTER TABLE "payment_customers" ADD CONSTRAINT "payment_customers_card_exp_month" CHECK ("payment_customers"."card_exp_month" is null or "payment_customers"."card_exp_month" between 1 and 12);--> statement-breakpoint
UPDATE "payment_customers" SET "autopay" = false WHERE "default_payment_method" IS NULL;--> statement-breakpoint
ALTER TABLE "payment_customers" ADD CONSTRAINT "payment_customers_autopay_needs_method" CHECK (not "payment_customers"."autopay" or "payment_customers"."default_payment_method" is not null);--> statement-breakpoint
CREATE TABLE "payment_method_setups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"customer_id" text NOT NULL,
	"provider_ref" text,
	"redirect_url" text,
	"idempotency_key" text NOT NULL,
	"autopay" boolean DEFAULT true NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"payment_method" text,
	"started_by" text,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "payment_method_setups_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "payment_method_setups_status" CHECK ("payment_method_setups"."status" in ('open', 'completed'))
);
--> statement-breakpoint
ALTER TABLE "payment_method_setups" ADD CONSTRAINT "payment_method_setups_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "payment_method_setups_provider_ref" ON "payment_method_setups" USING btree ("provider","provider_ref");--> statement-breakpoint
CREATE INDEX "payment_method_setups_tenant" ON "payment_method_setups" USING btree ("tenant_id","created_at");
