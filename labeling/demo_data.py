"""A simulated crowd for the demo challenge, in the layout of the course's real MTurk data.

`generate(seed)` returns (raw_data.csv, ground_truth.csv) as bytes: tasks ("HITs") asking
whether 16 adjectives belong to an attribute, three workers per task; slots 1-10 are the
questions, slots 11-15 embedded gold that is always true and slot 16 always false. The crowd
mixes reliable and careless workers, spammers who always answer "No", random clickers and
workers who rush through tasks in seconds. Deterministic by seed (Python's random only, so
library upgrades do not change it).

`make_demo_challenge(course)` sets up a challenge from it, with the three reference solutions
added as benchmarks and scored through the sandbox.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import os
import random
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

REFERENCE_DIR = Path(__file__).with_name("reference_solutions")
REFERENCE_SOLUTIONS = [
    ("Majority vote (baseline)", "majority_vote.py"),
    ("Weighted vote (worker accuracy on gold slots)", "weighted_vote.py"),
    ("Dawid-Skene EM", "dawid_skene.py"),
]
DEMO_SLUG = "crowd-adjectives"
# The course's real challenge data (labeling/seed/adjectives/README.md says where it comes from);
# LABELING_SEED_DIR points the tests, benchmarks and demo at another copy.
SEED_DIR = Path(__file__).with_name("seed") / "adjectives"
SEED_SLUG = "adjectives-attributes"
SEED_TITLE = "Adjectives and Attribute Matching"

# attribute id -> (name, description, adjectives that belong to it)
ATTRIBUTES = {
    "temperature.n.01": ("temperature", "the degree of hotness or coldness of a body or environment",
                         ["hot", "cold", "warm", "chilly", "freezing", "lukewarm", "scalding", "tepid", "frosty"]),
    "beauty.n.01": ("beauty", "the qualities that give pleasure to the senses",
                    ["lovely", "ugly", "pretty", "gorgeous", "hideous", "handsome", "plain", "stunning", "homely"]),
    "size.n.01": ("size", "the physical magnitude of something",
                  ["big", "small", "huge", "tiny", "enormous", "little", "vast", "miniature", "massive"]),
    "speed.n.01": ("speed", "distance travelled per unit time",
                   ["fast", "slow", "quick", "rapid", "sluggish", "swift", "leisurely", "speedy", "brisk"]),
    "age.n.01": ("age", "how long something has existed",
                 ["old", "young", "new", "ancient", "elderly", "youthful", "aged", "modern", "antique"]),
    "weight.n.01": ("weight", "the vertical force exerted by a mass",
                    ["heavy", "light", "weighty", "hefty", "featherweight", "leaden", "ponderous", "buoyant"]),
    "loudness.n.01": ("loudness", "the magnitude of sound",
                      ["loud", "quiet", "noisy", "silent", "deafening", "faint", "thunderous", "hushed", "soft"]),
    "brightness.n.01": ("brightness", "the quality of emitting much light",
                        ["bright", "dim", "dark", "luminous", "radiant", "gloomy", "glaring", "shadowy", "brilliant"]),
    "wetness.n.01": ("wetness", "the condition of containing liquid",
                     ["wet", "dry", "damp", "soggy", "moist", "arid", "soaked", "humid", "parched"]),
    "difficulty.n.01": ("difficulty", "the quality of being hard to do",
                        ["hard", "easy", "difficult", "simple", "tough", "effortless", "demanding", "arduous"]),
    "honesty.n.01": ("honesty", "the quality of being truthful",
                     ["honest", "dishonest", "truthful", "deceitful", "sincere", "lying", "candid", "frank"]),
    "wealth.n.01": ("wealth", "the state of being rich",
                    ["rich", "poor", "wealthy", "affluent", "needy", "prosperous", "destitute", "impoverished"]),
    "strength.n.01": ("strength", "the property of being physically strong",
                      ["strong", "weak", "powerful", "feeble", "mighty", "frail", "robust", "sturdy", "puny"]),
    "cleanliness.n.01": ("cleanliness", "the state of being free of dirt",
                         ["clean", "dirty", "spotless", "filthy", "grimy", "immaculate", "muddy", "pristine"]),
    "taste.n.01": ("taste", "the sensation that results when taste buds are stimulated",
                   ["sweet", "sour", "bitter", "salty", "tasty", "bland", "savory", "tangy", "spicy"]),
    "happiness.n.01": ("happiness", "emotions experienced when in a state of well-being",
                       ["happy", "sad", "cheerful", "joyful", "miserable", "glad", "gloomy", "content", "elated"]),
    "distance.n.01": ("distance", "the property created by the space between two objects",
                      ["far", "near", "distant", "close", "remote", "nearby", "faraway", "adjacent"]),
    "height.n.01": ("height", "the vertical dimension of extension",
                    ["tall", "short", "high", "low", "lofty", "towering", "squat", "elevated"]),
    "hardness.n.01": ("hardness", "the property of being rigid and resistant to pressure",
                      ["hard", "soft", "firm", "rigid", "tender", "solid", "squishy", "stiff"]),
    "courage.n.01": ("courage", "a quality of spirit that enables you to face danger",
                     ["brave", "cowardly", "bold", "fearless", "timid", "daring", "heroic", "valiant"]),
    "intelligence.n.01": ("intelligence", "the ability to comprehend and learn",
                          ["smart", "stupid", "clever", "intelligent", "dull", "brilliant", "dim-witted", "wise"]),
    "politeness.n.01": ("politeness", "a courteous manner that respects accepted social usage",
                        ["polite", "rude", "courteous", "impolite", "civil", "gracious", "discourteous", "tactful"]),
    "safety.n.01": ("safety", "the state of being certain that adverse effects will not be caused",
                    ["safe", "dangerous", "risky", "secure", "hazardous", "harmless", "perilous", "unsafe"]),
    "price.n.01": ("price", "the amount of money needed to purchase something",
                   ["expensive", "cheap", "costly", "pricey", "affordable", "inexpensive", "overpriced", "free"]),
}  # fmt: skip
# Adjectives that belong to no attribute above: the embedded always-false slot 16.
UNRELATED = ["leftmost", "rectangular", "wooden", "digital", "annual", "botanical", "chemical", "lunar",
             "municipal", "postal", "nautical", "verbal", "dental", "metallic", "tribal", "alphabetical"]  # fmt: skip

HEADER = (
    "HITId,HITTypeId,Title,Description,Keywords,Reward,CreationTime,MaxAssignments,RequesterAnnotation,"
    "AssignmentDurationInSeconds,AutoApprovalDelayInSeconds,Expiration,NumberOfSimilarHITs,LifetimeInSeconds,"
    "AssignmentId,WorkerId,AssignmentStatus,AcceptTime,SubmitTime,AutoApprovalTime,ApprovalTime,RejectionTime,"
    "RequesterFeedback,WorkTimeInSeconds,LifetimeApprovalRate,Last30DaysApprovalRate,Last7DaysApprovalRate,"
    "Input.attr_id,Input.attr_name,Input.attr_desc,Input.ex_adj,"
    + ",".join(f"Input.adj_{i}" for i in range(1, 17))
    + ",Answer.adj_1,Answer.adj_10,"
    + ",".join(f"Answer.adj_{i}" for i in range(2, 10))
    + ",Answer.adj_16,"
    + ",".join(f"Answer.adj_{i}" for i in range(11, 16))
    + ",Approve,Reject"
).split(",")


@dataclass(frozen=True)
class WorkerType:
    name: str
    share: float  # of the crowd
    sensitivity: float  # P(Yes | the adjective belongs)
    specificity: float  # P(No | it does not)
    seconds: tuple[int, int]  # time spent on a task


CROWD = [
    WorkerType("reliable", 0.35, 0.92, 0.96, (60, 400)),
    WorkerType("careless", 0.25, 0.75, 0.85, (30, 200)),
    WorkerType("always-no spammer", 0.15, 0.0, 1.0, (8, 40)),
    WorkerType("random clicker", 0.15, 0.5, 0.5, (10, 60)),
    WorkerType("too fast", 0.10, 0.4, 0.7, (3, 9)),
]


def _mturk_id(rng: random.Random, length: int, prefix: str = "") -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return prefix + "".join(rng.choice(alphabet) for _ in range(length - len(prefix)))


def _stamp(moment: datetime.datetime) -> str:
    return moment.strftime("%a %b %d %H:%M:%S PST %Y")


def generate(seed: int = 0, *, tasks: int = 160, workers: int = 30, gold_pairs: int = 300) -> tuple[bytes, bytes]:
    """(raw_data.csv, ground_truth.csv) of a simulated crowd; the same seed gives the same bytes."""
    rng = random.Random(seed)
    crowd = []
    for _ in range(workers):
        point, kind = rng.random(), CROWD[-1]
        for candidate in CROWD:
            if point < candidate.share:
                kind = candidate
                break
            point -= candidate.share
        crowd.append((_mturk_id(rng, 14, "A"), kind, rng.randint(5, 400)))
    attributes = sorted(ATTRIBUTES)
    every_adjective = sorted({adj for _, _, adjs in ATTRIBUTES.values() for adj in adjs})
    hit_type = _mturk_id(rng, 30)
    created = datetime.datetime(2019, 1, 16, 10, 51, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=-8)))
    truth: dict[tuple[str, str], bool] = {}
    rows = []
    for _ in range(tasks):
        attr_id = rng.choice(attributes)
        name, description, belongs = ATTRIBUTES[attr_id]
        gold_true = rng.sample(belongs, 5)
        others = [a for a in every_adjective if a not in belongs]
        # A few questions per task are adjectives of the attribute (not already asked), the rest not.
        fresh = [a for a in belongs if a not in gold_true and (attr_id, a) not in truth]
        questions = rng.sample(fresh, min(len(fresh), rng.choice((1, 2, 2, 3))))
        while len(questions) < 10:
            adj = rng.choice(others)
            if adj not in questions and (attr_id, adj) not in truth:
                questions.append(adj)
        rng.shuffle(questions)
        for adj in questions:
            truth[(attr_id, adj)] = adj in belongs
        adjectives = [*questions, *gold_true, rng.choice(UNRELATED)]
        hit_id = _mturk_id(rng, 30, "3")
        for worker_id, kind, approved in rng.sample(crowd, 3):
            seconds = rng.randint(*kind.seconds)
            accepted = created + datetime.timedelta(minutes=rng.randint(1, 3000))
            answers = {}
            for slot, adj in enumerate(adjectives, start=1):
                fits = adj in belongs
                yes = rng.random() < (kind.sensitivity if fits else 1 - kind.specificity)
                answers[slot] = "Yes" if yes else "No"
                if kind.name == "careless" and rng.random() < 0.02:
                    answers[slot] = ""  # left blank now and then
            row = {
                "HITId": hit_id,
                "HITTypeId": hit_type,
                "Title": "Adjectives and Attribute Matching",
                "Description": 'Determine if adjectives such as "hot" and "pretty" belong to attributes such as '
                '"temperature" and "beauty."',
                "Keywords": "Research, Linguistics, Adjectives",
                "Reward": "$0.10 ",
                "CreationTime": _stamp(created),
                "MaxAssignments": "3",
                "RequesterAnnotation": "BatchId:3501467;OriginalHitTemplateId:928390909;",
                "AssignmentDurationInSeconds": "3600",
                "AutoApprovalDelayInSeconds": "259200",
                "Expiration": _stamp(created + datetime.timedelta(days=7)),
                "AssignmentId": _mturk_id(rng, 30, "3"),
                "WorkerId": worker_id,
                "AssignmentStatus": "Approved",
                "AcceptTime": _stamp(accepted),
                "SubmitTime": _stamp(accepted + datetime.timedelta(seconds=seconds)),
                "AutoApprovalTime": _stamp(accepted + datetime.timedelta(days=3, seconds=seconds)),
                "ApprovalTime": (accepted + datetime.timedelta(days=3, seconds=seconds + 9)).strftime(
                    "%Y-%m-%d %H:%M:%S UTC"
                ),
                "WorkTimeInSeconds": str(seconds),
                "LifetimeApprovalRate": f"100% ({approved}/{approved})",
                "Last30DaysApprovalRate": "100% (6/6)",
                "Last7DaysApprovalRate": "100% (6/6)",
                "Input.attr_id": attr_id,
                "Input.attr_name": name,
                "Input.attr_desc": description,
                "Input.ex_adj": ", ".join(rng.sample(belongs, 4) + [rng.choice(UNRELATED)]),
            }
            for slot, adj in enumerate(adjectives, start=1):
                row[f"Input.adj_{slot}"] = adj
                row[f"Answer.adj_{slot}"] = answers[slot]
            rows.append(row)
    raw = io.StringIO()
    writer = csv.DictWriter(raw, fieldnames=HEADER, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    # The gold: a sample of the questions keeping their share of true ones, as an expert would label.
    pairs = sorted(truth)
    chosen = sorted(rng.sample(pairs, min(gold_pairs, len(pairs))))
    gold = io.StringIO()
    gold_writer = csv.writer(gold, lineterminator="\n")
    gold_writer.writerow(["attr_id", "adj", "label"])
    for attr_id, adj in chosen:
        gold_writer.writerow([attr_id, adj, "TRUE" if truth[(attr_id, adj)] else "FALSE"])
    return raw.getvalue().encode(), gold.getvalue().encode()


INSTRUCTIONS = """\
Crowd workers on Mechanical Turk answered *"does this adjective belong to this attribute?"*
for 16 adjectives per task, three workers per task. Some of them are careful, some are not.

- **Input**: `raw_data.csv` (one row per worker and task; the answers are in `Answer.adj_1` … `Answer.adj_16`).
- Slots **11–15** are embedded checks that are always true, slot **16** is always false:
  use them to judge the workers.
- **Output**: write `summarized_data.csv` with the columns `attr_id,adj,label` for slots 1–10,
  `label` being `True` or `False`.
- Or define `aggregate(raw)` returning that table as a pandas DataFrame.

The baseline takes the majority of "Yes" answers. Can you beat it?
"""


def make_demo_challenge(course, *, slug: str = DEMO_SLUG, seed: int = 0, score: bool = True):
    """The demo challenge of `course` (made once): simulated crowd data, its gold, and the
    three reference solutions as benchmarks, scored now through the sandbox when `score`."""
    from labeling import pipeline, services
    from labeling.models import Challenge, Hint

    existing = Challenge.objects.filter(course=course, slug=slug).first()
    if existing is not None:
        return existing
    raw, gold = generate(seed)
    challenge = services.create_challenge(
        course,
        slug=slug,
        title="Which adjectives describe which attribute?",
        inputs=[("raw_data.csv", raw)],
        gold=gold,
        key_columns="attr_id,adj",
        label_column="label",
        output_filename="summarized_data.csv",
        metric="accuracy",
        public_fraction=0.5,
        split_seed=seed,
        instructions=INSTRUCTIONS,
        time_limit_s=60,
        memory_limit_mb=1024,
    )
    Hint.objects.bulk_create(
        [
            Hint(
                challenge=challenge,
                order=1,
                text="Some workers answer *No* to everything. Slot 16 will not catch them, but slots 11–15 will.",
            ),  # fmt: skip
            Hint(
                challenge=challenge,
                order=2,
                reveal_on_click=True,
                text="Weight each worker's vote by their accuracy on slots 11–16.",
            ),  # fmt: skip
            Hint(
                challenge=challenge,
                order=3,
                reveal_on_click=True,
                text="Look up the Dawid–Skene EM algorithm (1979): it estimates every worker's reliability "
                "and the true labels together.",
            ),  # fmt: skip
        ]
    )
    for name, filename in REFERENCE_SOLUTIONS:
        submission = services.add_benchmark(challenge, name, (REFERENCE_DIR / filename).read_bytes(), filename)
        if score:
            pipeline.score(submission.pk, worker="demo-setup")
    return challenge


def seed_dir() -> Path:
    return Path(os.environ.get("LABELING_SEED_DIR") or SEED_DIR)


def make_seed_challenge(course, *, slug: str = SEED_SLUG, score: bool = True):
    """The course's real challenge (made once): the Mechanical Turk batch and its 440 gold pairs,
    with the three reference solutions as benchmarks, scored now through the sandbox when `score`."""
    from labeling import pipeline, services
    from labeling.models import Challenge

    existing = Challenge.objects.filter(course=course, slug=slug).first()
    if existing is not None:
        return existing
    folder = seed_dir()
    challenge = services.create_challenge(
        course,
        slug=slug,
        title=SEED_TITLE,
        inputs=[("raw_data.csv", (folder / "raw_data.csv").read_bytes())],
        gold=(folder / "ground_truth.csv").read_bytes(),
        key_columns="attr_id,adj",
        label_column="label",
        output_filename="summarized_data.csv",
        metric="accuracy",
        public_fraction=0.5,
        split_seed=0,
        instructions=INSTRUCTIONS + "\nThis is the course's own batch: 440 questions have a gold label.\n",
        time_limit_s=60,
        memory_limit_mb=1024,
    )
    for name, filename in REFERENCE_SOLUTIONS:
        submission = services.add_benchmark(challenge, name, (REFERENCE_DIR / filename).read_bytes(), filename)
        if score:
            pipeline.score(submission.pk, worker="demo-setup")
    return challenge
