"""The plan of a generated province, in Python and deterministic from the seed: the real Zhejiang
tree (``mhcare/orgs/data/zhejiang-divisions.csv``), county weights, schools by stage and their
classes with sizes. Small (≈ 6 000 schools, ≈ 150 000 classes for 6.5 M students); the students
and everything under them are made by set-based SQL from it (``province.generate``).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field

from mhcare.orgs.demo import DIVISIONS_CSV, class_name
from mhcare.orgs.models import STAGE_GRADES, SchoolStage

# Approximate resident population of the 11 cities (millions, 7th census, 2020): the county
# weights are the city's weight split among its counties by a seeded log-normal share.
CITY_WEIGHTS = {
    "3301": 11.9,
    "3302": 9.4,
    "3303": 9.6,
    "3304": 5.4,
    "3305": 3.4,
    "3306": 5.3,
    "3307": 7.1,
    "3308": 2.3,
    "3309": 1.2,
    "3310": 6.6,
    "3311": 2.5,
}
# Schools by stage (share of the schools) and relative cohort size of a grade in each stage
# (fewer students go on to senior secondary).
STAGE_SHARES: tuple[tuple[str, float], ...] = (
    (SchoolStage.PRIMARY, 0.55),
    (SchoolStage.JUNIOR, 0.30),
    (SchoolStage.SENIOR, 0.15),
)
COHORT: dict[str, float] = {
    SchoolStage.PRIMARY: 1.0,
    SchoolStage.JUNIOR: 1.0,
    SchoolStage.SENIOR: 0.85,
}
STUDENTS_PER_SCHOOL = 1083  # 6.5 M students in ≈ 6 000 schools
CLASS_MIN, CLASS_MAX = 40, 45
STAGE_WORD: dict[str, str] = {
    SchoolStage.PRIMARY: "小学",
    SchoolStage.JUNIOR: "初级中学",
    SchoolStage.SENIOR: "高级中学",
}


@dataclass(frozen=True)
class County:
    code: str
    name: str
    city_code: str
    city_name: str
    weight: float


@dataclass
class School:
    code: str
    name: str
    stage: str
    county: County
    is_boarding: bool
    classes: list[tuple[int, str, int]] = field(default_factory=list)  # grade, name, size

    @property
    def enrolled(self) -> int:
        return sum(size for _, _, size in self.classes)


@dataclass
class ProvincePlan:
    counties: list[County]
    schools: list[School]

    @property
    def students(self) -> int:
        return sum(s.enrolled for s in self.schools)

    @property
    def class_count(self) -> int:
        return sum(len(s.classes) for s in self.schools)


def divisions() -> list[dict[str, str]]:
    with DIVISIONS_CSV.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def plan(students: int, seed: int) -> ProvincePlan:
    rng = random.Random(seed)  # noqa: S311 - generated data, not secrets
    rows = divisions()
    shares = [rng.lognormvariate(0, 0.45) for _ in rows]
    city_total: dict[str, float] = {}
    for row, share in zip(rows, shares, strict=True):
        city_total[row["city_code"]] = city_total.get(row["city_code"], 0.0) + share
    counties = [
        County(
            code=row["county_code"],
            name=row["county_name"],
            city_code=row["city_code"],
            city_name=row["city_name"],
            weight=CITY_WEIGHTS[row["city_code"]] * share / city_total[row["city_code"]],
        )
        for row, share in zip(rows, shares, strict=True)
    ]
    total_schools = max(3, round(students / STUDENTS_PER_SCHOOL))
    cohort_total = sum(COHORT[stage] * len(STAGE_GRADES[stage]) for stage, _ in STAGE_SHARES)
    weights = [c.weight for c in counties]
    schools: list[School] = []
    for stage, share in STAGE_SHARES:
        count = max(1, round(total_schools * share))
        stage_students = students * COHORT[stage] * len(STAGE_GRADES[stage]) / cohort_total
        placed = rng.choices(counties, weights=weights, k=count)
        sizes = [rng.lognormvariate(0, 0.5) for _ in range(count)]
        size_total = sum(sizes)
        for county, size in zip(placed, sizes, strict=True):
            school = School(
                code="",
                name="",
                stage=stage,
                county=county,
                is_boarding=stage == SchoolStage.SENIOR and rng.random() < 0.6,
            )
            per_grade = stage_students * size / size_total / len(STAGE_GRADES[stage])
            for grade in STAGE_GRADES[stage]:
                target = per_grade * rng.uniform(0.9, 1.1)
                if target < CLASS_MIN:
                    sizes_of_grade = [max(1, round(target))]
                else:
                    count_of_grade = max(1, round(target / ((CLASS_MIN + CLASS_MAX) / 2)))
                    sizes_of_grade = [
                        rng.randint(CLASS_MIN, CLASS_MAX) for _ in range(count_of_grade)
                    ]
                for number, class_size in enumerate(sizes_of_grade, start=1):
                    school.classes.append((grade, class_name(grade, number), class_size))
            schools.append(school)
    # Codes and names per county, in a fixed order: county, stage, then size (largest first).
    order: dict[str, int] = {stage: i for i, (stage, _) in enumerate(STAGE_SHARES)}
    schools.sort(key=lambda s: (s.county.code, order[s.stage], -s.enrolled))
    serial: dict[str, int] = {}
    per_stage: dict[tuple[str, str], int] = {}
    for school in schools:
        serial[school.county.code] = serial.get(school.county.code, 0) + 1
        key = (school.county.code, school.stage)
        per_stage[key] = per_stage.get(key, 0) + 1
        school.code = f"{school.county.code}{serial[school.county.code]:04d}"
        school.name = (
            f"{school.county.city_name}{school.county.name}"
            f"第{per_stage[key]}{STAGE_WORD[school.stage]}"
        )
    return ProvincePlan(counties=counties, schools=schools)
