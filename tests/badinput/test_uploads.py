"""Bad uploads to every upload field, by page and by API: over the size limit, the wrong type,
non-UTF-8 text, empty, absurd names. Each is refused with a message and changes nothing: no row,
no membership, no stored file."""

import io
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courses.models import Membership
from labeling.models import Challenge, Submission
from teams.models import TeamMembership
from tests.authz.world import World
from tests.labeling.factories import STARTER_CODE, seed_files

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
LATIN1_CSV = "email,name,role\njosé@example.com,José Núñez,student\n".encode("latin-1")
UTF16_CSV = "email,name,role\nx@example.com,X,student\n".encode("utf-16")


@pytest.fixture(autouse=True)
def quiet_requests():
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


def stored_files(settings) -> set:
    root = settings.DATA_DIR
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def upload(name: str, data: bytes, kind: str = "text/csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=kind)


BAD_CSVS = {
    "latin-1": ("roster.csv", LATIN1_CSV),
    "utf-16": ("roster.csv", UTF16_CSV),
    "png": ("roster.csv", PNG),
    "png-named-png": ("photo.png", PNG),
    "empty": ("roster.csv", b""),
    "over-1-MB": ("roster.csv", b"email,name,role\n" + b"a@example.com,A,student\n" * 50_000),
    "too-many-rows": (
        "roster.csv",
        b"email,name,role\n" + b"".join(b"s%d@example.com,S,student\n" % i for i in range(5001)),
    ),
    "no-header": ("roster.csv", b"just some words\nand more\n"),
    "nul-bytes": ("roster.csv", b"email,name,role\nx\x00@example.com,X,student\n"),
}


class TestRosterImport:
    @pytest.mark.parametrize("case", BAD_CSVS)
    def test_the_page_refuses_it(self, people, client_for, case):
        name, data = BAD_CSVS[case]
        before = Membership.objects.count()
        client = client_for(people.instructor)
        response = client.post(
            f"/courses/{people.course.slug}/roster/import/", {"file": upload(name, data)}, follow=True
        )
        assert response.redirect_chain == [] or case == "empty", case  # an empty file: back to the roster
        page = response.content.decode()
        assert response.status_code == (200 if case == "empty" else 400), case
        assert 'class="errors"' in page or 'class="message error"' in page, case
        assert Membership.objects.count() == before

    @pytest.mark.parametrize("case", BAD_CSVS)
    def test_the_api_refuses_it(self, people, api_for, case):
        name, data = BAD_CSVS[case]
        before = Membership.objects.count()
        response = api_for(people.instructor).post(
            f"/api/courses/{people.course.slug}/roster/", {"file": upload(name, data)}, format="multipart"
        )
        assert response.status_code == 400, case
        assert response.json()
        assert Membership.objects.count() == before


class TestTeamsImport:
    @pytest.mark.parametrize("case", BAD_CSVS)
    def test_the_page_refuses_it(self, people, client_for, case):
        name, data = BAD_CSVS[case]
        before = sorted(TeamMembership.objects.values_list("team_id", "user_id"))
        response = client_for(people.instructor).post(
            f"/courses/{people.course.slug}/teams/manage/import/", {"file": upload(name, data)}
        )
        assert response.status_code == 400, case
        assert sorted(TeamMembership.objects.values_list("team_id", "user_id")) == before

    @pytest.mark.parametrize("case", BAD_CSVS)
    def test_the_api_refuses_it(self, people, api_for, case):
        name, data = BAD_CSVS[case]
        before = sorted(TeamMembership.objects.values_list("team_id", "user_id"))
        response = api_for(people.instructor).post(
            f"/api/courses/{people.course.slug}/teams/import/", {"file": upload(name, data)}, format="multipart"
        )
        assert response.status_code == 400, case
        assert sorted(TeamMembership.objects.values_list("team_id", "user_id")) == before


BAD_CODE = {
    "over-the-limit": ("big.py", b"x = 1\n" * 50_000),
    "not-python-name": ("solution.txt", STARTER_CODE),
    "png-named-py": ("solution.py", PNG),
    "latin-1": ("solution.py", "# café\nprint('é')\n".encode("latin-1")),
    "nul-bytes": ("solution.py", b"print(1)\x00\n"),
    "empty": ("solution.py", b""),
    "only-whitespace": ("solution.py", b"   \n\n"),
}


class TestSubmissionUpload:
    @pytest.mark.parametrize("case", BAD_CODE)
    def test_the_page_refuses_it(self, people, client_for, settings, case):
        world = World(people)
        name, data = BAD_CODE[case]
        files = stored_files(settings)
        url = f"/courses/{world.course.slug}/challenges/{world.challenge.slug}/submit/"
        response = client_for(people.member).post(url, {"file": upload(name, data, "text/x-python")})
        assert response.status_code == 400, case
        page = response.content.decode()
        assert 'class="errors"' in page or 'class="error"' in page, case
        assert Submission.objects.filter(submitter=people.member).count() == 1  # the world's own
        assert stored_files(settings) == files

    @pytest.mark.parametrize("case", BAD_CODE)
    def test_the_api_refuses_it(self, people, api_for, settings, case):
        world = World(people)
        name, data = BAD_CODE[case]
        files = stored_files(settings)
        url = f"/api/courses/{world.course.slug}/challenges/{world.challenge.slug}/submissions/"
        response = api_for(people.member).post(url, {"file": upload(name, data, "text/x-python")}, format="multipart")
        assert response.status_code == 400, (case, response.content)
        assert Submission.objects.filter(submitter=people.member).count() == 1
        assert stored_files(settings) == files

    def test_a_path_in_the_file_name_is_not_followed(self, people, api_for, settings):
        world = World(people)
        url = f"/api/courses/{world.course.slug}/challenges/{world.challenge.slug}/submissions/"
        response = api_for(people.member).post(
            url, {"file": upload("../../../etc/evil.py", STARTER_CODE, "text/x-python")}, format="multipart"
        )
        assert response.status_code in (201, 400)
        assert not any(".." in str(p.relative_to(settings.DATA_DIR)) for p in stored_files(settings))
        assert not (settings.DATA_DIR.parent / "etc" / "evil.py").exists()


def bad_gold_cases():
    raw, gold = seed_files()
    header, *rows = gold.decode().splitlines()
    return {
        "latin-1": gold.decode().replace("accurate", "précis", 1).encode("latin-1"),
        "png": PNG,
        "empty": b"",
        "no-label-column": "\n".join(",".join(r.split(",")[:2]) for r in [header, *rows]).encode(),
        "duplicate-keys": "\n".join([header, rows[0], rows[0], *rows[1:]]).encode(),
        "empty-labels": "\n".join([header, *[r.rsplit(",", 1)[0] + "," for r in rows]]).encode(),
        "over-the-limit": gold + b"x" * 3000,
    }


def small_upload_limit(settings):
    """Uploads over the limit without moving megabytes: the limit is set just above the real gold's size."""
    _, gold = seed_files()
    settings.MAX_UPLOAD_BYTES = len(gold) + 1000


class TestChallengeFiles:
    @pytest.mark.parametrize("case", bad_gold_cases())
    def test_creating_with_bad_gold_is_refused(self, people, api_for, settings, case):
        small_upload_limit(settings)
        raw, _ = seed_files()
        gold = bad_gold_cases()[case]
        files = stored_files(settings)
        body = {
            "slug": "bad",
            "title": "Bad",
            "key_columns": "attr_id,adj",
            "label_column": "label",
            "inputs": [io.BytesIO(raw[:5000])],
            "gold": upload("gold.csv", gold),
        }
        body["inputs"][0].name = "raw_data.csv"
        response = api_for(people.instructor).post(
            f"/api/courses/{people.course.slug}/challenges/", body, format="multipart"
        )
        assert response.status_code == 400, (case, response.content)
        assert "gold" in response.json()
        assert not Challenge.objects.filter(slug="bad").exists()
        assert stored_files(settings) == files

    @pytest.mark.parametrize("case", bad_gold_cases())
    def test_replacing_the_gold_with_a_bad_one_is_refused(self, people, client_for, settings, case):
        world = World(people)
        small_upload_limit(settings)
        challenge = world.challenge
        sha = challenge.gold_sha256
        files = stored_files(settings)
        url = f"/courses/{world.course.slug}/challenges/{challenge.slug}/edit/"
        from django.forms.models import model_to_dict

        data = {k: ("" if v is None else v) for k, v in model_to_dict(challenge).items() if k != "id"}
        data.update(opens_at="", closes_at="", gold=upload("gold.csv", bad_gold_cases()[case]))
        response = client_for(people.instructor).post(url, data)
        assert response.status_code == 400, case
        challenge.refresh_from_db()
        assert challenge.gold_sha256 == sha
        assert stored_files(settings) == files

    @pytest.mark.parametrize("name", ["a" * 300, "raw data?.csv", ".hidden", "-rf.csv"])
    def test_an_input_with_an_unsafe_name_is_refused(self, people, api_for, settings, name):
        raw, gold = seed_files()
        files = stored_files(settings)
        body = {"slug": "bad", "title": "Bad", "key_columns": "attr_id,adj", "label_column": "label"}
        body.update(inputs=[upload(name, raw[:5000])], gold=upload("gold.csv", gold))
        response = api_for(people.instructor).post(
            f"/api/courses/{people.course.slug}/challenges/", body, format="multipart"
        )
        assert response.status_code == 400, (name, response.content)
        assert not Challenge.objects.filter(slug="bad").exists()
        assert stored_files(settings) == files

    @pytest.mark.parametrize("name", ["../raw_data.csv", "/etc/passwd", "..\\..\\raw_data.csv"])
    def test_a_path_in_an_input_name_is_cut_to_its_last_part(self, people, api_for, settings, name):
        raw, gold = seed_files()
        body = {"slug": "paths", "title": "Paths", "key_columns": "attr_id,adj", "label_column": "label"}
        body.update(inputs=[upload(name, raw[:5000])], gold=upload("gold.csv", gold))
        response = api_for(people.instructor).post(
            f"/api/courses/{people.course.slug}/challenges/", body, format="multipart"
        )
        if response.status_code == 201:
            names = list(Challenge.objects.get(slug="paths").inputs.values_list("name", flat=True))
            assert all("/" not in n and "\\" not in n and not n.startswith(".") for n in names), names
        else:
            assert response.status_code == 400
        assert all(settings.DATA_DIR in p.parents for p in stored_files(settings))


def test_a_request_body_over_the_limit_is_refused(people, api_for):
    """Django's DATA_UPLOAD_MAX_MEMORY_SIZE: 5 MB of JSON is a 400, not a crash."""
    body = '{"did": "' + "x" * (6 * 1024 * 1024) + '", "next_steps": "y", "week": 1}'
    response = api_for(people.member).post(
        f"/api/courses/{people.course.slug}/updates/", body, content_type="application/json"
    )
    assert response.status_code == 400
