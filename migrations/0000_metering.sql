CREATE TABLE "host_poll_failures" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"host_id" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"error" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "hosts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"adapter" text NOT NULL,
	"address" text,
	"port" integer DEFAULT 22 NOT NULL,
	"username" text,
	"key_path" text,
	"host_key" text,
	"sysfs_root" text DEFAULT '/sys/bus/xen-backend/devices' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"next_poll_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_poll_at" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"last_error" text,
	"last_error_at" timestamp with time zone,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "hosts_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "meter_anomalies" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"vm_uuid" uuid NOT NULL,
	"host_id" uuid,
	"at" timestamp with time zone NOT NULL,
	"counter" text NOT NULL,
	"previous" numeric(20, 0),
	"current" numeric(20, 0) NOT NULL,
	"elapsed_ms" integer NOT NULL,
	"reason" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vm_meter_state" (
	"vm_uuid" uuid PRIMARY KEY NOT NULL,
	"host_id" uuid NOT NULL,
	"domid" integer NOT NULL,
	"sampled_at" timestamp with time zone NOT NULL,
	"vcpus" integer NOT NULL,
	"memory_kib" numeric(20, 0) NOT NULL,
	"counters" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vms" (
	"uuid" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"host_id" uuid,
	"domid" integer,
	"state" text DEFAULT 'unknown' NOT NULL,
	"vcpus" integer DEFAULT 0 NOT NULL,
	"memory_mib" integer DEFAULT 0 NOT NULL,
	"first_seen_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "usage_5min" (
	"vm_uuid" uuid NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"cpu_seconds" bigint DEFAULT 0 NOT NULL,
	"vcpu_seconds" numeric(24, 3) DEFAULT '0' NOT NULL,
	"mem_mib_seconds" numeric(28, 3) DEFAULT '0' NOT NULL,
	"disk_read_bytes" bigint DEFAULT 0 NOT NULL,
	"disk_write_bytes" bigint DEFAULT 0 NOT NULL,
	"net_rx_bytes" bigint DEFAULT 0 NOT NULL,
	"net_tx_bytes" bigint DEFAULT 0 NOT NULL,
	"uptime_seconds" numeric(24, 3) DEFAULT '0' NOT NULL,
	"samples" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "usage_5min_vm_uuid_bucket_pk" PRIMARY KEY("vm_uuid","bucket")
);
--> statement-breakpoint
CREATE TABLE "usage_day" (
	"vm_uuid" uuid NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"cpu_seconds" bigint DEFAULT 0 NOT NULL,
	"vcpu_seconds" numeric(24, 3) DEFAULT '0' NOT NULL,
	"mem_mib_seconds" numeric(28, 3) DEFAULT '0' NOT NULL,
	"disk_read_bytes" bigint DEFAULT 0 NOT NULL,
	"disk_write_bytes" bigint DEFAULT 0 NOT NULL,
	"net_rx_bytes" bigint DEFAULT 0 NOT NULL,
	"net_tx_bytes" bigint DEFAULT 0 NOT NULL,
	"uptime_seconds" numeric(24, 3) DEFAULT '0' NOT NULL,
	"samples" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "usage_day_vm_uuid_bucket_pk" PRIMARY KEY("vm_uuid","bucket")
);
--> statement-breakpoint
CREATE TABLE "usage_hour" (
	"vm_uuid" uuid NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"cpu_seconds" bigint DEFAULT 0 NOT NULL,
	"vcpu_seconds" numeric(24, 3) DEFAULT '0' NOT NULL,
	"mem_mib_seconds" numeric(28, 3) DEFAULT '0' NOT NULL,
	"disk_read_bytes" bigint DEFAULT 0 NOT NULL,
	"disk_write_bytes" bigint DEFAULT 0 NOT NULL,
	"net_rx_bytes" bigint DEFAULT 0 NOT NULL,
	"net_tx_bytes" bigint DEFAULT 0 NOT NULL,
	"uptime_seconds" numeric(24, 3) DEFAULT '0' NOT NULL,
	"samples" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "usage_hour_vm_uuid_bucket_pk" PRIMARY KEY("vm_uuid","bucket")
);
--> statement-breakpoint
CREATE TABLE "usage_minute" (
	"vm_uuid" uuid NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"cpu_seconds" bigint DEFAULT 0 NOT NULL,
	"vcpu_seconds" numeric(24, 3) DEFAULT '0' NOT NULL,
	"mem_mib_seconds" numeric(28, 3) DEFAULT '0' NOT NULL,
	"disk_read_bytes" bigint DEFAULT 0 NOT NULL,
	"disk_write_bytes" bigint DEFAULT 0 NOT NULL,
	"net_rx_bytes" bigint DEFAULT 0 NOT NULL,
	"net_tx_bytes" bigint DEFAULT 0 NOT NULL,
	"uptime_seconds" numeric(24, 3) DEFAULT '0' NOT NULL,
	"samples" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "usage_minute_vm_uuid_bucket_pk" PRIMARY KEY("vm_uuid","bucket")
);
--> statement-breakpoint
ALTER TABLE "host_poll_failures" ADD CONSTRAINT "host_poll_failures_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vms" ADD CONSTRAINT "vms_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "host_poll_failures_host_at" ON "host_poll_failures" USING btree ("host_id","at");--> statement-breakpoint
CREATE INDEX "meter_anomalies_vm_at" ON "meter_anomalies" USING btree ("vm_uuid","at");--> statement-breakpoint
CREATE INDEX "vms_host" ON "vms" USING btree ("host_id");--> statement-breakpoint
CREATE INDEX "usage_5min_bucket" ON "usage_5min" USING btree ("bucket");--> statement-breakpoint
CREATE INDEX "usage_day_bucket" ON "usage_day" USING btree ("bucket");--> statement-breakpoint
CREATE INDEX "usage_hour_bucket" ON "usage_hour" USING btree ("bucket");--> statement-breakpoint
CREATE INDEX "usage_minute_bucket" ON "usage_minute" USING btree ("bucket");