"""The naive baseline: every raw answer into pandas, aggregated on each request.

    DATABASE_URL=postgres://... python bench/naive.py

This is what a spreadsheet user, or an implementation without materialised
scores, does to draw the dashboards: read all submitted answers of the dataset
with their scores joined, then aggregate per team x round x category (team
score = mean of the respondents' weighted category scores, as in
docs/scoring.md) and take the organisation's median per round x category. It
is there for context in `make bench`: dashboard time / naive time.
"""

import pandas as pd
from common import HEADER, measure, row  # first: it sets up Django

from assessment.models import Category, Question
from surveys.models import Answer, Response

COLUMNS = ["round", "team", "response", "category", "weight", "score"]


def load_answers() -> pd.DataFrame:
    """Every scored answer of every submitted response, with its score joined (one query)."""
    rows = (
        Answer.objects.filter(
            response__status=Response.Status.SUBMITTED,
            question__kind=Question.Kind.SCALE,
            question__category__kind=Category.Kind.PRACTICE,
            choice__abstain="",
        )
        .order_by()
        .values_list(
            "response__round__name",
            "response__team__name",
            "response_id",
            "question__category__key",
            "question__weight",
            "choice__score",
        )
    )
    frame = pd.DataFrame.from_records(list(rows), columns=COLUMNS)
    frame["weight"] = frame["weight"].astype("float64")
    return frame


def aggregate(answers: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(team x round x category scores, organisation median per round x category)."""
    answers = answers.assign(weighted=answers["score"] * answers["weight"])
    per_person = answers.groupby(["round", "team", "category", "response"])[
        ["weighted", "weight"]
    ].sum()
    per_person["score"] = per_person["weighted"] / per_person["weight"]
    teams = per_person.groupby(["round", "team", "category"])["score"].agg(
        ["mean", "std", "min", "max", "median", "count"]
    )
    org = teams.groupby(["round", "category"])["mean"].quantile([0.25, 0.5, 0.75]).unstack()
    return teams, org


def results(*, runs: int = 5) -> list[tuple[str, dict]]:
    """The full naive path (query + pandas), then the pandas part alone.

    Fewer runs than elsewhere: one naive run takes seconds on 200 x 12 x 8.
    Each result also says how many answer rows were read ("rows").
    """
    answers = load_answers()
    full = measure(lambda: aggregate(load_answers()), runs=runs, warmup=1)
    in_memory = measure(lambda: aggregate(answers), runs=runs, warmup=1)
    return [
        ("naive: all scored answers into pandas, aggregated", {**full, "rows": len(answers)}),
        ("naive: the aggregation alone, answers in memory", {**in_memory, "rows": len(answers)}),
    ]


def main():
    print(HEADER)
    for name, result in results():
        print(row(name, result))


if __name__ == "__main__":
    main()
