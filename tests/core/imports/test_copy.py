import datetime

from mhcare.core.imports.copy import copy_insert
from mhcare.orgs.models import Guardian, Student


def test_copy_insert_writes_what_bulk_create_would(world):
    # given new students with an array field, a date and auto_now timestamps left unset
    klass = world.class_a
    new = [
        Student(
            school=klass.school,
            county=world.county_a,
            klass=klass,
            name=f"复制{n}",
            gender="F",
            birth_date=datetime.date(2013, 1, 1 + n),
            student_number=f"C{n:09d}",
            disadvantages=["economic", "left_behind"] if n else [],
        )
        for n in range(3)
    ]
    # when
    assert copy_insert(Student, new) == 3
    # then every value is stored, timestamps set, ids from the table
    stored = Student.objects.filter(student_number__startswith="C").order_by("student_number")
    assert [
        (s.name, s.birth_date, s.disadvantages, s.status, s.created_at is not None) for s in stored
    ] == [
        ("复制0", datetime.date(2013, 1, 1), [], "enrolled", True),
        ("复制1", datetime.date(2013, 1, 2), ["economic", "left_behind"], "enrolled", True),
        ("复制2", datetime.date(2013, 1, 3), ["economic", "left_behind"], "enrolled", True),
    ]
    copy_insert(
        Guardian,
        [
            Guardian(
                student=stored[0], school=klass.school, name="家长", relation="mother", phone="1"
            )
        ],
    )
    assert Guardian.objects.get(student=stored[0]).is_primary is False
