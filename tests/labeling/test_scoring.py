"""The trusted side of scoring: reading tables, the public/private split, the metrics."""

from __future__ import annotations

import os

import pytest
from sklearn import metrics as skm

from labeling import scoring
from tests.labeling.factories import seed_files

KEYS = ["attr_id", "adj"]


def gold_of(text: str) -> scoring.Gold:
    return scoring.read_gold(text.encode(), KEYS, "label")


def problems(fn, *args) -> list[str]:
    with pytest.raises(scoring.TableError) as info:
        fn(*args)
    return info.value.problems


GOLD = gold_of("attr_id,adj,label\na,x,TRUE\na,y,FALSE\nb,x,false\nb,z,True\n")


class TestReadGold:
    def test_it_reads_the_seed_gold(self):
        _, gold_bytes = seed_files()
        gold = scoring.read_gold(gold_bytes, KEYS, "label")
        assert len(gold.labels) == 440 and gold.binary
        assert sum(label == "true" for label in gold.labels.values()) == 48

    def test_labels_are_read_whatever_their_case(self):
        gold = gold_of("attr_id,adj,label\na,1,TRUE\na,2,false\na,3,Yes\na,4,no\na,5,1\na,6,0\na,7, True \n")
        assert [gold.labels[("a", str(i))] for i in range(1, 8)] == [
            "true",
            "false",
            "true",
            "false",
            "true",
            "false",
            "true",
        ]

    def test_it_lists_every_problem(self):
        found = problems(
            scoring.read_gold,
            b"attr_id,adj,label\na,x,TRUE\na,x,FALSE\n,y,TRUE\nb,y\nb,z,\n",
            KEYS,
            "label",
        )
        text = " ".join(found)
        assert "Line 3 repeats the key (a, x) of line 2" in text
        assert "Line 4 has an empty key" in text
        assert "Line 5 has 2 fields" in text
        assert "Line 6 of the gold has no label" in text
        assert len(found) == 4

    def test_it_names_missing_columns(self):
        found = problems(scoring.read_gold, b"attr,adjective,label\na,x,TRUE\n", KEYS, "label")
        assert found == ["The gold lacks the columns attr_id, adj (it has: attr, adjective, label)."]

    def test_it_refuses_bytes_that_are_not_utf8(self):
        found = problems(scoring.read_gold, b"attr_id,adj,label\na,\xff,TRUE\n", KEYS, "label")
        assert "not valid UTF-8 (byte 20" in found[0]

    def test_a_byte_order_mark_is_fine(self):
        gold = scoring.read_gold(b"\xef\xbb\xbfattr_id,adj,label\na,x,TRUE\n", KEYS, "label")
        assert gold.labels == {("a", "x"): "true"}

    def test_empty_labels_and_empty_files_are_refused(self):
        assert problems(scoring.read_gold, b"attr_id,adj,label\na,x,\n", KEYS, "label") == [
            "Line 2 of the gold has no label."
        ]
        assert "empty" in problems(scoring.read_gold, b"", KEYS, "label")[0]
        assert problems(scoring.read_gold, b"attr_id,adj,label\n", KEYS, "label") == [
            "The gold has a header but no rows."
        ]

    def test_many_problems_are_summarized(self):
        rows = "".join(f"a,{i % 3},TRUE\n" for i in range(30))
        found = problems(scoring.read_gold, f"attr_id,adj,label\n{rows}".encode(), KEYS, "label")
        assert len(found) == scoring.MAX_LISTED_PROBLEMS + 1
        assert found[-1] == "… and 19 more problems like these."

    def test_other_labels_make_a_multiclass_gold(self):
        gold = gold_of("attr_id,adj,label\na,x,Cat\na,y,dog\na,z,CAT\n")
        assert not gold.binary and gold.classes == ["cat", "dog"]


class TestReadPredictions:
    def test_extra_rows_and_columns_are_ignored(self):
        data = b"adj,attr_id,label,confidence\nx,a,True,0.9\ny,a,False,0.1\nq,zz,True,1\n"
        predictions = scoring.read_predictions(data, KEYS, "label", GOLD, "out.csv")
        assert predictions[("a", "x")] == "true" and predictions[("zz", "q")] == "true"

    def test_duplicate_keys_are_refused(self):
        found = problems(
            scoring.read_predictions, b"attr_id,adj,label\na,x,True\na,x,False\n", KEYS, "label", GOLD, "out.csv"
        )
        assert found == ["Line 3 repeats the key (a, x) of line 2."]

    def test_unreadable_labels_are_refused_with_the_line(self):
        found = problems(
            scoring.read_predictions, b"attr_id,adj,label\na,x,maybe\na,y,\n", KEYS, "label", GOLD, "out.csv"
        )
        assert found[0].startswith("Line 2: the label 'maybe' is not readable")
        assert found[1].startswith("Line 3: the label '' is not readable")

    def test_missing_columns_name_the_output_file(self):
        found = problems(scoring.read_predictions, b"attr_id,adj,prediction\na,x,1\n", KEYS, "label", GOLD, "o.csv")
        assert found == ["The output file o.csv lacks the column label (it has: attr_id, adj, prediction)."]

    def test_multiclass_labels_must_be_known_classes(self):
        gold = gold_of("attr_id,adj,label\na,x,cat\na,y,dog\n")
        found = problems(scoring.read_predictions, b"attr_id,adj,label\na,x,bird\n", KEYS, "label", gold, "o.csv")
        assert "not one of the labels (cat, dog)" in found[0]


class TestOpenOutput:
    @pytest.fixture
    def folder(self, tmp_path):
        fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
        yield tmp_path, fd
        os.close(fd)

    def test_it_reads_a_regular_file(self, folder):
        path, fd = folder
        (path / "out.csv").write_bytes(b"a,b\n")
        assert scoring.open_output(fd, "out.csv") == b"a,b\n"

    def test_it_refuses_a_symlink_even_to_a_regular_file(self, folder, tmp_path_factory):
        path, fd = folder
        secret = tmp_path_factory.mktemp("secret") / "gold.csv"
        secret.write_text("attr_id,adj,label\n")
        (path / "out.csv").symlink_to(secret)
        assert "symbolic link" in problems(scoring.open_output, fd, "out.csv")[0]

    def test_it_refuses_a_fifo_without_blocking(self, folder):
        path, fd = folder
        os.mkfifo(path / "out.csv")
        assert "not a regular file" in problems(scoring.open_output, fd, "out.csv")[0]

    def test_it_refuses_a_directory(self, folder):
        path, fd = folder
        (path / "out.csv").mkdir()
        assert "not a regular file" in problems(scoring.open_output, fd, "out.csv")[0]

    def test_it_refuses_a_file_over_the_bound(self, folder):
        path, fd = folder
        (path / "out.csv").write_bytes(b"x" * 101)
        assert "the scorer reads at most" in problems(scoring.open_output, fd, "out.csv", 100)[0]

    def test_a_missing_file_says_so(self, folder):
        _, fd = folder
        assert problems(scoring.open_output, fd, "out.csv") == [
            "The code finished but did not write out.csv in its working directory."
        ]

    def test_it_refuses_names_with_folders(self, folder):
        _, fd = folder
        assert "not a plain file name" in problems(scoring.open_output, fd, "../out.csv")[0]


class TestSplit:
    def test_it_is_stratified_and_fixed_by_the_seed(self):
        _, gold_bytes = seed_files()
        gold = scoring.read_gold(gold_bytes, KEYS, "label")
        public = scoring.public_keys(gold, 0.5, 0)
        assert sum(gold.labels[k] == "true" for k in public) == 24
        assert sum(gold.labels[k] == "false" for k in public) == 196
        assert scoring.public_keys(gold, 0.5, 0) == public
        assert scoring.public_keys(gold, 0.5, 1) != public

    def test_it_does_not_depend_on_the_row_order(self):
        _, gold_bytes = seed_files()
        header, *rows = gold_bytes.decode().splitlines()
        shuffled = "\n".join([header, *reversed(rows)]).encode()
        a = scoring.read_gold(gold_bytes, KEYS, "label")
        b = scoring.read_gold(shuffled, KEYS, "label")
        assert scoring.public_keys(a, 0.3, 7) == scoring.public_keys(b, 0.3, 7)

    def test_fractions_zero_and_one(self):
        assert scoring.public_keys(GOLD, 0.0, 0) == frozenset()
        assert scoring.public_keys(GOLD, 1.0, 0) == frozenset(GOLD.labels)
        scores = scoring.score("accuracy", GOLD, {}, frozenset())
        assert scores.public_score is None and scores.private_score == 0.0


class TestMetrics:
    def test_missing_predictions_count_as_wrong(self):
        predictions = {("a", "x"): "true", ("a", "y"): "false"}  # right on both, two missing
        assert scoring.compute("accuracy", GOLD, predictions, GOLD.labels) == 0.5
        # A missing positive is a false negative, a missing negative a false positive.
        assert scoring.compute("f1", GOLD, predictions, GOLD.labels) == pytest.approx(0.5)

    @pytest.mark.parametrize("metric", ["accuracy", "f1", "balanced_accuracy", "cohen_kappa", "macro_f1"])
    def test_every_metric_matches_scikit_learn(self, metric):
        _, gold_bytes = seed_files()
        gold = scoring.read_gold(gold_bytes, KEYS, "label")
        keys = sorted(gold.labels)
        predictions = {k: ("true" if i % 7 == 0 else gold.labels[k]) for i, k in enumerate(keys)}
        y_true = [gold.labels[k] for k in keys]
        y_pred = [predictions[k] for k in keys]
        expected = {
            "accuracy": skm.accuracy_score(y_true, y_pred),
            "f1": skm.f1_score(y_true, y_pred, pos_label="true"),
            "balanced_accuracy": skm.balanced_accuracy_score(y_true, y_pred),
            "cohen_kappa": skm.cohen_kappa_score(y_true, y_pred),
            "macro_f1": skm.f1_score(y_true, y_pred, average="macro"),
        }[metric]
        assert scoring.compute(metric, gold, predictions, keys) == pytest.approx(expected, abs=1e-12)

    def test_macro_f1_on_three_classes_with_a_missing_prediction(self):
        gold = gold_of("attr_id,adj,label\na,1,cat\na,2,dog\na,3,bird\na,4,cat\n")
        predictions = {("a", "1"): "cat", ("a", "2"): "dog", ("a", "3"): "bird"}
        expected = skm.f1_score(["cat", "dog", "bird", "cat"], ["cat", "dog", "bird", "none"], average="macro",
                                labels=["bird", "cat", "dog"])  # fmt: skip
        assert scoring.compute("macro_f1", gold, predictions, gold.labels) == pytest.approx(expected)

    def test_kappa_of_a_constant_truth_and_prediction_is_zero_not_nan(self):
        gold = gold_of("attr_id,adj,label\na,1,false\na,2,false\n")
        assert scoring.compute("cohen_kappa", gold, {("a", "1"): "false", ("a", "2"): "false"}, gold.labels) == 0.0

    def test_f1_needs_a_binary_gold(self):
        gold = gold_of("attr_id,adj,label\na,1,cat\na,2,dog\n")
        assert "macro-F1" in scoring.metric_problem("f1", gold)
        assert scoring.metric_problem("macro_f1", gold) is None
