"""The teams part of `seed_demo`: a course in the middle of team formation.

Built through the services, so the history, requests and notifications are real:
- Pixel Pushers (4, full), Gradient Descenders (3, one open place, a pending join request),
  Noisy Labels (2, renamed once, a pending invitation), in that order (the proposals seeder
  uses the first three teams with two or more members);
- Jonas works alone: a team of one, pending approval;
- Kira and Luis are looking for a team (board posts; Kira asked to join Gradient Descenders,
  Luis is invited to Noisy Labels);
- Attention Span (4, full): four more demo students, so that more than one team is full.
"""

from django.contrib.auth import get_user_model

from courses.models import Membership, Role
from teams import services

EXTRA_STUDENTS = ["Mateo Rossi", "Nadia Rahman", "Omar Farouk", "Priya Nair"]

POSTS = {
    # index in people["students"]: (interests, skills, time zone, idea, text)
    0: ("computer vision, agriculture", "PyTorch, data collection", "Africa/Lagos", "Plant disease detection", ""),
    2: ("computer vision, mobile", "Android, TFLite", "Asia/Shanghai", "", "Happy to build the phone app."),
    7: ("crowdsourcing, statistics", "EM, pandas", "Europe/Paris", "Label aggregation", ""),
    10: (
        "nlp, education",
        "PyTorch, web apps",
        "Europe/Zagreb",
        "Question generation from lecture notes",
        "I can spend ~10 h a week; evenings CET. I built a Flask app last term.",
    ),
    11: (
        "crowdsourcing, statistics, nlp",
        "R, SQL, pandas",
        "America/Mexico_City",
        "",
        "Interested in **annotation quality**. Available mornings (UTC-6).",
    ),
}


def _extra_students(course, password: str) -> list:
    User = get_user_model()
    users = []
    for name in EXTRA_STUDENTS:
        first, _, last = name.partition(" ")
        email = f"{first.lower()}@demo.courseproj.test"
        user, created = User.objects.get_or_create(
            username=email, defaults={"email": email, "first_name": first, "last_name": last}
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, course=course, defaults={"role": Role.STUDENT})
        users.append(user)
    return users


def seed(course, people):
    from courses.demo import DEMO_PASSWORD

    s = people["students"]
    instructor = people["instructor"]
    with services.without_email():
        for index, (interests, skills, tz, idea, text) in POSTS.items():
            services.save_board_post(
                course, s[index], interests=interests, skills=skills, time_zone=tz, project_idea=idea, text=text
            )

        pixel = services.create_team(
            course,
            s[0],
            name="Pixel Pushers",
            idea="Detect plant diseases from leaf photos taken with a phone, offline, for smallholder farms.",
        )
        r = services.request_to_join(pixel, s[1], "I grew up on a farm and did the fast.ai course.")
        services.accept_join_request(r, s[0])
        services.accept_invitation(services.invite_student(pixel, s[0], s[2], "You mentioned mobile apps!"), s[2])
        services.accept_join_request(services.request_to_join(pixel, s[3], "Can I join?"), s[1])

        gradient = services.create_team(
            course,
            s[4],
            name="Gradient Descenders",
            idea="Summarise lecture transcripts into study notes with key terms and questions.",
            looking_for="Someone who likes building web front ends, or has worked with speech-to-text.",
        )
        services.accept_invitation(services.invite_student(gradient, s[4], s[5]), s[5])
        services.accept_join_request(services.request_to_join(gradient, s[6], "I love NLP."), s[5])

        noisy = services.create_team(
            course,
            s[7],
            name="Crowd Cleaners",
            idea="Clean crowd-sourced labels with the EM algorithm (Dawid–Skene) and worker reliability scores.",
            looking_for="Statistics or probabilistic modelling; anyone who enjoys the labeling challenge.",
        )
        services.accept_invitation(services.invite_student(noisy, s[7], s[8]), s[8])
        noisy = services.rename_team(noisy, s[8], "Noisy Labels")

        solo = services.create_team(
            course,
            s[9],
            name="Jonas Solo",
            idea="Speech emotion recognition for call-centre audio, building on my thesis data.",
        )
        services.request_solo(
            solo,
            s[9],
            "I work full time in another city and can only work late at night; my project continues my "
            "thesis and uses data I may not share with others.",
        )

        # Two students still looking: Kira asked to join, Luis is invited.
        services.request_to_join(
            gradient, s[10], "I would like to build the web front end; I did a Flask app last term."
        )
        services.invite_student(noisy, s[7], s[11], "Your post says you like annotation quality: join us?")

        extra = _extra_students(course, DEMO_PASSWORD)
        attention = services.create_team(
            course,
            extra[0],
            name="Attention Span",
            idea="Detect when students lose attention in recorded online lectures from gaze and posture.",
        )
        for user in extra[1:]:
            services.accept_join_request(services.request_to_join(attention, user), extra[0])
        services.lock_team(attention, instructor)
