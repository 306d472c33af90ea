from __future__ import annotations

from rest_framework import serializers

from staffing.lessons import calendar


class ClassMonthSerializer(serializers.Serializer):
    """One class in one month: its school's code, its name, the MH class hours given, the hours
    required (0 in a holiday month, which is not counted) and whether they were met."""

    school = serializers.CharField(help_text="The school's org code.")
    # "class" is a Python keyword: the field is named in the output by ``to_representation``.
    class_name = serializers.CharField()
    hours = serializers.DecimalField(max_digits=5, decimal_places=1)
    # not named "required": a serializer is a field, whose ``required`` is a flag
    required_hours = serializers.DecimalField(max_digits=3, decimal_places=1, source="required")
    met = serializers.BooleanField()

    def to_representation(self, instance):  # type: ignore[no-untyped-def]
        data = super().to_representation(instance)
        return {
            "school": data["school"],
            "class": data["class_name"],
            "hours": data["hours"],
            "required": data["required_hours"],
            "met": data["met"],
        }


class ClassMonthSchemaSerializer(serializers.Serializer):
    """The documented shape of a row (``class`` as the field name)."""

    school = serializers.CharField()
    hours = serializers.DecimalField(max_digits=5, decimal_places=1)
    met = serializers.BooleanField()

    def get_fields(self):  # type: ignore[no-untyped-def]
        fields = super().get_fields()
        fields["class"] = serializers.CharField(help_text="The class's name.")
        fields["required"] = serializers.DecimalField(
            max_digits=3, decimal_places=1, help_text="0 in a holiday month."
        )
        return {k: fields[k] for k in ("school", "class", "hours", "required", "met")}


class ClassMonthPageSerializer(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    results = ClassMonthSchemaSerializer(many=True)


class LessonCreateSerializer(serializers.Serializer):
    classes = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=1,
        max_length=200,
        help_text="Ids of the classes that had the lesson (one school).",
    )
    given_on = serializers.DateField()
    hours = serializers.DecimalField(max_digits=3, decimal_places=1)
    topic = serializers.CharField(max_length=200)
    teacher_name = serializers.CharField(max_length=100, required=False, allow_blank=True)


class LessonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    school = serializers.CharField(source="school.code")
    class_id = serializers.IntegerField(source="klass_id")
    given_on = serializers.DateField()
    month = serializers.SerializerMethodField()
    hours = serializers.DecimalField(max_digits=3, decimal_places=1)
    topic = serializers.CharField()
    teacher_name = serializers.CharField()

    def get_month(self, lesson) -> str:  # type: ignore[no-untyped-def]
        return f"{calendar.month_of(lesson.given_on):%Y-%m}"
