"""Reference solution: Dawid-Skene EM over all 16 slots.

Every (task, slot) is an item with an unknown true label; every worker has an unknown
sensitivity P(Yes | true) and specificity P(No | false). Starting from the share of "Yes"
answers, EM alternates estimating the workers' reliabilities from the current beliefs and the
beliefs from the reliabilities. Slots 11-16 take part as ordinary items (their answers help
to judge the workers); slots 1-10 are written out. Answers other than Yes/No are skipped.
Reads raw_data.csv, writes summarized_data.csv (attr_id, adj, label).
"""

import numpy as np
import pandas as pd

ITERATIONS = 50
SMOOTHING = 0.01  # pseudo-counts, so no reliability is exactly 0 or 1

raw = pd.read_csv("raw_data.csv")
answers = raw.melt(
    id_vars=["HITId", "WorkerId", "Input.attr_id"],
    value_vars=[f"Answer.adj_{slot}" for slot in range(1, 17)],
    var_name="slot",
    value_name="answer",
)
answers["slot"] = answers["slot"].str.removeprefix("Answer.adj_").astype(int)
answers = answers[answers["answer"].isin(["Yes", "No"])]

item_codes, items = pd.factorize(pd.MultiIndex.from_frame(answers[["HITId", "slot"]]), sort=True)
worker_codes, workers = pd.factorize(answers["WorkerId"], sort=True)
said_yes = (answers["answer"] == "Yes").to_numpy(dtype=float)
n_items, n_workers = len(items), len(workers)

# P(item is true), first the share of Yes answers.
truth = np.bincount(item_codes, weights=said_yes, minlength=n_items) / np.bincount(item_codes, minlength=n_items)
for _ in range(ITERATIONS):
    prior = truth.mean()
    t, f = truth[item_codes], 1 - truth[item_codes]
    sensitivity = (np.bincount(worker_codes, t * said_yes, n_workers) + SMOOTHING) / (
        np.bincount(worker_codes, t, n_workers) + 2 * SMOOTHING
    )
    specificity = (np.bincount(worker_codes, f * (1 - said_yes), n_workers) + SMOOTHING) / (
        np.bincount(worker_codes, f, n_workers) + 2 * SMOOTHING
    )
    s, p = sensitivity[worker_codes], specificity[worker_codes]
    log_true = np.log(prior) + np.bincount(item_codes, np.where(said_yes == 1, np.log(s), np.log(1 - s)), n_items)
    log_false = np.log(1 - prior) + np.bincount(item_codes, np.where(said_yes == 1, np.log(1 - p), np.log(p)), n_items)
    truth = 1 / (1 + np.exp(log_false - log_true))

beliefs = pd.DataFrame({"HITId": items.get_level_values(0), "slot": items.get_level_values(1), "label": truth > 0.5})
adjectives = raw.drop_duplicates("HITId").melt(
    id_vars=["HITId", "Input.attr_id"],
    value_vars=[f"Input.adj_{slot}" for slot in range(1, 11)],
    var_name="slot",
    value_name="adj",
)
adjectives["slot"] = adjectives["slot"].str.removeprefix("Input.adj_").astype(int)
result = adjectives.merge(beliefs, on=["HITId", "slot"], how="left")
result["label"] = result["label"].fillna(False).astype(bool)
result = result.rename(columns={"Input.attr_id": "attr_id"})
result[["attr_id", "adj", "label"]].to_csv("summarized_data.csv", index=False)
