from django.db import migrations


def load(apps, schema_editor):
    from screening.loader import load_instruments

    load_instruments(apps.get_model("screening", "Instrument"), ["phq-9.json"])


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
