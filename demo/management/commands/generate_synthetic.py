import time

from django.core.management.base import BaseCommand, CommandError

from assessment.models import Questionnaire
from demo.synthetic import SYNTHETIC_PREFIX, generate_organisation, synthetic_delete
from surveys.models import Team


class Command(BaseCommand):
    help = (
        "Create a synthetic organisation for benchmarks: teams x respondents answering "
        "closed quarterly rounds, with scores materialised. Bulk inserts throughout."
    )

    def add_arguments(self, parser):
        parser.add_argument("--teams", type=int, default=200)
        parser.add_argument("--rounds", type=int, default=12)
        parser.add_argument("--respondents", type=int, default=8, help="members per team")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--questionnaire", default="devops-maturity", help="questionnaire slug")
        parser.add_argument(
            "--reset", action="store_true", help="delete earlier synthetic data first"
        )

    def handle(self, *args, teams, rounds, respondents, seed, questionnaire, reset, **options):
        for name, value, low, high in (
            ("--teams", teams, 1, 5000),
            ("--rounds", rounds, 1, 40),
            ("--respondents", respondents, 1, 50),
        ):
            if not low <= value <= high:
                raise CommandError(f"{name} must be between {low} and {high}.")
        found = Questionnaire.objects.published().filter(slug=questionnaire).order_by("-version")
        if not found.exists():
            raise CommandError(
                f"No published questionnaire {questionnaire!r}: run load_questionnaire first."
            )
        if reset:
            synthetic_delete()
        elif Team.objects.filter(slug__startswith=SYNTHETIC_PREFIX).exists():
            raise CommandError("Synthetic data exists already; pass --reset to replace it.")
        started = time.perf_counter()
        report = generate_organisation(
            questionnaire=found.first(),
            teams=teams,
            rounds=rounds,
            respondents=respondents,
            seed=seed,
        )
        self.stdout.write(
            f"Created {report.teams} teams, {report.users} users, {report.rounds} rounds, "
            f"{report.responses} responses and {report.answers} answers "
            f"in {time.perf_counter() - started:.1f} s."
        )
