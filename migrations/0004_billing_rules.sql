-- Billing rules the database enforces itself (portable to PGlite: plain PL/pgSQL, no btree_gist).
-- 1. No overlapping assignments per VM: a per-VM transaction advisory lock serialises writers, then a range check.
CREATE OR REPLACE FUNCTION kz_vm_assignments_no_overlap() RETURNS trigger AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7411101, hashtext(NEW.vm_uuid::text));
  IF EXISTS (
    SELECT 1 FROM vm_assignments a
    WHERE a.vm_uuid = NEW.vm_uuid AND a.id <> NEW.id
      AND tstzrange(a.valid_from, a.valid_to) && tstzrange(NEW.valid_from, NEW.valid_to)
  ) THEN
    RAISE EXCEPTION 'vm_assignments: VM % already has an assignment overlapping [%, %)', NEW.vm_uuid, NEW.valid_from, coalesce(NEW.valid_to::text, 'open')
      USING ERRCODE = 'exclusion_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER vm_assignments_no_overlap BEFORE INSERT OR UPDATE ON vm_assignments
  FOR EACH ROW EXECUTE FUNCTION kz_vm_assignments_no_overlap();
--> statement-breakpoint
-- 2. Invoices: content frozen once finalized; status only moves forward; line sums checked when finalizing.
CREATE OR REPLACE FUNCTION kz_invoices_guard() RETURNS trigger AS $$
DECLARE
  line_sum bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' THEN
      RAISE EXCEPTION 'invoice % is %: finalized invoices cannot be deleted', OLD.number, OLD.status USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN OLD;
  END IF;
  IF NEW.status <> OLD.status AND NOT (
       (OLD.status = 'draft' AND NEW.status = 'finalized')
    OR (OLD.status = 'finalized' AND NEW.status IN ('paid', 'void', 'uncollectible'))
    OR (OLD.status = 'uncollectible' AND NEW.status IN ('paid', 'void'))
  ) THEN
    RAISE EXCEPTION 'invoice %: status cannot go from % to %', coalesce(OLD.number, OLD.id::text), OLD.status, NEW.status USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF OLD.status <> 'draft' AND (
       NEW.id IS DISTINCT FROM OLD.id OR NEW.tenant_id IS DISTINCT FROM OLD.tenant_id
    OR NEW.period_start IS DISTINCT FROM OLD.period_start OR NEW.period_end IS DISTINCT FROM OLD.period_end
    OR NEW.currency IS DISTINCT FROM OLD.currency OR NEW.series IS DISTINCT FROM OLD.series
    OR NEW.number IS DISTINCT FROM OLD.number OR NEW.subtotal IS DISTINCT FROM OLD.subtotal
    OR NEW.tax IS DISTINCT FROM OLD.tax OR NEW.total IS DISTINCT FROM OLD.total
    OR NEW.tax_rate_percent IS DISTINCT FROM OLD.tax_rate_percent OR NEW.tax_inclusive IS DISTINCT FROM OLD.tax_inclusive
    OR NEW.finalized_at IS DISTINCT FROM OLD.finalized_at OR NEW.due_at IS DISTINCT FROM OLD.due_at
    OR NEW.created_at IS DISTINCT FROM OLD.created_at
  ) THEN
    RAISE EXCEPTION 'invoice % is %: its content is immutable (issue a credit note instead)', OLD.number, OLD.status USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF OLD.status = 'draft' AND NEW.status = 'finalized' THEN
    SELECT coalesce(sum(amount), 0) INTO line_sum FROM invoice_lines WHERE invoice_id = NEW.id;
    IF line_sum <> NEW.subtotal THEN
      RAISE EXCEPTION 'invoice %: lines sum to % but subtotal is %', NEW.number, line_sum, NEW.subtotal USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER invoices_guard BEFORE UPDATE OR DELETE ON invoices
  FOR EACH ROW EXECUTE FUNCTION kz_invoices_guard();
--> statement-breakpoint
-- 3. Lines and billed-usage snapshots of a non-draft invoice cannot be added, changed or removed.
CREATE OR REPLACE FUNCTION kz_invoice_children_guard() RETURNS trigger AS $$
DECLARE
  st text;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT status INTO st FROM invoices WHERE id = OLD.invoice_id;
    IF FOUND AND st <> 'draft' THEN
      RAISE EXCEPTION '%: invoice % is %, its lines are immutable', TG_TABLE_NAME, OLD.invoice_id, st USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT status INTO st FROM invoices WHERE id = NEW.invoice_id;
    IF FOUND AND st <> 'draft' THEN
      RAISE EXCEPTION '%: invoice % is %, its lines are immutable', TG_TABLE_NAME, NEW.invoice_id, st USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
  END IF;
  RETURN OLD;
END $$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER invoice_lines_guard BEFORE INSERT OR UPDATE OR DELETE ON invoice_lines
  FOR EACH ROW EXECUTE FUNCTION kz_invoice_children_guard();
--> statement-breakpoint
CREATE TRIGGER invoice_usage_guard BEFORE INSERT OR UPDATE OR DELETE ON invoice_usage
  FOR EACH ROW EXECUTE FUNCTION kz_invoice_children_guard();
--> statement-breakpoint
-- 4. Credit notes are issued documents: never changed or deleted. Counters never go back (no gaps, no reuse).
CREATE OR REPLACE FUNCTION kz_reject_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '%: rows are immutable once written', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER credit_notes_immutable BEFORE UPDATE OR DELETE ON credit_notes
  FOR EACH ROW EXECUTE FUNCTION kz_reject_change();
--> statement-breakpoint
CREATE TRIGGER credit_note_lines_immutable BEFORE UPDATE OR DELETE ON credit_note_lines
  FOR EACH ROW EXECUTE FUNCTION kz_reject_change();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION kz_counter_forward() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' OR NEW.last_value < OLD.last_value OR NEW.series <> OLD.series THEN
    RAISE EXCEPTION 'invoice_number_counters: series % can only move forward', OLD.series USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER invoice_number_counters_forward BEFORE UPDATE OR DELETE ON invoice_number_counters
  FOR EACH ROW EXECUTE FUNCTION kz_counter_forward();
