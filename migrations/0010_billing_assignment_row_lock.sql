-- The no-overlap trigger serialises writers per VM with a row lock on the VM instead of an advisory lock:
-- advisory locks live in the shared lock table, so one statement assigning 30,000 VMs ran out of shared memory.
CREATE OR REPLACE FUNCTION kz_vm_assignments_no_overlap() RETURNS trigger AS $$
BEGIN
  PERFORM 1 FROM vms WHERE uuid = NEW.vm_uuid FOR NO KEY UPDATE;
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
