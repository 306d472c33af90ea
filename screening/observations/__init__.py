"""Dynamic observations (动态观察): a homeroom or subject teacher reports a concern about a student
of their class; the school's psychology teacher reviews it and may propose a risk level."""
