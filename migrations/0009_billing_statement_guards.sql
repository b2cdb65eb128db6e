-- Invoice children guards become statement-level with transition tables: one check per statement instead of a
-- lookup per row (an invoice run writes ~40 lines per invoice). Same rule: rows of a non-draft invoice are frozen.
DROP TRIGGER IF EXISTS invoice_lines_guard ON invoice_lines;
--> statement-breakpoint
DROP TRIGGER IF EXISTS invoice_usage_guard ON invoice_usage;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION kz_invoice_children_guard_stmt() RETURNS trigger AS $$
DECLARE
  bad record;
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT i.id, i.status INTO bad FROM invoices i WHERE i.status <> 'draft' AND i.id IN (SELECT invoice_id FROM kz_new_rows) LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION '%: invoice % is %, its lines are immutable', TG_TABLE_NAME, bad.id, bad.status USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT i.id, i.status INTO bad FROM invoices i WHERE i.status <> 'draft' AND i.id IN (SELECT invoice_id FROM kz_old_rows) LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION '%: invoice % is %, its lines are immutable', TG_TABLE_NAME, bad.id, bad.status USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER invoice_lines_guard_ins AFTER INSERT ON invoice_lines REFERENCING NEW TABLE AS kz_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kz_invoice_children_guard_stmt();
--> statement-breakpoint
CREATE TRIGGER invoice_lines_guard_upd AFTER UPDATE ON invoice_lines REFERENCING OLD TABLE AS kz_old_rows NEW TABLE AS kz_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kz_invoice_children_guard_stmt();
--> statement-breakpoint
CREATE TRIGGER invoice_lines_guard_del AFTER DELETE ON invoice_lines REFERENCING OLD TABLE AS kz_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kz_invoice_children_guard_stmt();
--> statement-breakpoint
CREATE TRIGGER invoice_usage_guard_ins AFTER INSERT ON invoice_usage REFERENCING NEW TABLE AS kz_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kz_invoice_children_guard_stmt();
--> statement-breakpoint
CREATE TRIGGER invoice_usage_guard_upd AFTER UPDATE ON invoice_usage REFERENCING OLD TABLE AS kz_old_rows NEW TABLE AS kz_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kz_invoice_children_guard_stmt();
--> statement-breakpoint
CREATE TRIGGER invoice_usage_guard_del AFTER DELETE ON invoice_usage REFERENCING OLD TABLE AS kz_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kz_invoice_children_guard_stmt();
--> statement-breakpoint
-- TRUNCATE skips row triggers: refuse it on issued documents.
CREATE OR REPLACE FUNCTION kz_billing_no_truncate() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '%: billing documents cannot be truncated', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER invoices_no_truncate BEFORE TRUNCATE ON invoices FOR EACH STATEMENT EXECUTE FUNCTION kz_billing_no_truncate();
--> statement-breakpoint
CREATE TRIGGER invoice_lines_no_truncate BEFORE TRUNCATE ON invoice_lines FOR EACH STATEMENT EXECUTE FUNCTION kz_billing_no_truncate();
--> statement-breakpoint
CREATE TRIGGER credit_notes_no_truncate BEFORE TRUNCATE ON credit_notes FOR EACH STATEMENT EXECUTE FUNCTION kz_billing_no_truncate();
