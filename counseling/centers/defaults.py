"""The default checklist of a standardized county counseling center (notice §8). A data migration
wrote the same items; ``ensure_default_items`` puts back any that are missing (a test database
flushed by a transactional test, a fresh demo) without touching items a province has edited."""

from __future__ import annotations

from typing import Any

DEFAULT_ITEMS = [
    (
        "space",
        "独立场地与功能分区",
        "Dedicated space and functional areas",
        "个体辅导室、团体辅导室、放松室、接待区等功能分区齐全。",
        10,
        True,
    ),
    (
        "staff",
        "专职人员配备",
        "Full-time professional staff",
        "至少 2 名专职心理健康教育教师或心理咨询师，持证上岗。",
        20,
        True,
    ),
    (
        "hours",
        "开放时间与延时服务",
        "Opening hours, including extended hours",
        "公布开放时间，工作日开放并提供课后或周末延时服务。",
        30,
        True,
    ),
    (
        "hotline",
        "心理援助热线",
        "Psychological support hotline",
        "开通并公布心理援助热线，明确值守安排。",
        40,
        True,
    ),
    (
        "referral",
        "医教协同转介协议",
        "Referral agreement with a mental-health institution",
        "与精神卫生医疗机构签订转介协议，转介流程清晰。",
        50,
        True,
    ),
    (
        "records",
        "辅导档案与保密制度",
        "Counseling records kept and stored securely",
        "建立辅导档案，按规定保管，落实保密要求。",
        60,
        True,
    ),
    (
        "supervision",
        "督导与培训机制",
        "Supervision and training",
        "定期开展专业督导与业务培训。",
        70,
        True,
    ),
    (
        "crisis",
        "危机干预预案",
        "Crisis intervention plan",
        "制定危机干预预案并定期演练。",
        80,
        True,
    ),
    (
        "schools",
        "指导服务区域学校",
        "Guidance to the county's schools",
        "对区域内中小学心理辅导室开展业务指导。",
        90,
        False,
    ),
]


def ensure_default_items(model: Any = None) -> int:
    """Create the default items whose code is missing; returns how many were created."""
    if model is None:
        from counseling.models import ChecklistItem

        model = ChecklistItem
    created = 0
    for code, title, title_en, description, order, required in DEFAULT_ITEMS:
        _item, was_created = model.objects.get_or_create(
            code=code,
            defaults={
                "title": title,
                "title_en": title_en,
                "description": description,
                "order": order,
                "is_required": required,
            },
        )
        created += was_created
    return created
