from teams.models import Team, TeamMembership


def seed(course, people):
    """A few teams for the demo course."""
    students = people["students"]
    plan = [
        ("Pixel Pushers", "Detect plant diseases from leaf photos.", students[0:4]),
        ("Gradient Descenders", "Summarise lecture transcripts.", students[4:7]),
        ("Noisy Labels", "Clean crowd labels with EM.", students[7:9]),
    ]
    for name, idea, members in plan:
        team = Team.objects.create(course=course, name=name, idea=idea, created_by=members[0])
        TeamMembership.objects.bulk_create([TeamMembership(team=team, user=u, course=course) for u in members])
