from django.db import models

from mhcare.core.fields import EncryptedTextField


class SecretNote(models.Model):
    title = models.CharField(max_length=50)
    body = EncryptedTextField(blank=True)
    extra = EncryptedTextField(null=True, blank=True)

    def __str__(self) -> str:
        return self.title
