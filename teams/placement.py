"""Auto-placement: propose teams for unplaced students. Pure Python over plain data (no Django),
so property-based tests can run it thousands of times.

The rules, in order:
1. everyone in the pool is placed, and no team goes over `max_size`;
2. no team ends under `min_size` unless the numbers make it unavoidable;
3. existing teams are filled before new teams are formed;
4. within that, students go where they share the most interests and the closest time zone.

The pool is every unplaced student. Teams of one that are not approved to work alone are
"dissolvable": they are kept and filled when the numbers allow, otherwise their member joins
the pool and the team is dissolved. Teams approved to work alone are left as they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Person:
    id: int
    interests: frozenset[str] = frozenset()
    utc_offset: float | None = None  # hours from UTC, None when unknown


@dataclass(frozen=True)
class ExistingTeam:
    id: int
    members: tuple[Person, ...]
    # False for a team approved to work alone: nobody is added to it.
    open: bool = True

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass
class Proposal:
    # Person id -> "team:<id>" (an existing team) or "new:<n>" (the n-th new team).
    placements: dict[int, str] = field(default_factory=dict)
    new_teams: list[list[int]] = field(default_factory=list)
    # Dissolvable teams whose member is placed elsewhere.
    dissolved: list[int] = field(default_factory=list)
    # Targets that end under the minimum; empty unless that was unavoidable.
    under_minimum: list[str] = field(default_factory=list)


def team_target(team_id: int) -> str:
    return f"team:{team_id}"


def new_target(index: int) -> str:
    return f"new:{index}"


def affinity(a: Person, b: Person) -> float:
    """How well two students fit: shared interests count most, then time zones within a few hours."""
    score = 2.0 * len(a.interests & b.interests)
    if a.utc_offset is not None and b.utc_offset is not None:
        diff = abs(a.utc_offset - b.utc_offset) % 24
        diff = min(diff, 24 - diff)
        score += 1.5 * max(0.0, 3.0 - diff) / 3.0
    return score


def is_dissolvable(team: ExistingTeam, min_size: int) -> bool:
    return team.open and team.size == 1 and min_size > 1


@dataclass(frozen=True)
class Counts:
    """How many students go where: `fill[team id]` to each kept team, `new_sizes` for new teams."""

    dissolve: int
    deficits: dict[int, int]
    spare: dict[int, int]
    extra: int  # students placed into existing teams' spare places
    new_sizes: tuple[int, ...]
    feasible: bool


def _kept_numbers(kept: list[ExistingTeam], min_size: int, max_size: int) -> tuple[dict[int, int], dict[int, int]]:
    deficits, spare = {}, {}
    for t in kept:
        if not t.open:
            continue
        deficits[t.id] = max(0, min_size - t.size)
        spare[t.id] = max(0, max_size - max(t.size, min_size))
    return deficits, spare


def _new_team_count(remaining: int, spare: int, min_size: int, max_size: int) -> int | None:
    """The fewest new teams g with [g*min, g*max] meeting [remaining - spare, remaining], or None."""
    if remaining <= spare:
        return 0
    low = remaining - spare
    g = math.ceil(low / max_size)
    while g * min_size <= remaining:
        if g * max_size >= low:
            return g
        g += 1
    return None


def _balanced(total: int, groups: int) -> tuple[int, ...]:
    if groups == 0:
        return ()
    base, rest = divmod(total, groups)
    return tuple(base + 1 if i < rest else base for i in range(groups))


def plan_counts(pool_size: int, teams: list[ExistingTeam], min_size: int, max_size: int) -> Counts:
    """Decide how many students each team gets, dissolving as few dissolvable teams as possible.

    When no choice avoids a team under the minimum, pick the one with the fewest such teams.
    """
    dissolvable = [t for t in teams if is_dissolvable(t, min_size)]
    fallbacks = []
    for k in range(len(dissolvable) + 1):
        gone = {t.id for t in dissolvable[len(dissolvable) - k :]} if k else set()
        n = pool_size + k
        deficits, spare = _kept_numbers([t for t in teams if t.id not in gone], min_size, max_size)
        need = sum(deficits.values())
        room = sum(spare.values())
        if n < need:
            # Not enough students to bring every team to the minimum: fill the teams that
            # need the fewest first, so that as many as possible reach it.
            fill, left = {}, n
            for team_id, want in sorted(deficits.items(), key=lambda item: (item[1], item[0])):
                fill[team_id] = min(want, left)
                left -= fill[team_id]
            under = sum(1 for team_id, want in deficits.items() if fill[team_id] < want)
            fallbacks.append((under, k, Counts(k, fill, {}, 0, (), False)))
            continue
        remaining = n - need
        g = _new_team_count(remaining, room, min_size, max_size)
        if g is not None:
            new_total = max(g * min_size, remaining - room)
            return Counts(k, deficits, spare, remaining - new_total, _balanced(new_total, g), True)
        # Too many for the spare places, too few for whole new teams: new teams of the
        # minimum size and one smaller team with the rest.
        full, rest = divmod(remaining, min_size)
        sizes = (min_size,) * full + ((rest,) if rest else ())
        fallbacks.append((1 if rest else 0, k, Counts(k, deficits, spare, 0, sizes, False)))
    fallbacks.sort(key=lambda item: (item[0], item[1]))
    return fallbacks[0][2]


class _Groups:
    """Groups being filled greedily, with each pool student's summed affinity to each group."""

    def __init__(self, pool: list[Person]):
        self.pool = {p.id: p for p in pool}
        self.members: dict[str, list[Person]] = {}
        self.slots: dict[str, int] = {}
        self.fit: dict[str, dict[int, float]] = {}

    def add_group(self, key: str, members: list[Person], slots: int) -> None:
        self.members[key] = list(members)
        self.slots[key] = slots
        self.fit[key] = {pid: sum(affinity(p, m) for m in members) for pid, p in self.pool.items()}

    def place(self, key: str, person_id: int, placements: dict[int, str]) -> None:
        person = self.pool.pop(person_id)
        placements[person_id] = key
        self.members[key].append(person)
        self.slots[key] -= 1
        for fits in self.fit.values():
            fits.pop(person_id, None)
        for pid, p in self.pool.items():
            self.fit[key][pid] += affinity(p, person)

    def best_pair(self, keys: list[str]) -> tuple[str, int] | None:
        """The (group, student) with the highest mean affinity among groups with a free slot."""
        best = None
        for key in keys:
            if self.slots[key] <= 0:
                continue
            size = len(self.members[key])
            for pid in self.pool:
                score = (self.fit[key][pid] / size if size else 0.0, -pid)
                if best is None or score > best[0]:
                    best = (score, key, pid)
        return (best[1], best[2]) if best else None

    def fill(self, keys: list[str], placements: dict[int, str], limit: int | None = None) -> None:
        placed = 0
        while self.pool and (limit is None or placed < limit):
            pair = self.best_pair(keys)
            if pair is None:
                return
            self.place(*pair, placements)
            placed += 1

    def seed(self, seeds: list[Person]) -> int:
        """The pool student least like the existing seeds, so new teams start apart."""
        if not seeds:
            return min(self.pool)
        return min(self.pool, key=lambda pid: (max(affinity(self.pool[pid], s) for s in seeds), pid))


def propose(pool: list[Person], teams: list[ExistingTeam], min_size: int, max_size: int) -> Proposal:
    """Place every person of `pool` into `teams` or new teams (see the module docstring).

    Give dissolvable teams oldest first: the newest are dissolved first when the numbers require it.
    """
    if min_size < 1 or max_size < min_size:
        raise ValueError("need 1 <= min_size <= max_size")
    counts = plan_counts(len(pool), teams, min_size, max_size)
    dissolvable = [t for t in teams if is_dissolvable(t, min_size)]
    gone = dissolvable[len(dissolvable) - counts.dissolve :] if counts.dissolve else []
    gone_ids = {t.id for t in gone}
    open_kept = [t for t in teams if t.open and t.id not in gone_ids]
    everyone = sorted([*pool, *(m for t in gone for m in t.members)], key=lambda p: p.id)

    proposal = Proposal(dissolved=sorted(gone_ids))
    groups = _Groups(everyone)
    team_keys = [team_target(t.id) for t in open_kept]
    for t in open_kept:
        groups.add_group(team_target(t.id), list(t.members), counts.deficits.get(t.id, 0))
    # 1. Bring teams under the minimum up to it.
    groups.fill(team_keys, proposal.placements)
    # 2. Fill existing teams' spare places first ("extra" students in all).
    for t in open_kept:
        groups.slots[team_target(t.id)] = counts.spare.get(t.id, 0)
    groups.fill(team_keys, proposal.placements, limit=counts.extra)
    # 3. New teams: seed each apart from the others, then fill by fit.
    new_keys = []
    for index, size in enumerate(counts.new_sizes):
        seed = groups.seed([groups.members[k][0] for k in new_keys])
        new_keys.append(new_target(index))
        groups.add_group(new_keys[-1], [], size)
        groups.place(new_keys[-1], seed, proposal.placements)
    groups.fill(new_keys, proposal.placements)
    # Nobody should be left; if the counts were off, anyone left goes wherever there is room.
    for key in team_keys + new_keys:
        groups.slots[key] = max(0, max_size - len(groups.members[key]))
    groups.fill(team_keys + new_keys, proposal.placements)
    while groups.pool:
        new_keys.append(new_target(len(new_keys)))
        groups.add_group(new_keys[-1], [], max_size)
        groups.fill([new_keys[-1]], proposal.placements)

    proposal.new_teams = [[p.id for p in groups.members[k]] for k in new_keys]
    proposal.under_minimum = [k for k in team_keys + new_keys if len(groups.members[k]) < min_size]
    return proposal


def feasible_without_small_teams(pool_size: int, teams: list[ExistingTeam], min_size: int, max_size: int) -> bool:
    """Whether some placement leaves no open team under the minimum (used to explain a proposal)."""
    return plan_counts(pool_size, teams, min_size, max_size).feasible
