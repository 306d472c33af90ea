def seed_lessons_demo(**kwargs):
    return None
