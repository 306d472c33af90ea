from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rest_framework import serializers

from mhcare.orgs.models import Student, mask_student_number


class StudentSerializer(serializers.ModelSerializer[Student]):
    """A student as the API shows it: the national student number masked, no guardian data."""

    student_number_masked = serializers.CharField(source="masked_student_number", read_only=True)
    school_code = serializers.CharField(source="school.code", read_only=True)
    school_name = serializers.CharField(source="school.name", read_only=True)
    class_id = serializers.IntegerField(source="klass_id", read_only=True)
    class_name = serializers.CharField(source="klass.name", read_only=True)
    grade = serializers.IntegerField(source="klass.grade", read_only=True)
    disadvantages = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Student
        fields = [
            "id",
            "name",
            "gender",
            "birth_date",
            "student_number_masked",
            "school_code",
            "school_name",
            "class_id",
            "class_name",
            "grade",
            "status",
            "disadvantages",
        ]
        read_only_fields = fields


# The columns ``student_rows`` reads: ``queryset.values(*STUDENT_ROW_COLUMNS)``.
STUDENT_ROW_COLUMNS = (
    "id",
    "name",
    "gender",
    "birth_date",
    "student_number",
    "school__code",
    "school__name",
    "klass_id",
    "klass__name",
    "klass__grade",
    "status",
    "disadvantages",
)


def student_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``StudentSerializer(many=True).data`` for rows read with ``STUDENT_ROW_COLUMNS``: the same
    keys in the same order and the same values (the student number masked the same way), built
    without a model instance or a serializer field per value. A list of a thousand students is
    the API's hot path; tests/orgs/test_apis.py holds it equal to the serializer."""
    return [
        {
            "id": row["id"],
            "name": row["name"],
            "gender": row["gender"],
            "birth_date": row["birth_date"].isoformat(),
            "student_number_masked": mask_student_number(row["student_number"]),
            "school_code": row["school__code"],
            "school_name": row["school__name"],
            "class_id": row["klass_id"],
            "class_name": row["klass__name"],
            "grade": row["klass__grade"],
            "status": row["status"],
            "disadvantages": list(row["disadvantages"]),
        }
        for row in rows
    ]
