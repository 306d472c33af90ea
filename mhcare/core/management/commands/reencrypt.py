"""``manage.py reencrypt``: move every stored ``EncryptedTextField`` value to the newest key.

Key rotation: put the new key first in ``FIELD_ENCRYPTION_KEYS`` (keep the old ones after it),
deploy, run this command, then drop the old keys. Values already under the newest key are left
alone, so the command is idempotent and can be re-run after an interruption.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import models, transaction
from django.db.models.functions import Cast

from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.fields import encrypted_fields, is_current, rotate_token


def encrypted_models() -> list[tuple[type[models.Model], list[Any]]]:
    found = []
    for model in apps.get_models():
        opts = model._meta
        if opts.proxy or not opts.managed:
            continue
        fields = encrypted_fields(model)
        if fields:
            found.append((model, fields))
    return found


def _raw(name: str) -> str:
    return f"mhcare_raw_{name}"


def reencrypt_model(
    model: type[models.Model], fields: list[Any], batch_size: int
) -> tuple[int, int]:
    """Rotate one model's values in keyset batches, each batch locked and written in one
    transaction. Returns (values rotated, values already current)."""
    rotated = current = 0
    last_pk: Any = None
    raw_columns = {_raw(f.name): Cast(f.name, output_field=models.TextField()) for f in fields}
    while True:
        with transaction.atomic():
            queryset = model._base_manager.order_by("pk").select_for_update()
            if last_pk is not None:
                queryset = queryset.filter(pk__gt=last_pk)
            rows = list(queryset.annotate(**raw_columns).values("pk", *raw_columns)[:batch_size])
            if not rows:
                return rotated, current
            changed: list[models.Model] = []
            for row in rows:
                instance = model(pk=row["pk"])
                dirty = False
                for field in fields:
                    token = row[_raw(field.name)]
                    if token and not is_current(token):
                        token = rotate_token(token)
                        rotated += 1
                        dirty = True
                    elif token:
                        current += 1
                    # Written as a plain text value so that the field does not encrypt it again.
                    setattr(instance, field.attname, models.Value(token, models.TextField()))
                if dirty:
                    changed.append(instance)
            if changed:
                model._base_manager.bulk_update(changed, [f.name for f in fields])
            last_pk = rows[-1]["pk"]


class Command(BaseCommand):
    help = "Re-encrypt every EncryptedTextField value with the newest key in FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = max(1, int(options["batch_size"]))
        total_rotated = total_current = 0
        for model, fields in encrypted_models():
            rotated, current = reencrypt_model(model, fields, batch_size)
            total_rotated += rotated
            total_current += current
            self.stdout.write(
                f"{model._meta.label}: {rotated} rotated, {current} already on the newest key"
            )
            if rotated:
                with transaction.atomic():
                    audit_record(
                        actor=None,
                        action=Action.UPDATE,
                        object_type=model._meta.label_lower,
                        username="manage.py reencrypt",
                        detail={"command": "reencrypt", "rotated": rotated},
                    )
        self.stdout.write(
            self.style.SUCCESS(
                f"Total: {total_rotated} rotated, {total_current} already on the newest key"
            )
        )
