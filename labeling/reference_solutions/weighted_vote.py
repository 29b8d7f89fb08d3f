"""Reference solution: a vote weighted by each worker's accuracy on the gold slots.

Slots 11-15 of every task are always true and slot 16 is always false, so each worker's
share of right answers there estimates how reliable they are. For slots 1-10 the label is
True when the accuracy-weighted "Yes" votes outweigh the "No" votes (other answers abstain).
Reads raw_data.csv, writes summarized_data.csv (attr_id, adj, label).
"""

import pandas as pd

raw = pd.read_csv("raw_data.csv")
answers = raw.melt(
    id_vars=["HITId", "WorkerId", "Input.attr_id"],
    value_vars=[f"Answer.adj_{slot}" for slot in range(1, 17)],
    var_name="slot",
    value_name="answer",
)
answers["slot"] = answers["slot"].str.removeprefix("Answer.adj_").astype(int)

# Each worker's accuracy on the embedded gold: "Yes" is right for slots 11-15, "No" for 16.
checks = answers[answers["slot"] >= 11].copy()
checks["right"] = (checks["answer"] == "Yes").where(checks["slot"] <= 15, checks["answer"] == "No")
weight = checks.groupby("WorkerId")["right"].mean()

votes = answers[answers["slot"] <= 10].copy()
votes["weight"] = votes["WorkerId"].map(weight).fillna(0.5)
votes["yes"] = votes["weight"].where(votes["answer"] == "Yes", 0.0)
votes["no"] = votes["weight"].where(votes["answer"] == "No", 0.0)
totals = votes.groupby(["HITId", "Input.attr_id", "slot"], as_index=False)[["yes", "no"]].sum()

adjectives = raw.drop_duplicates("HITId").melt(
    id_vars=["HITId"], value_vars=[f"Input.adj_{slot}" for slot in range(1, 11)], var_name="slot", value_name="adj"
)
adjectives["slot"] = adjectives["slot"].str.removeprefix("Input.adj_").astype(int)
result = totals.merge(adjectives, on=["HITId", "slot"])
result["label"] = result["yes"] > result["no"]
result = result.rename(columns={"Input.attr_id": "attr_id"})
result[["attr_id", "adj", "label"]].to_csv("summarized_data.csv", index=False)
