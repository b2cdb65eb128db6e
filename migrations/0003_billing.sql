CREATE TABLE "credit_note_lines" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"credit_note_id" uuid NOT NULL,
	"description" text NOT NULL,
	"amount" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "credit_notes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"invoice_id" uuid NOT NULL,
	"series" text NOT NULL,
	"number" text NOT NULL,
	"currency" text NOT NULL,
	"subtotal" bigint NOT NULL,
	"tax" bigint NOT NULL,
	"total" bigint NOT NULL,
	"reason" text NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "credit_notes_number_unique" UNIQUE("number"),
	CONSTRAINT "credit_notes_positive" CHECK ("credit_notes"."total" > 0)
);
--> statement-breakpoint
CREATE TABLE "invoice_lines" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"invoice_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"kind" text NOT NULL,
	"vm_uuid" uuid,
	"vm_name" text,
	"component" text,
	"description" text NOT NULL,
	"quantity" numeric(30, 6) NOT NULL,
	"unit" text NOT NULL,
	"unit_price" numeric(30, 12) NOT NULL,
	"amount" bigint NOT NULL,
	"range_start" timestamp with time zone NOT NULL,
	"range_end" timestamp with time zone NOT NULL,
	CONSTRAINT "invoice_lines_position" UNIQUE("invoice_id","position")
);
--> statement-breakpoint
CREATE TABLE "invoice_number_counters" (
	"series" text PRIMARY KEY NOT NULL,
	"last_value" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "invoice_usage" (
	"invoice_id" uuid NOT NULL,
	"source_period_start" timestamp with time zone NOT NULL,
	"assignment_id" uuid NOT NULL,
	"vm_uuid" uuid NOT NULL,
	"component" text NOT NULL,
	"range_start" timestamp with time zone NOT NULL,
	"range_end" timestamp with time zone NOT NULL,
	"raw_quantity" numeric(38, 3) NOT NULL,
	CONSTRAINT "invoice_usage_invoice_id_source_period_start_assignment_id_component_pk" PRIMARY KEY("invoice_id","source_period_start","assignment_id","component")
);
--> statement-breakpoint
CREATE TABLE "invoices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"currency" text NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"series" text,
	"number" text,
	"subtotal" bigint DEFAULT 0 NOT NULL,
	"tax" bigint DEFAULT 0 NOT NULL,
	"total" bigint DEFAULT 0 NOT NULL,
	"tax_rate_percent" numeric(9, 4) DEFAULT '0' NOT NULL,
	"tax_inclusive" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finalized_at" timestamp with time zone,
	"due_at" timestamp with time zone,
	"paid_at" timestamp with time zone,
	"payment_ref" text,
	"voided_at" timestamp with time zone,
	"uncollectible_at" timestamp with time zone,
	"status_reason" text,
	CONSTRAINT "invoices_number_unique" UNIQUE("number"),
	CONSTRAINT "invoices_tenant_period" UNIQUE("tenant_id","period_start"),
	CONSTRAINT "invoices_status" CHECK ("invoices"."status" in ('draft', 'finalized', 'paid', 'void', 'uncollectible')),
	CONSTRAINT "invoices_number_when_final" CHECK (("invoices"."status" = 'draft') = ("invoices"."number" is null)),
	CONSTRAINT "invoices_totals" CHECK ("invoices"."total" = "invoices"."subtotal" + case when "invoices"."tax_inclusive" then 0 else "invoices"."tax" end)
);
--> statement-breakpoint
CREATE TABLE "plans" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"currency" text NOT NULL,
	"base_price" bigint NOT NULL,
	"components" jsonb NOT NULL,
	"bandwidth" jsonb NOT NULL,
	"monthly_cap" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plans_name_unique" UNIQUE("name"),
	CONSTRAINT "plans_base_price" CHECK ("plans"."base_price" >= 0),
	CONSTRAINT "plans_cap" CHECK ("plans"."monthly_cap" is null or "plans"."monthly_cap" >= 0),
	CONSTRAINT "plans_currency" CHECK ("plans"."currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"company" text NOT NULL,
	"billing_email" text NOT NULL,
	"currency" text NOT NULL,
	"billing_address" text DEFAULT '' NOT NULL,
	"tax_rate_percent" numeric(9, 4) DEFAULT '0' NOT NULL,
	"prices_include_tax" boolean DEFAULT false NOT NULL,
	"payment_provider" text DEFAULT 'manual' NOT NULL,
	"provider_customer_ref" text,
	"billing_day" integer DEFAULT 1 NOT NULL,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenants_billing_day" CHECK ("tenants"."billing_day" between 1 and 28),
	CONSTRAINT "tenants_status" CHECK ("tenants"."status" in ('active', 'suspended')),
	CONSTRAINT "tenants_provider" CHECK ("tenants"."payment_provider" in ('stripe', 'paypal', 'manual')),
	CONSTRAINT "tenants_currency" CHECK ("tenants"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "tenants_tax_rate" CHECK ("tenants"."tax_rate_percent" >= 0 and "tenants"."tax_rate_percent" < 100)
);
--> statement-breakpoint
CREATE TABLE "vm_assignments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"vm_uuid" uuid NOT NULL,
	"tenant_id" uuid NOT NULL,
	"plan_id" uuid NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_to" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vm_assignments_range" CHECK ("vm_assignments"."valid_to" is null or "vm_assignments"."valid_to" > "vm_assignments"."valid_from")
);
--> statement-breakpoint
ALTER TABLE "credit_note_lines" ADD CONSTRAINT "credit_note_lines_credit_note_id_credit_notes_id_fk" FOREIGN KEY ("credit_note_id") REFERENCES "public"."credit_notes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_notes" ADD CONSTRAINT "credit_notes_invoice_id_invoices_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "public"."invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD CONSTRAINT "invoice_lines_invoice_id_invoices_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "public"."invoices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoice_usage" ADD CONSTRAINT "invoice_usage_invoice_id_invoices_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "public"."invoices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vm_assignments" ADD CONSTRAINT "vm_assignments_vm_uuid_vms_uuid_fk" FOREIGN KEY ("vm_uuid") REFERENCES "public"."vms"("uuid") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vm_assignments" ADD CONSTRAINT "vm_assignments_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vm_assignments" ADD CONSTRAINT "vm_assignments_plan_id_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "credit_notes_invoice" ON "credit_notes" USING btree ("invoice_id");--> statement-breakpoint
CREATE INDEX "invoices_period" ON "invoices" USING btree ("period_start");--> statement-breakpoint
CREATE INDEX "vm_assignments_vm" ON "vm_assignments" USING btree ("vm_uuid","valid_from");--> statement-breakpoint
CREATE INDEX "vm_assignments_tenant" ON "vm_assignments" USING btree ("tenant_id","valid_from");