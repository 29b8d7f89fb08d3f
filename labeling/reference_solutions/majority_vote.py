"""Reference solution: the majority-vote baseline.

For every task (HIT) and each of the adjective slots 1-10, the label is True when more than
half of the task's workers answered "Yes". Slots 11-16 are the embedded gold checks and are
not predicted. Reads raw_data.csv, writes summarized_data.csv (attr_id, adj, label).
"""

import pandas as pd

raw = pd.read_csv("raw_data.csv")
rows = []
for _, task in raw.groupby("HITId", sort=True):
    attr_id = task["Input.attr_id"].iloc[0]
    for slot in range(1, 11):
        adj = task[f"Input.adj_{slot}"].iloc[0]
        yes = (task[f"Answer.adj_{slot}"] == "Yes").sum()
        rows.append({"attr_id": attr_id, "adj": adj, "label": bool(yes > len(task) / 2)})
pd.DataFrame(rows).to_csv("summarized_data.csv", index=False)
