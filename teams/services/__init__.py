"""Every write to teams goes through these functions (pages, API, tasks and the demo call them).

Concurrency: a function that changes who is in a team locks, in this order, the course
Membership rows of the students concerned (so one student's requests, invitations and moves
run one after another) and then the Team rows, sorted by id (so sizes are counted under the
lock). The unique constraint `teams_one_team_per_student_per_course` is the last line of
defence; its IntegrityError becomes a refusal. Requests and invitations change state with
conditional updates (pending -> accepted only once).

Every refusal is a ValidationError whose message says why.

The functions live by subdomain in `core` (shared helpers and locks), `membership` (a team's own
life, teams of one, the board), `joining` (join requests and invitations) and `staff` (the
staff's tools); import them from here, `teams.services`.
"""

from teams.models import Team
from teams.services.core import (
    _add_member,
    _dissolve,
    _lock_students,
    _lock_teams,
    check_student_may_change,
    deadline_passed,
    display_name,
    is_staff_of,
    member_users,
    notify,
    record,
    requests_url,
    team_of,
    team_url,
    utc_offset_hours,
    without_email,
)
from teams.services.joining import (
    accept_invitation,
    accept_join_request,
    cancel_invitation,
    decline_invitation,
    decline_join_request,
    invite_student,
    request_to_join,
    withdraw_join_request,
)
from teams.services.membership import (
    approve_solo,
    close_board_post,
    create_team,
    edit_team,
    leave_team,
    reject_solo,
    rename_team,
    request_solo,
    save_board_post,
)
from teams.services.staff import (
    dissolve_team,
    lock_team,
    lock_teams_at_deadline,
    merge_teams,
    move_student,
    unlock_team,
)

# Team: teams/views.py reads `services.Team`; the private helpers: teams/bulk.py builds on them.
__all__ = [
    "Team",
    "_add_member",
    "_dissolve",
    "_lock_students",
    "_lock_teams",
    "accept_invitation",
    "accept_join_request",
    "approve_solo",
    "cancel_invitation",
    "check_student_may_change",
    "close_board_post",
    "create_team",
    "deadline_passed",
    "decline_invitation",
    "decline_join_request",
    "display_name",
    "dissolve_team",
    "edit_team",
    "invite_student",
    "is_staff_of",
    "leave_team",
    "lock_team",
    "lock_teams_at_deadline",
    "member_users",
    "merge_teams",
    "move_student",
    "notify",
    "record",
    "reject_solo",
    "rename_team",
    "request_solo",
    "request_to_join",
    "requests_url",
    "save_board_post",
    "team_of",
    "team_url",
    "unlock_team",
    "utc_offset_hours",
    "withdraw_join_request",
    "without_email",
]
