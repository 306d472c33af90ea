"""Load PHQ-A, GAD-7, ASQ and the score-level instruments (idempotent: existing versions are
skipped), and make an instrument version with results immutable in the database too."""

from django.db import migrations

IMMUTABLE_SQL = """
CREATE OR REPLACE FUNCTION screening_instrument_immutable() RETURNS trigger AS $$
BEGIN
  IF (NEW.definition IS DISTINCT FROM OLD.definition
      OR NEW.code IS DISTINCT FROM OLD.code
      OR NEW.version IS DISTINCT FROM OLD.version
      OR NEW.kind IS DISTINCT FROM OLD.kind)
     AND EXISTS (SELECT 1 FROM screening_screeningresult WHERE instrument_id = OLD.id) THEN
    RAISE EXCEPTION 'instrument % v% has results and cannot be changed; make a new version',
      OLD.code, OLD.version USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS screening_instrument_immutable ON screening_instrument;
CREATE TRIGGER screening_instrument_immutable BEFORE UPDATE ON screening_instrument
  FOR EACH ROW EXECUTE FUNCTION screening_instrument_immutable();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS screening_instrument_immutable ON screening_instrument;
DROP FUNCTION IF EXISTS screening_instrument_immutable();
"""


def load(apps, schema_editor):
    from screening.loader import load_instruments

    load_instruments(apps.get_model("screening", "Instrument"))


class Migration(migrations.Migration):
    dependencies = [("screening", "0003_campaigns_imports_observations")]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
        migrations.RunSQL(IMMUTABLE_SQL, DROP_SQL),
    ]
