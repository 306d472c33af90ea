from __future__ import annotations

from rest_framework import serializers

from mhcare.orgs.models import Student


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
