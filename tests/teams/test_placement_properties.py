"""Property-based tests of the pure auto-placement algorithm (teams.placement)."""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from teams.placement import ExistingTeam, Person, affinity, propose

INTERESTS = ["nlp", "vision", "audio", "health", "rl", "robots"]
OFFSETS = [None, -8, -5, 0, 1, 2, 5.5, 9]


@st.composite
def scenarios(draw):
    min_size = draw(st.integers(1, 4))
    max_size = draw(st.integers(min_size, 6))
    ids = iter(range(1, 10_000))

    def person():
        interests = frozenset(draw(st.lists(st.sampled_from(INTERESTS), max_size=3)))
        return Person(next(ids), interests, draw(st.sampled_from(OFFSETS)))

    teams = []
    for team_id in range(draw(st.integers(0, 7))):
        size = draw(st.integers(1, max_size))
        # Only a team of one can be approved to work alone (closed to newcomers).
        closed = size == 1 and draw(st.booleans())
        teams.append(ExistingTeam(1000 + team_id, tuple(person() for _ in range(size)), open=not closed))
    pool = [person() for _ in range(draw(st.integers(0, 30)))]
    return pool, teams, min_size, max_size


def can_avoid_small_teams(pool_size, teams, min_size, max_size) -> bool:
    """Brute force: is there any placement (moving only the pool and members of open teams of one)
    that leaves no open team, old or new, under the minimum? Independent of plan_counts."""
    loose = [t for t in teams if t.open and t.size == 1 and min_size > 1]
    fixed = [t for t in teams if t not in loose]
    for dissolved in range(len(loose) + 1):
        kept = fixed + loose[dissolved:]
        people = pool_size + dissolved
        reachable = {0}  # how many students the kept open teams can take, in total
        for t in kept:
            if not t.open:
                continue
            low, high = max(0, min_size - t.size), max(0, max_size - t.size)
            if low > high:
                low = high
            reachable = {r + a for r in reachable for a in range(low, high + 1)}
        for taken in reachable:
            rest = people - taken
            if rest < 0:
                continue
            if rest == 0 or any(g * min_size <= rest <= g * max_size for g in range(1, rest + 1)):
                return True
    return False


def final_sizes(pool, teams, proposal):
    sizes = Counter()
    moved = set(proposal.placements)
    for t in teams:
        if t.id not in proposal.dissolved:
            sizes[f"team:{t.id}"] = sum(1 for m in t.members if m.id not in moved)
    for target in proposal.placements.values():
        sizes[target] += 1
    return sizes


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_everyone_is_placed_once_and_no_team_is_over_the_maximum(scenario):
    pool, teams, min_size, max_size = scenario
    proposal = propose(pool, teams, min_size, max_size)
    dissolved_members = {m.id for t in teams if t.id in proposal.dissolved for m in t.members}
    assert set(proposal.placements) == {p.id for p in pool} | dissolved_members
    valid_targets = {f"team:{t.id}" for t in teams if t.open and t.id not in proposal.dissolved}
    valid_targets |= {f"new:{i}" for i in range(len(proposal.new_teams))}
    assert set(proposal.placements.values()) <= valid_targets
    assert all(size <= max_size for size in final_sizes(pool, teams, proposal).values())
    # Only open teams of one are ever dissolved; teams approved to work alone get nobody.
    for t in teams:
        if t.id in proposal.dissolved:
            assert t.open and t.size == 1
        if not t.open:
            assert f"team:{t.id}" not in proposal.placements.values()
    assert sorted(i for team in proposal.new_teams for i in team) == sorted(
        pid for pid, target in proposal.placements.items() if target.startswith("new:")
    )


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_no_team_is_under_the_minimum_unless_unavoidable(scenario):
    pool, teams, min_size, max_size = scenario
    proposal = propose(pool, teams, min_size, max_size)
    sizes = final_sizes(pool, teams, proposal)
    open_targets = [k for k in sizes if k.startswith("new:")]
    open_targets += [f"team:{t.id}" for t in teams if t.open and t.id not in proposal.dissolved]
    small = sorted(k for k in open_targets if sizes[k] < min_size)
    assert small == sorted(proposal.under_minimum)
    if small:
        assert not can_avoid_small_teams(len(pool), teams, min_size, max_size), (small, sizes)


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_existing_teams_are_filled_before_new_ones_are_made(scenario):
    pool, teams, min_size, max_size = scenario
    proposal = propose(pool, teams, min_size, max_size)
    if not proposal.new_teams or proposal.under_minimum:
        return
    sizes = final_sizes(pool, teams, proposal)
    kept_open = [f"team:{t.id}" for t in teams if t.open and t.id not in proposal.dissolved]
    new_sizes = [len(team) for team in proposal.new_teams]
    # Either every new team is as small as allowed, or the existing teams are full.
    assert all(s == min_size for s in new_sizes) or all(sizes[k] == max_size for k in kept_open)


def test_shared_interests_and_time_zones_go_together():
    nlp = [Person(i, frozenset({"nlp"}), -5) for i in range(1, 5)]
    vision = [Person(i, frozenset({"vision"}), 9) for i in range(5, 9)]
    proposal = propose(nlp[:2] + vision[:2] + nlp[2:] + vision[2:], [], 2, 4)
    groups = [set(team) for team in proposal.new_teams]
    assert sorted(map(sorted, groups)) == [[1, 2, 3, 4], [5, 6, 7, 8]]


def test_an_existing_team_gets_the_student_who_fits_it():
    team = ExistingTeam(100, (Person(50, frozenset({"audio"}), 0), Person(51, frozenset({"audio"}), 1)))
    pool = [Person(1, frozenset({"vision"}), 9), Person(2, frozenset({"audio"}), 0), Person(3, frozenset({"vision"}))]
    proposal = propose(pool, [team], 2, 3)
    # One place in the team, two students for a new team of two: the audio student fills the place.
    assert proposal.placements == {2: "team:100", 1: "new:0", 3: "new:0"}


def test_a_team_of_one_is_kept_and_filled_when_the_numbers_allow():
    alone = ExistingTeam(7, (Person(70),))
    proposal = propose([Person(1)], [alone], 2, 4)
    assert proposal.placements == {1: "team:7"}
    assert proposal.dissolved == [] and proposal.new_teams == []


def test_teams_of_one_are_dissolved_into_each_other_when_nobody_else_is_left():
    proposal = propose([], [ExistingTeam(7, (Person(70),)), ExistingTeam(8, (Person(80),))], 2, 4)
    assert proposal.dissolved == [8]
    assert proposal.placements == {80: "team:7"}
    assert proposal.under_minimum == []


def test_affinity_is_symmetric_and_time_zones_wrap_around_midnight():
    a, b = Person(1, frozenset({"nlp"}), 11), Person(2, frozenset({"nlp"}), -12)
    assert affinity(a, b) == affinity(b, a) > affinity(a, Person(3, frozenset({"nlp"}), 0))
