"""Rebuild the materialised scores from the raw answers and report what was fixed."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from reports.services import round_scores_recompute
from surveys.models import SurveyRound


class Command(BaseCommand):
    help = (
        "Recompute team scores from submitted answers, fix rows that drifted and list them. "
        "Without --round, every round is recomputed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--round", metavar="SLUG_OR_NAME", help="Only this survey round.")

    def handle(self, *args, **options):
        rounds = SurveyRound.objects.order_by("opens_at", "pk")
        if options["round"]:
            wanted = options["round"].strip()
            rounds = rounds.filter(Q(slug=wanted) | Q(name__iexact=wanted))
            if not rounds:
                known = ", ".join(
                    SurveyRound.objects.order_by("opens_at").values_list("slug", flat=True)
                )
                raise CommandError(
                    f"No survey round has the slug or name {wanted!r}. "
                    f"Known rounds: {known or 'none yet'}."
                )
        for survey_round in rounds:
            report = round_scores_recompute(survey_round=survey_round)
            noun = "row" if report.total == 1 else "rows"
            self.stdout.write(f"{survey_round.name}: {report.total} {noun} fixed")
            for verb, changes in (
                ("changed", report.changed),
                ("added", report.added),
                ("removed", report.removed),
            ):
                for change in changes:
                    self.stdout.write(f"  {verb} {change}")
