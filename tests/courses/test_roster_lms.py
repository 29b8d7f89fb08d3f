"""Roster import from Canvas's gradebook export and Moodle's participants export."""

import pytest

from courses.models import Membership, Role
from courses.services import CANVAS, MOODLE, import_roster, parse_roster_with_format

pytestmark = pytest.mark.django_db

# The first columns of Canvas's gradebook export, its "Points Possible" second row, and an Email column.
CANVAS_EXPORT = (
    b"Student,ID,SIS User ID,SIS Login ID,Section,Email,Project (123)\n"
    b"    Points Possible,,,,,,100\n"
    b'"Okafor, Amara",1001,S-1001,amara@uni.example,Section A,,90\n'
    b'"Carter, Ben",1002,S-1002,bcarter,Section B,ben@uni.example,80\n'
)
CANVAS_BAD = (
    b"Student,ID,SIS User ID,SIS Login ID,Section\n"
    b"    Points Possible,,,,\n"
    b'"Okafor, Amara",1001,S-1001,amara@uni.example,Section A\n'
    b'"Carter, Ben",1002,S-1002,bcarter,Section B\n'
    b'"Again, Amara",1003,S-1003,amara@uni.example,Section A\n'
)
# Moodle's participants page, "Download table data as" CSV (identity fields: email address, ID number).
MOODLE_EXPORT = (
    b"First name,Last name,ID number,Email address,Roles,Groups,Last access to course\n"
    b"Chen,Wei,M-7,chen@uni.example,Student,Group 1,Never\n"
    b'Tariq,Aziz,M-8,tariq@uni.example,"Non-editing teacher",,Never\n'
    b'Ada,Lovelace,M-9,ada@uni.example,"Student, Teacher",,Never\n'
)
MOODLE_BAD = (
    b"First name,Last name,Email address,Roles,Groups\n"
    b"Chen,Wei,chen@uni.example,Student,Group 1\n"
    b"Dana,Levi,,Student,Group 1\n"
    b"Eli,Yil,not-an-address,Student,\n"
    b"Farid,Haddad,farid@uni.example,Guest,\n"
)


class TestCanvas:
    def test_it_reads_name_email_sis_id_and_section(self, people):
        rows, errors, kind = parse_roster_with_format(CANVAS_EXPORT)
        assert kind == CANVAS and errors == []
        amara, ben = rows
        assert (amara.name, amara.email, amara.sis_id, amara.section, amara.lms_id) == (
            "Amara Okafor", "amara@uni.example", "S-1001", "Section A", "1001",
        )  # fmt: skip
        assert (ben.email, ben.line) == ("ben@uni.example", 4)  # the Email column wins over a non-address login
        assert {r.role for r in rows} == {Role.STUDENT}

    def test_an_import_stores_the_ids_on_the_membership(self, people):
        result = import_roster(people.course, CANVAS_EXPORT)
        assert result.ok and result.source == CANVAS and len(result.added) == 2
        m = Membership.objects.get(course=people.course, user__email="amara@uni.example")
        assert (m.sis_id, m.section, m.lms_id, m.role) == ("S-1001", "Section A", "1001", Role.STUDENT)
        assert m.user.get_full_name() == "Amara Okafor"

    def test_bad_rows_are_reported_by_line_and_nothing_is_imported(self, people):
        before = Membership.objects.count()
        result = import_roster(people.course, CANVAS_BAD)
        assert result.errors == [
            "Line 4: no e-mail: add an Email column, or use e-mail addresses as SIS Login IDs.",
            "Line 5: amara@uni.example duplicates line 3.",
        ]
        assert Membership.objects.count() == before


class TestMoodle:
    def test_it_reads_roles_groups_and_id_numbers(self, people):
        rows, errors, kind = parse_roster_with_format(MOODLE_EXPORT)
        assert kind == MOODLE and errors == []
        assert [(r.name, r.email, r.role, r.sis_id, r.section) for r in rows] == [
            ("Chen Wei", "chen@uni.example", Role.STUDENT, "M-7", "Group 1"),
            ("Tariq Aziz", "tariq@uni.example", Role.TA, "M-8", ""),
            ("Ada Lovelace", "ada@uni.example", Role.INSTRUCTOR, "M-9", ""),  # the highest of her roles
        ]

    def test_bad_rows_are_reported_by_line(self, people):
        result = import_roster(people.course, MOODLE_BAD)
        assert result.errors == [
            "Line 3: the email is missing.",
            "Line 4: 'not-an-address' is not a valid e-mail address.",
            "Line 5: unknown Moodle role 'guest' (Student, Non-editing teacher, Teacher, Manager).",
        ]
        assert not Membership.objects.filter(user__email="chen@uni.example").exists()

    def test_a_second_import_updates_ids_but_keeps_the_role(self, people):
        import_roster(people.course, MOODLE_EXPORT)
        again = MOODLE_EXPORT.replace(b"Group 1", b"Group 2").replace(b"Non-editing teacher", b"Student")
        result = import_roster(people.course, again)
        assert result.ok and len(result.unchanged) == 3
        chen = Membership.objects.get(course=people.course, user__email="chen@uni.example")
        tariq = Membership.objects.get(course=people.course, user__email="tariq@uni.example")
        assert chen.section == "Group 2" and tariq.role == Role.TA
