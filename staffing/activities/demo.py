def seed_activities_demo(**kwargs):
    return None
