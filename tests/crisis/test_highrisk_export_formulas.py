"""The high-risk export writes stored text as text: a student named like a formula does not
become a live formula in a teacher's Excel."""

import io
import zipfile

from django.urls import reverse
from openpyxl import load_workbook

from tests.crisis.test_cases import _confirm

NAME = '=HYPERLINK("http://x","y")'


def test_a_name_that_looks_like_a_formula_is_exported_as_text(client, world):
    student = world.students["a"]
    student.name = NAME
    student.save()
    _confirm(world)
    client.force_login(world.users["center_a"])
    response = client.get(reverse("crisis:highrisk_export"))
    assert response.status_code == 200
    cell = load_workbook(io.BytesIO(response.content)).active["B3"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (NAME, "s", True)
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert all(b"<f>" not in archive.read(n) for n in sheets)
